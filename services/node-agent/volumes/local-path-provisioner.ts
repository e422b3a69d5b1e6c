/**
 * The local-path provisioner (class `local-path`, provisioner `bosun.io/local-path`), run by the
 * node agent process for the nodes it runs — it owns their disks, so the folder of a volume is
 * made and removed by the one process that can reach it, and nothing on the control plane needs
 * to know a node's data directory.
 *
 * - A claim annotated `volume.kubernetes.io/storage-provisioner: bosun.io/local-path` (by the PV
 *   controller) and `volume.kubernetes.io/selected-node: <one of our nodes>` (by the scheduler),
 *   still without a volume, gets a folder `<node root>/local-path-volumes/pvc-<uid>_<ns>_<claim>`
 *   and a hostPath PersistentVolume `pvc-<claim uid>` over it: pre-bound to the claim (claimRef
 *   with its uid), node affinity to that node, capacity and access modes of the claim, reclaim
 *   policy of the class, annotated `pv.kubernetes.io/provisioned-by`. The PV controller binds it.
 * - A volume it made that turned Released under reclaim policy Delete loses its folder, then the
 *   PersistentVolume is deleted.
 *
 * Claims of the class without a selected node (Immediate binding) are left alone: a local
 * volume's node has to be known before it is made.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { RESOURCES } from '../../../lib/api/resources';
import { isAlreadyExists, isNotFound } from '../../../lib/api/status';
import type { PersistentVolume, PersistentVolumeClaim } from '../../../lib/api/types/core';
import {
  PROVISIONED_BY_ANNOTATION,
  SELECTED_NODE_ANNOTATION,
  STORAGE_PROVISIONER_ANNOTATION,
  type StorageClass,
} from '../../../lib/api/types/storage';
import { listerWatcherFor } from '../../../lib/client/api-adapters';
import type { ApiClient, ResourceClient } from '../../../lib/client/api-client';
import type { Clock } from '../../../lib/client/clock';
import type { EventRecorder } from '../../../lib/client/events';
import { objectKey, SharedInformer } from '../../../lib/client/informer';
import { ControllerRunner } from '../../../lib/controller/controller-runner';
import type { Logger } from '../../../lib/logger';
import { LOCAL_PATH_PROVISIONER, LOCAL_PATH_VOLUMES_DIR, localPathVolumeDir, provisionedVolumeName } from '../../../lib/volume/local-path';

/** The node label a local volume's node affinity names. */
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';
/** Mode of a volume's folder: any pod user may write (the pods' users are not known here). */
export const VOLUME_DIR_MODE = 0o777;
/** Queue keys: `claim:<ns>/<name>` or `volume:<name>`. */
const CLAIM = 'claim:';
const VOLUME = 'volume:';

/** Constructor parameters of a {@link LocalPathProvisioner}. */
export interface LocalPathProvisionerOptions {
  readonly client: ApiClient;
  /** The nodes this process runs, each with its data directory (the agent's root). */
  readonly nodes: ReadonlyMap<string, string>;
  /** Events on claims (ProvisioningSucceeded / ProvisioningFailed). */
  readonly events: EventRecorder;
  readonly clock: Clock;
  readonly logger: Logger;
}

export class LocalPathProvisioner {
  private readonly claims: SharedInformer<PersistentVolumeClaim>;
  private readonly volumes: SharedInformer<PersistentVolume>;
  private readonly classes: SharedInformer<StorageClass>;
  private readonly volumeClient: ResourceClient<PersistentVolume>;
  private readonly runner: ControllerRunner;

