/**
 * The PersistentVolume controller (Kubernetes' `persistentvolume-binder`): binds claims to
 * volumes and keeps both phases.
 *
 * - A claim without spec.volumeName binds to the volume {@link findMatchingVolume} picks. A
 *   claim of a WaitForFirstConsumer class waits (Pending) until the scheduler annotates it with
 *   `volume.kubernetes.io/selected-node`, and then only binds to volumes that node reaches. With
 *   no volume to bind and a class that has a provisioner, the claim is annotated
 *   `volume.kubernetes.io/storage-provisioner` and the provisioner makes a volume pre-bound to it.
 * - A bind writes the volume first (claimRef, `pv.kubernetes.io/bound-by-controller` when we
 *   chose it; phase Bound), then the claim (volumeName, `pv.kubernetes.io/bind-completed`,
 *   `bound-by-controller` when we chose the volume; phase Bound with the volume's capacity and
 *   access modes). Every step is idempotent, so a bind cut in the middle finishes on the next sync.
 * - A volume whose claim is gone turns Released; reclaim policy Retain keeps it so; Delete leaves
 *   it to the provisioner named in `pv.kubernetes.io/provisioned-by` (a volume nobody provisioned
 *   turns Failed: Bosun has no deleter of its own); Recycle is not supported (Failed).
 * - A bound claim whose volume is gone, or bound to someone else, turns Lost.
 */
import { RESOURCES } from '../../../lib/api/resources';
import { isNotFound } from '../../../lib/api/status';
import type { Node, PersistentVolume, PersistentVolumeClaim } from '../../../lib/api/types/core';
import {
  BETA_STORAGE_PROVISIONER_ANNOTATION,
  BIND_COMPLETED_ANNOTATION,
  BOUND_BY_CONTROLLER_ANNOTATION,
  PROVISIONED_BY_ANNOTATION,
  SELECTED_NODE_ANNOTATION,
  STORAGE_PROVISIONER_ANNOTATION,
  type StorageClass,
} from '../../../lib/api/types/storage';
import type { ResourceClient } from '../../../lib/client/api-client';
import type { EventRecorder } from '../../../lib/client/events';
import { objectKey, type SharedInformer } from '../../../lib/client/informer';
import { controllerRunner, ControllerRunner, QueueController, type ControllerContext, type ControllerDescriptor } from '../../../lib/controller';
import { writeStatus } from '../../../lib/controller/status-writer';
import { claimClass, claimRefOf, findMatchingVolume, isVolumeBoundToClaim, mismatch, type NodeLabels } from './volume-match';

export const PERSISTENT_VOLUME_CONTROLLER_NAME = 'persistentvolume-binder';
/** The component its Events carry (Kubernetes' name). */
export const PERSISTENT_VOLUME_CONTROLLER_COMPONENT = 'persistentvolume-controller';
/** A class whose volumes are only ever made by hand (Kubernetes' NotSupportedProvisioner). */
export const NO_PROVISIONER = 'kubernetes.io/no-provisioner';
/** The annotation value the binder writes. */
const YES = 'yes';

export const persistentVolumeControllerDescriptor: ControllerDescriptor = {
  name: PERSISTENT_VOLUME_CONTROLLER_NAME,
  create: (ctx) => new PersistentVolumeController(ctx),
};

/** Queue keys: `claim:<namespace>/<name>` or `volume:<name>`. */
const CLAIM = 'claim:';
const VOLUME = 'volume:';

export class PersistentVolumeController extends QueueController {
  private readonly volumes: SharedInformer<PersistentVolume>;
  private readonly claims: SharedInformer<PersistentVolumeClaim>;
  private readonly classes: SharedInformer<StorageClass>;
  private readonly nodes: SharedInformer<Node>;
  private readonly volumeClient: ResourceClient<PersistentVolume>;
  private readonly claimClient: ResourceClient<PersistentVolumeClaim>;
  private readonly recorder: EventRecorder;
  protected readonly runner: ControllerRunner;

