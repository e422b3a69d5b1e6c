import type { KubeObject, ResourceInfo } from '../../../lib/api/object';
import type { Pod } from '../kinds/core';
import { SYSTEM_PRIORITY_CLASSES, type PriorityClass } from '../kinds/scheduling';
import { admissionForbidden, isResource, type AdmissionPlugin } from './admission';

/** A pod's priority when it names no class and no class is the global default (Kubernetes' DefaultPriorityWhenNoDefaultClassExists). */
export const DEFAULT_POD_PRIORITY = 0;
/** A pod's preemption policy when no class gives one. */
export const DEFAULT_PREEMPTION_POLICY = 'PreemptLowerPriority';

/** How the priority check finds PriorityClasses. */
export interface PriorityClassLookup {
  /** The class named `name`, or undefined: the cache first, the store when the cache has not seen it. */
  get(name: string): Promise<PriorityClass | undefined>;
  /** Every class the watch cache holds (a moment behind the store at most, like Kubernetes' lister). */
  cached(): Promise<readonly PriorityClass[]>;
  /** Every class the store holds now (a consistent read, for the rare PriorityClass writes). */
  stored(): Promise<readonly PriorityClass[]>;
}

/** What a pod's priority resolves to. */
interface Resolved {
  /** The class the pod names after admission ('' when none applies). */
  readonly className: string;
  readonly priority: number;
  readonly preemptionPolicy: string | undefined;
}

/**
 * Kubernetes' Priority admission plugin (plugin/pkg/admission/priority), for pods only — pod
 * templates of workloads are not admitted:
 *
 * - Pod create: spec.priorityClassName is resolved into spec.priority and spec.preemptionPolicy
 *   from that PriorityClass (an unknown one is Forbidden: `no PriorityClass with name X was
 *   found`); without a name the globalDefault class applies and its name is set (several
 *   defaults, after a race: the one with the lowest value); with neither, priority 0 and
 *   PreemptLowerPriority. A spec.priority or spec.preemptionPolicy the pod sets itself must
 *   equal what the class gives, else Forbidden.
 * - Pod update: a priority or preemption policy the update leaves out is kept from the stored
 *   pod (validation refuses any other change to them).
 * - PriorityClass create/update: only one class may be the globalDefault.
 * - PriorityClass delete: the system classes cannot be deleted (Kubernetes' PriorityClass
 *   storage refuses it).
 */
export class PriorityAdmission implements AdmissionPlugin {
  constructor(private readonly classes: PriorityClassLookup) {}

  async admitCreate(info: ResourceInfo, _namespace: string | undefined, obj: KubeObject): Promise<void> {
    if (isResource(info, '', 'pods')) await this.admitPodCreate(info, obj as Pod);
    else if (isResource(info, 'scheduling.k8s.io', 'priorityclasses')) await this.checkSingleDefault(info, obj as PriorityClass, false);
  }

  async admitUpdate(info: ResourceInfo, _namespace: string | undefined, obj: KubeObject, old: KubeObject): Promise<void> {
    if (isResource(info, '', 'pods')) keepPriority(obj as Pod, old as Pod);
    else if (isResource(info, 'scheduling.k8s.io', 'priorityclasses')) await this.checkSingleDefault(info, obj as PriorityClass, true);
  }

  async admitDelete(info: ResourceInfo, _namespace: string | undefined, obj: KubeObject): Promise<void> {
    const name = obj.metadata.name ?? '';
    if (isResource(info, 'scheduling.k8s.io', 'priorityclasses') && SYSTEM_PRIORITY_CLASSES[name] !== undefined) {
      throw admissionForbidden(info, name, 'this is a system priority class and cannot be deleted');
    }
  }

  private async admitPodCreate(info: ResourceInfo, pod: Pod): Promise<void> {
    const spec = (pod.spec ??= {});
    const resolved = await this.resolve(info, pod, spec.priorityClassName ?? '');
    if (resolved.className !== '') spec.priorityClassName = resolved.className;
    checkNotOverridden(info, pod, 'integer value of priority', spec.priority, resolved.priority);
    spec.priority = resolved.priority;
    if (resolved.preemptionPolicy === undefined) return;
    checkNotOverridden(info, pod, 'string value of PreemptionPolicy', spec.preemptionPolicy, resolved.preemptionPolicy);
    spec.preemptionPolicy = resolved.preemptionPolicy;
  }

  /** The priority of a pod naming `className` ('' for none). */
  private async resolve(info: ResourceInfo, pod: Pod, className: string): Promise<Resolved> {
    if (className === '') {
      const def = defaultClass(await this.classes.cached());
      if (!def) return { className: '', priority: DEFAULT_POD_PRIORITY, preemptionPolicy: DEFAULT_PREEMPTION_POLICY };
      return { className: def.metadata.name ?? '', priority: def.value ?? DEFAULT_POD_PRIORITY, preemptionPolicy: def.preemptionPolicy };
    }
    const pc = await this.classes.get(className);
    if (!pc) throw admissionForbidden(info, pod, `no PriorityClass with name ${className} was found`);
    return { className, priority: pc.value ?? DEFAULT_POD_PRIORITY, preemptionPolicy: pc.preemptionPolicy };
  }

  /** Refuses a globalDefault class while another class is the default. */
  private async checkSingleDefault(info: ResourceInfo, pc: PriorityClass, update: boolean): Promise<void> {
    if (pc.globalDefault !== true) return;
    const current = defaultClass(await this.classes.stored());
    if (!current || (update && current.metadata.name === pc.metadata.name)) return;
    throw admissionForbidden(info, pc, `PriorityClass ${current.metadata.name ?? ''} is already marked as default. Only one default can exist`);
  }
}

/** The global default among `classes`: the globalDefault one with the lowest value, if any. */
export function defaultClass(classes: readonly PriorityClass[]): PriorityClass | undefined {
  let best: PriorityClass | undefined;
  for (const pc of classes) {
    if (pc.globalDefault === true && (best === undefined || (pc.value ?? 0) < (best.value ?? 0))) best = pc;
  }
  return best;
}

/**
 * Refuses a pod that sets `given` itself (`what`: "integer value of priority") to something
 * other than what its class gives, with Kubernetes' message.
 */
function checkNotOverridden(info: ResourceInfo, pod: Pod, what: string, given: unknown, computed: number | string): void {
  if (given === undefined || given === null || given === computed) return;
  throw admissionForbidden(
    info,
    pod,
    `the ${what} (${String(given)}) must not be provided in pod spec; priority admission controller computed ${computed} from the given PriorityClass name`,
  );
}

/** An update that leaves out the priority or preemption policy the create set keeps them. */
function keepPriority(pod: Pod, old: Pod): void {
  if (!old.spec) return;
  const spec = (pod.spec ??= {});
  if ((spec.priority === undefined || spec.priority === null) && old.spec.priority !== undefined) spec.priority = old.spec.priority;
  if ((spec.preemptionPolicy === undefined || spec.preemptionPolicy === null) && old.spec.preemptionPolicy !== undefined) {
    spec.preemptionPolicy = old.spec.preemptionPolicy;
  }
}