  constructor(private readonly opts: LocalPathProvisionerOptions) {
    const { client, clock, logger } = opts;
    const informer = <T extends PersistentVolume | PersistentVolumeClaim | StorageClass>(r: ResourceClient<T>) => new SharedInformer<T>(listerWatcherFor(r), { clock, logger });
    this.claims = informer(client.resource<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims));
    this.volumes = informer(client.resource<PersistentVolume>(RESOURCES.persistentvolumes));
    this.classes = informer(client.resource<StorageClass>(RESOURCES.storageclasses));
    this.volumeClient = client.resource<PersistentVolume>(RESOURCES.persistentvolumes);
    this.runner = new ControllerRunner({ name: 'local-path-provisioner', reconcile: (k) => this.sync(k), clock, logger: logger.child({ part: 'local-path-provisioner' }) });
    const onClaim = (c: PersistentVolumeClaim) => { if (this.isOurs(c)) this.runner.enqueue(CLAIM + objectKey(c)); };
    const onVolume = (v: PersistentVolume) => { if (this.nodeOfVolume(v)) this.runner.enqueue(VOLUME + objectKey(v)); };
    this.claims.addEventHandler({ onAdd: onClaim, onUpdate: (_o, c) => onClaim(c) });
    this.volumes.addEventHandler({ onAdd: onVolume, onUpdate: (_o, v) => onVolume(v) });
  }

  /** Starts the informers and, once they synced, the worker. */
  async start(): Promise<void> {
    for (const i of [this.claims, this.volumes, this.classes]) i.run();
    await Promise.all([this.claims.waitForSync(), this.volumes.waitForSync(), this.classes.waitForSync()]);
    this.runner.start();
  }

  async stop(): Promise<void> {
    await this.runner.stop();
    for (const i of [this.claims, this.volumes, this.classes]) i.stop();
  }

  /** A claim asking this provisioner for a volume on one of our nodes. */
  private isOurs(claim: PersistentVolumeClaim): boolean {
    const a = claim.metadata.annotations ?? {};
    return a[STORAGE_PROVISIONER_ANNOTATION] === LOCAL_PATH_PROVISIONER && this.opts.nodes.has(a[SELECTED_NODE_ANNOTATION] ?? '');
  }

  /** The node (of ours) of a volume this provisioner made; undefined for any other volume. */
  private nodeOfVolume(pv: PersistentVolume): string | undefined {
    if (pv.metadata.annotations?.[PROVISIONED_BY_ANNOTATION] !== LOCAL_PATH_PROVISIONER) return undefined;
    const terms = (pv.spec?.nodeAffinity as { required?: { nodeSelectorTerms?: { matchExpressions?: { key: string; values?: string[] }[] }[] } } | undefined)?.required?.nodeSelectorTerms;
    const node = terms?.[0]?.matchExpressions?.find((e) => e.key === HOSTNAME_LABEL)?.values?.[0];
    return node && this.opts.nodes.has(node) ? node : undefined;
  }

  private async sync(key: string): Promise<void> {
    if (key.startsWith(CLAIM)) {
      const [namespace, name] = key.slice(CLAIM.length).split('/') as [string, string];
      const claim = this.claims.lister.get(namespace, name);
      if (claim && this.isOurs(claim) && !claim.spec?.volumeName && !claim.metadata.deletionTimestamp) await this.provision(claim);
      return;
    }
    const pv = this.volumes.lister.get('', key.slice(VOLUME.length));
    const node = pv && this.nodeOfVolume(pv);
    if (pv && node && pv.status?.phase === 'Released' && pv.spec?.persistentVolumeReclaimPolicy === 'Delete' && !pv.metadata.deletionTimestamp) await this.deleteVolume(pv, node);
  }

  private async provision(claim: PersistentVolumeClaim): Promise<void> {
    const uid = claim.metadata.uid ?? '';
    const pvName = provisionedVolumeName(uid);
    if (this.volumes.lister.get('', pvName)) return;
    const namespace = claim.metadata.namespace ?? '';
    const claimName = claim.metadata.name ?? '';
    const node = claim.metadata.annotations![SELECTED_NODE_ANNOTATION]!;
    const className = claim.spec?.storageClassName ?? '';
    const cls = this.classes.lister.get('', className);
    if (!cls) throw new Error(`storageclass.storage.k8s.io "${className}" not found`);
    const dir = localPathVolumeDir(this.opts.nodes.get(node)!, pvName, namespace, claimName);
    try {
      await fs.mkdir(dir, { recursive: true });
      await fs.chmod(dir, VOLUME_DIR_MODE);
    } catch (err) {
      this.opts.events.event(claimRef(claim), 'Warning', 'ProvisioningFailed', `failed to create ${dir} on node ${node}: ${(err as Error).message}`);
      throw err;
    }
    const pv: PersistentVolume = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: pvName, annotations: { [PROVISIONED_BY_ANNOTATION]: LOCAL_PATH_PROVISIONER } },
      spec: {
        capacity: { storage: String(claim.spec?.resources?.requests?.storage ?? '0') },
        accessModes: claim.spec?.accessModes ?? ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: cls.reclaimPolicy ?? 'Delete',
        storageClassName: className,
        volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
        mountOptions: cls.mountOptions,
        hostPath: { path: dir, type: 'DirectoryOrCreate' },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: HOSTNAME_LABEL, operator: 'In', values: [node] }] }] } },
        claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace, name: claimName, uid, resourceVersion: claim.metadata.resourceVersion },
      },
    };
    try {
      await this.volumeClient.create(undefined, pv);
    } catch (err) {
      if (isAlreadyExists(err)) return;
      this.opts.events.event(claimRef(claim), 'Warning', 'ProvisioningFailed', `failed to create persistentvolume "${pvName}": ${(err as Error).message}`);
      throw err;
    }
    this.opts.events.event(claimRef(claim), 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${pvName}`);
  }

  /** Removes a Released volume's folder (only ever inside the node's volumes folder), then the PV. */
  private async deleteVolume(pv: PersistentVolume, node: string): Promise<void> {
    const base = path.join(this.opts.nodes.get(node)!, LOCAL_PATH_VOLUMES_DIR);
    const dir = (pv.spec?.hostPath as { path?: string } | undefined)?.path ?? '';
    const rel = path.relative(base, dir);
    if (!dir || rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
      throw new Error(`persistentvolume "${pv.metadata.name}": path ${dir} is not under ${base}; not deleting it`);
    }
    await fs.rm(dir, { recursive: true, force: true });
    try {
      await this.volumeClient.delete(undefined, pv.metadata.name!, { preconditions: { uid: pv.metadata.uid } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** The Event reference of a claim (cached objects may carry no kind). */
function claimRef(claim: PersistentVolumeClaim) {
  return { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: claim.metadata.namespace, name: claim.metadata.name, uid: claim.metadata.uid, resourceVersion: claim.metadata.resourceVersion };
}