  constructor(ctx: ControllerContext) {
    super();
    this.volumes = ctx.informers.informer<PersistentVolume>(RESOURCES.persistentvolumes);
    this.claims = ctx.informers.informer<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims);
    this.classes = ctx.informers.informer<StorageClass>(RESOURCES.storageclasses);
    this.nodes = ctx.informers.informer<Node>(RESOURCES.nodes);
    this.volumeClient = ctx.client.resource<PersistentVolume>(RESOURCES.persistentvolumes);
    this.claimClient = ctx.client.resource<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims);
    this.recorder = ctx.recorder(PERSISTENT_VOLUME_CONTROLLER_COMPONENT);
    this.runner = controllerRunner(ctx, PERSISTENT_VOLUME_CONTROLLER_NAME, (key) => this.sync(key));
    const onClaim = (c: PersistentVolumeClaim) => this.runner.enqueue(CLAIM + objectKey(c));
    const onVolume = (v: PersistentVolume) => this.runner.enqueue(VOLUME + objectKey(v));
    this.claims.addEventHandler({ onAdd: onClaim, onUpdate: (_o, c) => onClaim(c), onDelete: (c) => this.claimDeleted(c) });
    this.volumes.addEventHandler({ onAdd: onVolume, onUpdate: (_o, v) => onVolume(v), onDelete: (v) => this.volumeDeleted(v) });
    // A new default or changed class may unblock waiting claims.
    this.classes.addEventHandler({ onAdd: () => this.enqueuePendingClaims(), onUpdate: () => this.enqueuePendingClaims() });
  }

  protected synced() {
    return [this.volumes, this.claims, this.classes, this.nodes];
  }

  private sync(key: string): Promise<void> {
    if (key.startsWith(CLAIM)) {
      const [namespace, name] = key.slice(CLAIM.length).split('/') as [string, string];
      const claim = this.claims.lister.get(namespace, name);
      return claim ? this.syncClaim(claim) : Promise.resolve();
    }
    const volume = this.volumes.lister.get('', key.slice(VOLUME.length));
    return volume ? this.syncVolume(volume) : Promise.resolve();
  }

  // ----- claims ------------------------------------------------------------------------------

  private async syncClaim(claim: PersistentVolumeClaim): Promise<void> {
    if (claim.metadata.deletionTimestamp) return;
    if (claim.spec?.volumeName) return this.syncBoundClaim(claim, claim.spec.volumeName);
    const className = claimClass(claim);
    const cls = className ? this.classes.lister.get('', className) : undefined;
    const selectedNode = claim.metadata.annotations?.[SELECTED_NODE_ANNOTATION];
    if (cls?.volumeBindingMode === 'WaitForFirstConsumer' && !selectedNode) {
      if (claim.status?.phase !== 'Pending') await this.setClaimPhase(claim, 'Pending');
      this.event(claim, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
      return;
    }
    const node: NodeLabels | undefined = selectedNode ? { name: selectedNode, labels: this.nodes.lister.get('', selectedNode)?.metadata.labels ?? {} } : undefined;
    const volume = findMatchingVolume(claim, this.volumes.lister.list(), node);
    if (volume) return this.bind(volume, claim);
    if (claim.status?.phase !== 'Pending') await this.setClaimPhase(claim, 'Pending');
    if (cls && cls.provisioner && cls.provisioner !== NO_PROVISIONER) return this.requestProvisioning(claim, cls.provisioner);
    const why = !className
      ? 'no persistent volumes available for this claim and no storage class is set'
      : cls ? `storageclass.storage.k8s.io "${className}" has no provisioner and no volume matches` : `storageclass.storage.k8s.io "${className}" not found`;
    this.event(claim, 'Normal', 'FailedBinding', why);
  }

  /** Marks `claim` for the class's provisioner (which watches for the annotation). */
  private async requestProvisioning(claim: PersistentVolumeClaim, provisioner: string): Promise<void> {
    const annotations = claim.metadata.annotations ?? {};
    if (annotations[STORAGE_PROVISIONER_ANNOTATION] === provisioner && annotations[BETA_STORAGE_PROVISIONER_ANNOTATION] === provisioner) return;
    const next = structuredClone(claim);
    next.metadata.annotations = { ...annotations, [STORAGE_PROVISIONER_ANNOTATION]: provisioner, [BETA_STORAGE_PROVISIONER_ANNOTATION]: provisioner };
    await this.claimClient.update(next.metadata.namespace, next);
    this.event(claim, 'Normal', 'ExternalProvisioning', `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`);
  }

  private async syncBoundClaim(claim: PersistentVolumeClaim, volumeName: string): Promise<void> {
    const volume = this.volumes.lister.get('', volumeName) ?? (await this.readVolume(volumeName));
    if (!volume) {
      if (claim.status?.phase === 'Bound') {
        await this.setClaimPhase(claim, 'Lost');
        this.event(claim, 'Warning', 'ClaimLost', 'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!');
      }
      return;
    }
    const ref = claimRefOf(volume);
    if (!ref) {
      // Pre-bound by the user (spec.volumeName): take the volume if it fits.
      const why = mismatch(volume, claim);
      if (why === undefined) return this.bind(volume, claim);
      this.event(claim, 'Warning', 'FailedBinding', `Cannot bind to requested volume "${volumeName}": ${why}`);
      return;
    }
    if (isVolumeBoundToClaim(volume, claim)) return this.bind(volume, claim);
    if (claim.status?.phase === 'Bound') {
      await this.setClaimPhase(claim, 'Lost');
      this.event(claim, 'Warning', 'ClaimMisbound', 'Two claims are bound to the same volume, this one is bound incorrectly');
    } else {
      this.event(claim, 'Warning', 'FailedBinding', `volume "${volumeName}" already bound to a different claim.`);
    }
  }

  /**
   * Binds `volume` and `claim` both ways and sets both phases Bound; each write only when its
   * object still differs, so calling it again finishes a bind a crash or conflict cut short.
   */
  private async bind(volume: PersistentVolume, claim: PersistentVolumeClaim): Promise<void> {
    let pv = volume;
    const ref = claimRefOf(pv);
    if (!ref || ref.uid !== claim.metadata.uid) {
      const next = structuredClone(pv);
      next.spec = {
        ...next.spec,
        claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: claim.metadata.namespace, name: claim.metadata.name, uid: claim.metadata.uid, resourceVersion: claim.metadata.resourceVersion },
      };
      if (!ref) next.metadata.annotations = { ...next.metadata.annotations, [BOUND_BY_CONTROLLER_ANNOTATION]: YES };
      pv = await this.volumeClient.update(undefined, next);
    }
    if (pv.status?.phase !== 'Bound') pv = (await writeStatus(this.volumeClient, pv, { phase: 'Bound', message: undefined, reason: undefined })) ?? pv;
    let pvc = claim;
    const volumeName = pv.metadata.name ?? '';
    if (pvc.spec?.volumeName !== volumeName || pvc.metadata.annotations?.[BIND_COMPLETED_ANNOTATION] !== YES) {
      const next = structuredClone(pvc);
      const annotations: Record<string, string> = { ...next.metadata.annotations, [BIND_COMPLETED_ANNOTATION]: YES };
      if (!pvc.spec?.volumeName) annotations[BOUND_BY_CONTROLLER_ANNOTATION] = YES;
      next.metadata.annotations = annotations;
      next.spec = { ...next.spec, volumeName };
      pvc = await this.claimClient.update(next.metadata.namespace, next);
    }
    if (pvc.status?.phase !== 'Bound') {
      await writeStatus(this.claimClient, pvc, { phase: 'Bound', accessModes: pv.spec?.accessModes, capacity: pv.spec?.capacity });
    }
  }

  // ----- volumes -----------------------------------------------------------------------------

  private async syncVolume(volume: PersistentVolume): Promise<void> {
    if (volume.metadata.deletionTimestamp) return;
    const ref = claimRefOf(volume);
    if (!ref) {
      if (volume.status?.phase !== 'Available') await this.setVolumePhase(volume, 'Available');
      this.enqueuePendingClaims();
      return;
    }
    const claim = await this.claimOf(ref.namespace ?? '', ref.name ?? '');
    if (claim && (!ref.uid || claim.metadata.uid === ref.uid)) {
      if (claim.spec?.volumeName === volume.metadata.name) {
        if (volume.status?.phase !== 'Bound') await this.setVolumePhase(volume, 'Bound');
      } else if (!claim.spec?.volumeName) {
        if (volume.status?.phase !== 'Available' && volume.status?.phase !== 'Bound') await this.setVolumePhase(volume, 'Available');
        this.runner.enqueue(CLAIM + objectKey(claim));
      } else if (volume.metadata.annotations?.[BOUND_BY_CONTROLLER_ANNOTATION] === YES) {
        await this.unbind(volume); // we chose this volume, but the claim went to another
      } else if (volume.status?.phase !== 'Available') {
        await this.setVolumePhase(volume, 'Available');
      }
      return;
    }
    if (!ref.uid) {
      // Pre-bound to a claim that does not exist yet: kept for it.
      if (volume.status?.phase !== 'Available') await this.setVolumePhase(volume, 'Available');
      return;
    }
    await this.reclaim(volume);
  }

  /** The claim of a volume went away: Released, then what the reclaim policy says. */
  private async reclaim(volume: PersistentVolume): Promise<void> {
    const phase = volume.status?.phase;
    if (phase === 'Failed') return;
    let pv = volume;
    if (phase !== 'Released') pv = (await this.setVolumePhase(volume, 'Released')) ?? volume;
    const policy = pv.spec?.persistentVolumeReclaimPolicy ?? 'Retain';
    if (policy === 'Retain') return;
    if (policy === 'Delete' && pv.metadata.annotations?.[PROVISIONED_BY_ANNOTATION]) return; // the provisioner deletes it
    const message = policy === 'Delete' ? 'error getting deleter volume plugin for volume: no deletable volume plugin matched' : 'Recycle is not supported';
    await this.setVolumePhase(pv, 'Failed', message);
    this.event(pv, 'Warning', policy === 'Delete' ? 'VolumeFailedDelete' : 'VolumeFailedRecycle', message);
  }

  private async unbind(volume: PersistentVolume): Promise<void> {
    const next = structuredClone(volume);
    delete next.spec?.claimRef;
    delete next.metadata.annotations?.[BOUND_BY_CONTROLLER_ANNOTATION];
    const stored = await this.volumeClient.update(undefined, next);
    await this.setVolumePhase(stored, 'Available');
  }

  // ----- helpers -----------------------------------------------------------------------------

  private async claimOf(namespace: string, name: string): Promise<PersistentVolumeClaim | undefined> {
    const cached = this.claims.lister.get(namespace, name);
    if (cached) return cached;
    // The cache may lag a claim just created: ask the API before releasing its volume.
    try {
      return await this.claimClient.get(namespace, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async readVolume(name: string): Promise<PersistentVolume | undefined> {
    try {
      return await this.volumeClient.get(undefined, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private setVolumePhase(volume: PersistentVolume, phase: string, message?: string): Promise<PersistentVolume | undefined> {
    return writeStatus(this.volumeClient, volume, { phase, message });
  }

  private setClaimPhase(claim: PersistentVolumeClaim, phase: string): Promise<PersistentVolumeClaim | undefined> {
    return writeStatus(this.claimClient, claim, { phase });
  }

  private claimDeleted(claim: PersistentVolumeClaim): void {
    const volumeName = claim.spec?.volumeName;
    if (volumeName) this.runner.enqueue(VOLUME + volumeName);
    for (const v of this.volumes.lister.list()) if (isVolumeBoundToClaim(v, claim)) this.runner.enqueue(VOLUME + objectKey(v));
  }

  private volumeDeleted(volume: PersistentVolume): void {
    const ref = claimRefOf(volume);
    if (ref) this.runner.enqueue(`${CLAIM}${ref.namespace ?? ''}/${ref.name}`);
  }

  /** Every claim still waiting for a volume gets another look (a volume or class appeared). */
  private enqueuePendingClaims(): void {
    for (const c of this.claims.lister.list()) if (!c.spec?.volumeName) this.runner.enqueue(CLAIM + objectKey(c));
  }

  /** Records an Event on `obj` (repeats, like a claim's waiting reason on every sync, are folded by the recorder's aggregation). */
  private event(obj: PersistentVolume | PersistentVolumeClaim, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const kind = obj.metadata.namespace ? 'PersistentVolumeClaim' : 'PersistentVolume';
    this.recorder.event({ kind, apiVersion: 'v1', namespace: obj.metadata.namespace, name: obj.metadata.name, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion }, type, reason, message);
  }
}
