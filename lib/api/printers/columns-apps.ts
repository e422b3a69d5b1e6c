/**
 * Table columns of workload kinds (apps/v1, batch/v1, autoscaling), as Kubernetes' server-side
 * printers define them.
 */
import type { KubeObject } from '../object';
import { humanDuration, parseTimestamp, translateTimestampSince } from './age';
import { arr, conditionStatus, dig, formatLabelSelector, formatLabels, int, labelSelectorString, layoutContainerCells, optInt, rec, recs, str, templateSpec } from './fields';
import { AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, NAME_COLUMN, column, type KindPrinter, type PrintContext } from './types';

/** How many HPA metrics are listed before "+ N more...". */
const MAX_HPA_METRICS_SHOWN = 2;

function age(obj: KubeObject, ctx: PrintContext): string {
  return translateTimestampSince(obj.metadata?.creationTimestamp, ctx.now);
}

function name(obj: KubeObject): string {
  return str(obj.metadata?.name);
}

function selectorColumn(description: string): ReturnType<typeof column> {
  return column('Selector', 'string', description, 1);
}

/** spec.replicas, defaulting to 1 as the API does when it is absent. */
function desiredReplicas(obj: KubeObject): number {
  return optInt(rec(obj.spec).replicas) ?? 1;
}

const deployment: KindPrinter = {
  group: 'apps',
  kind: 'Deployment',
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', 'Number of the pod with ready state'),
    column('Up-to-date', 'string', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
    column('Available', 'string', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    selectorColumn('Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.'),
  ],
  cells(obj, ctx) {
    const status = rec(obj.status);
    const { names, images } = layoutContainerCells(templateSpec(obj));
    const sel = labelSelectorString(rec(obj.spec).selector);
    return [
      name(obj),
      `${int(status.readyReplicas)}/${desiredReplicas(obj)}`,
      int(status.updatedReplicas),
      int(status.availableReplicas),
      age(obj, ctx),
      names,
      images,
      sel === undefined ? '<invalid>' : sel,
    ];
  },
};

/**
 * The printer of a replica kind: ReplicaSet (a LabelSelector) and core/v1 ReplicationController
 * (a label map as selector) print the same columns.
 */
function replicaPrinter(group: string, kind: string, selectorCell: (selector: unknown) => string, what: string): KindPrinter {
  return {
    group,
    kind,
    columns: [
      NAME_COLUMN,
      column('Desired', 'integer', 'Replicas is the number of desired replicas.'),
      column('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
      column('Ready', 'integer', `The number of ready replicas for this ${what}.`),
      AGE_COLUMN,
      CONTAINERS_COLUMN,
      IMAGES_COLUMN,
      selectorColumn('Selector is a label query over pods that should match the replica count.'),
    ],
    cells(obj, ctx) {
      const status = rec(obj.status);
      const { names, images } = layoutContainerCells(templateSpec(obj));
      return [name(obj), desiredReplicas(obj), int(status.replicas), int(status.readyReplicas), age(obj, ctx), names, images, selectorCell(rec(obj.spec).selector)];
    },
  };
}

const replicaSet = replicaPrinter('apps', 'ReplicaSet', formatLabelSelector, 'replica set');
const replicationController = replicaPrinter('', 'ReplicationController', formatLabels, 'replication controller');

const daemonSet: KindPrinter = {
  group: 'apps',
  kind: 'DaemonSet',
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', 'The total number of nodes that should be running the daemon pod.'),
    column('Current', 'integer', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.'),
    column('Ready', 'integer', 'numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.'),
    column('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod'),
    column('Available', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.'),
    column('Node Selector', 'string', 'NodeSelector is a selector which must be true for the pod to fit on a node.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    selectorColumn('A label query over pods that are managed by the daemon set.'),
  ],
  cells(obj, ctx) {
    const status = rec(obj.status);
    const spec = templateSpec(obj);
    const { names, images } = layoutContainerCells(spec);
    return [
      name(obj),
      int(status.desiredNumberScheduled),
      int(status.currentNumberScheduled),
      int(status.numberReady),
      int(status.updatedNumberScheduled),
      int(status.numberAvailable),
      formatLabels(spec.nodeSelector),
      age(obj, ctx),
      names,
      images,
      formatLabelSelector(rec(obj.spec).selector),
    ];
  },
};

const statefulSet: KindPrinter = {
  group: 'apps',
  kind: 'StatefulSet',
  columns: [NAME_COLUMN, column('Ready', 'string', 'Number of the pod with ready state'), AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN],
  cells(obj, ctx) {
    const { names, images } = layoutContainerCells(templateSpec(obj));
    return [name(obj), `${int(rec(obj.status).readyReplicas)}/${desiredReplicas(obj)}`, age(obj, ctx), names, images];
  },
};

const controllerRevision: KindPrinter = {
  group: 'apps',
  kind: 'ControllerRevision',
  columns: [
    NAME_COLUMN,
    column('Controller', 'string', 'Controller of the object'),
    column('Revision', 'integer', 'Revision indicates the revision of the state represented by Data.'),
    AGE_COLUMN,
  ],
  cells(obj, ctx) {
    return [name(obj), controllerCell(obj), int(obj.revision), age(obj, ctx)];
  },
};

/** CONTROLLER of a ControllerRevision: `<kind>.<group>/<name>` of its controller owner, `<none>` without one. */
function controllerCell(obj: KubeObject): string {
  const ref = (obj.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
  if (!ref) return '<none>';
  const slash = ref.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : ref.apiVersion.slice(0, slash);
  return `${ref.kind.toLowerCase()}${group ? '.' + group : ''}/${ref.name}`;
}

/** Job STATUS: Complete, Failed, Terminating, Suspended, FailureTarget or Running (in that precedence). */
export function jobStatus(job: KubeObject): string {
  const conds = rec(job.status).conditions;
  if (conditionStatus(conds, 'Complete') === 'True') return 'Complete';
  if (conditionStatus(conds, 'Failed') === 'True') return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (conditionStatus(conds, 'Suspended') === 'True') return 'Suspended';
  if (conditionStatus(conds, 'FailureTarget') === 'True') return 'FailureTarget';
  return 'Running';
}

/** Job COMPLETIONS: `succeeded/completions`, or `n/1 of P` for a parallel work queue. */
export function jobCompletions(job: KubeObject): string {
  const spec = rec(job.spec);
  const succeeded = int(rec(job.status).succeeded);
  const completions = optInt(spec.completions);
  if (completions !== undefined) return `${succeeded}/${completions}`;
  const parallelism = optInt(spec.parallelism) ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

/** Job DURATION: start to completion, or start to now while running; `''` before start. */
export function jobDuration(job: KubeObject, now: Date): string {
  const status = rec(job.status);
  const start = parseTimestamp(status.startTime);
  if (!start) return '';
  const end = parseTimestamp(status.completionTime) ?? now;
  return humanDuration(end.getTime() - start.getTime());
}

const job: KindPrinter = {
  group: 'batch',
  kind: 'Job',
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'Status of the job.'),
    column('Completions', 'string', 'The number of pods which reached phase Succeeded.'),
    column('Duration', 'string', 'Time required to complete the job.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    selectorColumn('A label query over pods that should match the pod count.'),
  ],
  cells(obj, ctx) {
    const { names, images } = layoutContainerCells(templateSpec(obj));
    return [name(obj), jobStatus(obj), jobCompletions(obj), jobDuration(obj, ctx.now), age(obj, ctx), names, images, formatLabelSelector(rec(obj.spec).selector)];
  },
};

function boolPtr(v: unknown): string {
  if (v === true) return 'True';
  if (v === false) return 'False';
  return '<unset>';
}

const cronJob: KindPrinter = {
  group: 'batch',
  kind: 'CronJob',
  columns: [
    NAME_COLUMN,
    column('Schedule', 'string', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
    column('Timezone', 'string', 'The time zone name for the given schedule.'),
    column('Suspend', 'boolean', 'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.'),
    column('Active', 'integer', 'A list of pointers to currently running jobs.'),
    column('Last Schedule', 'string', 'Information when was the last time the job was successfully scheduled.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    selectorColumn('A label query over pods that should match the pod count.'),
  ],
  cells(obj, ctx) {
    const spec = rec(obj.spec);
    const jobSpec = rec(dig(spec, 'jobTemplate', 'spec'));
    const { names, images } = layoutContainerCells(dig(jobSpec, 'template', 'spec'));
    const last = rec(obj.status).lastScheduleTime;
    return [
      name(obj),
      str(spec.schedule),
      str(spec.timeZone) || '<none>',
      boolPtr(spec.suspend),
      arr(rec(obj.status).active).length,
      last === undefined || last === null ? '<none>' : translateTimestampSince(last, ctx.now),
      age(obj, ctx),
      names,
      images,
      formatLabelSelector(jobSpec.selector),
    ];
  },
};

function quantityText(v: unknown): string {
  return str(v) || '0';
}

/** HPA TARGETS as formatHPAMetrics renders them (`cpu: 40%/80%`, `<unknown>` before metrics arrive). */
export function formatHPAMetrics(hpa: KubeObject): string {
  const spec = rec(hpa.spec);
  const statuses = recs(rec(hpa.status).currentMetrics);
  let specs = recs(spec.metrics);
  if (!Array.isArray(spec.metrics) && spec.targetCPUUtilizationPercentage !== undefined) {
    // autoscaling/v1 shape: one CPU utilization target.
    specs = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage } } }];
    const cur = optInt(rec(hpa.status).currentCPUUtilizationPercentage);
    if (cur !== undefined) statuses.splice(0, statuses.length, { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: cur } } });
  }
  if (specs.length === 0) return '<none>';
  const list: string[] = [];
  specs.forEach((m, i) => {
    const st = statuses[i] ?? {};
    switch (str(m.type)) {
      case 'External':
      case 'Object': {
        const key = str(m.type) === 'External' ? 'external' : 'object';
        const target = rec(dig(m, key, 'target'));
        const current = rec(dig(st, key, 'current'));
        const has = st[key] !== undefined;
        if (target.averageValue !== undefined) {
          const cur = has && current.averageValue !== undefined ? quantityText(current.averageValue) : '<unknown>';
          list.push(`${cur}/${quantityText(target.averageValue)} (avg)`);
        } else {
          const cur = has ? quantityText(current.value) : '<unknown>';
          list.push(`${cur}/${quantityText(target.value)}`);
        }
        break;
      }
      case 'Pods': {
        const cur = st.pods !== undefined ? quantityText(dig(st, 'pods', 'current', 'averageValue')) : '<unknown>';
        list.push(`${cur}/${quantityText(dig(m, 'pods', 'target', 'averageValue'))}`);
        break;
      }
      case 'Resource':
      case 'ContainerResource': {
        const key = str(m.type) === 'Resource' ? 'resource' : 'containerResource';
        const src = rec(m[key]);
        const target = rec(src.target);
        const current = rec(dig(st, key, 'current'));
        const has = st[key] !== undefined;
        if (target.averageValue !== undefined) {
          const cur = has ? quantityText(current.averageValue) : '<unknown>';
          list.push(`${str(src.name)}: ${cur}/${quantityText(target.averageValue)}`);
        } else {
          const curU = optInt(current.averageUtilization);
          const cur = has && curU !== undefined ? `${curU}%` : '<unknown>';
          const tgtU = optInt(target.averageUtilization);
          list.push(`${str(src.name)}: ${cur}/${tgtU !== undefined ? `${tgtU}%` : '<auto>'}`);
        }
        break;
      }
      default:
        list.push('<unknown type>');
    }
  });
  if (list.length > MAX_HPA_METRICS_SHOWN) {
    return `${list.slice(0, MAX_HPA_METRICS_SHOWN).join(', ')} + ${list.length - MAX_HPA_METRICS_SHOWN} more...`;
  }
  return list.join(', ');
}

const horizontalPodAutoscaler: KindPrinter = {
  group: 'autoscaling',
  kind: 'HorizontalPodAutoscaler',
  columns: [
    NAME_COLUMN,
    column('Reference', 'string', 'scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.'),
    column('Targets', 'string', 'metrics contains the specifications for which to use to calculate the desired replica count.'),
    column('MinPods', 'string', 'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.'),
    column('MaxPods', 'string', 'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up.'),
    column('Replicas', 'string', 'currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.'),
    AGE_COLUMN,
  ],
  cells(obj, ctx) {
    const spec = rec(obj.spec);
    const ref = rec(spec.scaleTargetRef);
    const min = optInt(spec.minReplicas);
    return [
      name(obj),
      `${str(ref.kind)}/${str(ref.name)}`,
      formatHPAMetrics(obj),
      min === undefined ? '<unset>' : String(min),
      int(spec.maxReplicas),
      int(rec(obj.status).currentReplicas),
      age(obj, ctx),
    ];
  },
};

/** Printers of workload kinds. */
export const APPS_PRINTERS: readonly KindPrinter[] = [deployment, replicaSet, replicationController, daemonSet, statefulSet, controllerRevision, job, cronJob, horizontalPodAutoscaler];
