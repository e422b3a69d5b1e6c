/**
 * A pod's volumes on the node, in the kubelet's layout: `<rootDir>/pods/<uid>/volumes/<plugin>/<name>`
 * for what the agent makes (emptyDir, configMap, secret, downwardAPI, projected), the node path
 * itself for hostPath and for claims bound to hostPath/local PersistentVolumes. Set-up errors are
 * VolumeSetupErrors worded as Kubernetes' FailedMount events
 * (`MountVolume.SetUp failed for volume "v" : …`).
 *
 * emptyDir with medium Memory is a tmpfs of size sizeLimit when the agent may mount (root); else a
 * plain directory (logged once per volume). sizeLimit is checked by {@link VolumeManager.emptyDirsOverLimit}
 * (the agent evicts a pod it reports), and enforced by the kernel for tmpfs.
 */
import type { Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Logger } from 'pino';
import { Quantity } from '../../../lib/api/quantity';
import type { Pod, Volume } from '../../../lib/api/types';
import { writeAtomically, type Payload } from './atomic-writer';
import type { NodeAllocatable } from './field-ref';
import type { PodTokenManager } from './pod-tokens';
import { DEFAULT_FILE_MODE, projectConfigMap, projectDownwardApi, projectSecret, projectSources, type DownwardApiFile, type ObjectProjection, type ProjectedSource } from './projection';
import type { PodObjectSource } from './object-source';
import { ContainerConfigError, VolumeSetupError } from './pod-setup';
import type { Mounter } from './tmpfs';

/** The kubelet's plugin directory names. */
export const PLUGIN_DIRS = {
  emptyDir: 'kubernetes.io~empty-dir',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  downwardAPI: 'kubernetes.io~downward-api',
  projected: 'kubernetes.io~projected',
} as const;
type ManagedKind = keyof typeof PLUGIN_DIRS;

export const VOLUME_KINDS = ['emptyDir', 'hostPath', 'configMap', 'secret', 'downwardAPI', 'projected', 'persistentVolumeClaim'] as const;
export type VolumeKind = (typeof VOLUME_KINDS)[number];

/** An emptyDir's permission bits (world-writable, as Kubernetes makes them). */
export const EMPTY_DIR_MODE = 0o777;
const HOST_PATH_DIR_MODE = 0o755;

/** The source kind of `volume`, or undefined when it is none Bosun supports. */
export function volumeKindOf(volume: Volume): VolumeKind | undefined {
  return VOLUME_KINDS.find((k) => volume[k] !== undefined && volume[k] !== null);
}

/** Where a volume is on the node. */
export interface VolumeHostPath {
  path: string;
  /** The source says read-only (configMap, secret, downwardAPI, projected, a readOnly claim). */
  readOnly: boolean;
}

/** An emptyDir using more than its sizeLimit. */
export interface EmptyDirOverLimit {
  volume: string;
  usedBytes: number;
  limitBytes: number;
  /** Kubernetes' eviction message. */
  message: string;
}

export interface VolumeManagerOptions {
  rootDir: string;
  objects: PodObjectSource;
  /** ServiceAccount tokens of projected volumes (none: such volumes fail to mount). */
  tokens?: PodTokenManager;
  node: () => NodeAllocatable;
  mounter: Mounter;
  logger: Logger;
}

function failedMount(volume: string, err: unknown): VolumeSetupError {
  if (err instanceof VolumeSetupError) return err;
  return new VolumeSetupError(`MountVolume.SetUp failed for volume "${volume}" : ${(err as Error)?.message ?? String(err)}`);
}

async function statOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await fs.stat(p);
  } catch {
    return undefined;
  }
}

/** Kubernetes' hostPath type checks; creates for the *OrCreate types. */
async function checkHostPath(p: string, type: string): Promise<void> {
  const st = await statOrUndefined(p);
  switch (type) {
    case '':
      return;
    case 'DirectoryOrCreate':
      if (!st) await fs.mkdir(p, { recursive: true, mode: HOST_PATH_DIR_MODE });
      else if (!st.isDirectory()) throw new Error(`hostPath type check failed: ${p} is not a directory`);
      return;
    case 'Directory':
      if (!st?.isDirectory()) throw new Error(`hostPath type check failed: ${p} is not a directory`);
      return;
    case 'FileOrCreate':
      if (!st) await (await fs.open(p, 'a', DEFAULT_FILE_MODE)).close(); // the parent must exist, as in Kubernetes
      else if (st.isDirectory()) throw new Error(`hostPath type check failed: ${p} is not a file`);
      return;
    case 'File':
      if (!st?.isFile()) throw new Error(`hostPath type check failed: ${p} is not a file`);
      return;
    case 'Socket':
      if (!st?.isSocket()) throw new Error(`hostPath type check failed: ${p} is not a socket file`);
      return;
    case 'CharDevice':
      if (!st?.isCharacterDevice()) throw new Error(`hostPath type check failed: ${p} is not a character device`);
      return;
    case 'BlockDevice':
      if (!st?.isBlockDevice()) throw new Error(`hostPath type check failed: ${p} is not a block device`);
      return;
    default:
      throw new Error(`invalid HostPathType: "${type}"`);
  }
}

/** Bytes of the files under `dir` (not following links, not crossing into other mounts' content twice). */
async function diskUsage(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += await diskUsage(p);
    else if (e.isFile()) total += (await fs.lstat(p).catch(() => undefined))?.size ?? 0;
  }
  return total;
}

/** Sets up, finds and removes the volumes of pods (see the file comment). */
export class VolumeManager {
  /** Where each pod's claims resolved to, so containerConfig needs no API call: `<uid>/<volume>`. */
  private readonly claimPaths = new Map<string, VolumeHostPath>();
  /** emptyDirs already reported as plain directories instead of tmpfs. */
  private readonly warnedMemory = new Set<string>();

  constructor(private readonly opts: VolumeManagerOptions) {}

  /** `<rootDir>/pods/<uid>`. */
  podDir(uid: string): string {
    return path.join(this.opts.rootDir, 'pods', uid);
  }

  private managedDir(uid: string, kind: ManagedKind, name: string): string {
    return path.join(this.podDir(uid), 'volumes', PLUGIN_DIRS[kind], name);
  }

  /** Makes every volume of `pod` present and current. Throws VolumeSetupError for the first that fails. */
  async setUp(pod: Pod): Promise<void> {
    const uid = pod.metadata.uid ?? '';
    if (!uid) throw new VolumeSetupError('MountVolume.SetUp failed: the pod has no metadata.uid');
    for (const volume of pod.spec?.volumes ?? []) {
      const name = volume.name ?? '';
      try {
        await this.setUpOne(pod, uid, volume);
      } catch (err) {
        throw failedMount(name, err);
      }
    }
  }

  private async setUpOne(pod: Pod, uid: string, volume: Volume): Promise<void> {
    const name = volume.name ?? '';
    const kind = volumeKindOf(volume);
    const ctx = { objects: this.opts.objects, node: this.opts.node(), tokens: this.opts.tokens };
    switch (kind) {
      case undefined:
        throw new Error(`unsupported volume source (supported: ${VOLUME_KINDS.join(', ')})`);
      case 'emptyDir':
        return this.setUpEmptyDir(uid, name, volume.emptyDir as { medium?: string; sizeLimit?: string });
      case 'hostPath': {
        const src = volume.hostPath as { path?: string; type?: string };
        if (!src.path || !path.isAbsolute(src.path)) throw new Error(`hostPath.path must be an absolute path, got ${JSON.stringify(src.path ?? '')}`);
        return checkHostPath(src.path, src.type ?? '');
      }
      case 'persistentVolumeClaim': {
        this.claimPaths.set(`${uid}/${name}`, await this.resolveClaim(pod, volume));
        return;
      }
      case 'configMap': {
        const src = volume.configMap as ObjectProjection;
        const out: Payload = new Map();
        await projectConfigMap(out, pod, src, src.defaultMode ?? DEFAULT_FILE_MODE, ctx);
        await writeAtomically(this.managedDir(uid, 'configMap', name), out);
        return;
      }
      case 'secret': {
        const src = volume.secret as ObjectProjection;
        const out: Payload = new Map();
        await projectSecret(out, pod, src, src.defaultMode ?? DEFAULT_FILE_MODE, ctx);
        await writeAtomically(this.managedDir(uid, 'secret', name), out);
        return;
      }
      case 'downwardAPI': {
        const src = volume.downwardAPI as { items?: DownwardApiFile[]; defaultMode?: number };
        const out: Payload = new Map();
        projectDownwardApi(out, pod, src.items ?? [], src.defaultMode ?? DEFAULT_FILE_MODE, ctx);
        await writeAtomically(this.managedDir(uid, 'downwardAPI', name), out);
        return;
      }
      case 'projected': {
        const src = volume.projected as { sources?: ProjectedSource[]; defaultMode?: number };
        await writeAtomically(this.managedDir(uid, 'projected', name), await projectSources(pod, src.sources ?? [], src.defaultMode ?? DEFAULT_FILE_MODE, ctx));
        return;
      }
    }
  }

  private async setUpEmptyDir(uid: string, name: string, src: { medium?: string; sizeLimit?: string }): Promise<void> {
    const dir = this.managedDir(uid, 'emptyDir', name);
    await fs.mkdir(dir, { recursive: true });
    if (src.medium === 'Memory') {
      const { mounter } = this.opts;
      if (mounter.canMount()) {
        if (!(await mounter.mountsUnder(dir)).includes(dir)) {
          await mounter.mountTmpfs(dir, src.sizeLimit ? Quantity.parse(String(src.sizeLimit)).value() : 0);
        }
      } else if (!this.warnedMemory.has(dir)) {
        this.warnedMemory.add(dir);
        this.opts.logger.warn({ podUid: uid, volume: name }, 'emptyDir medium Memory needs root to mount tmpfs: a plain directory on disk instead');
      }
    } else if (src.medium && src.medium !== '') {
      throw new Error(`emptyDir medium ${JSON.stringify(src.medium)} is not supported (only "" and "Memory")`);
    }
    await fs.chmod(dir, EMPTY_DIR_MODE);
  }

  /** The node path of a claim bound to a hostPath or local PersistentVolume. */
  private async resolveClaim(pod: Pod, volume: Volume): Promise<VolumeHostPath> {
    const ns = pod.metadata.namespace ?? 'default';
    const src = volume.persistentVolumeClaim as { claimName?: string; readOnly?: boolean };
    const claimName = src.claimName ?? '';
    const claim = await this.opts.objects.persistentVolumeClaim(ns, claimName);
    if (!claim) throw new Error(`persistentvolumeclaim "${claimName}" not found`);
    const volumeName = claim.spec?.volumeName ?? '';
    const phase = claim.status?.phase ?? '';
    // A claim naming its volume (spec.volumeName) and not Lost is usable: the binder writes volumeName before the phase.
    if (!volumeName || phase === 'Lost') throw new Error(`PVC ${ns}/${claimName} has non-bound phase ("${phase}") or empty pvc.Spec.VolumeName ("${volumeName}")`);
    const pv = await this.opts.objects.persistentVolume(volumeName);
    if (!pv) throw new Error(`persistentvolume "${volumeName}" not found`);
    const ref = pv.spec?.claimRef as { name?: string; namespace?: string } | undefined;
    if (ref?.name && (ref.name !== claimName || (ref.namespace ?? ns) !== ns)) throw new Error(`persistentvolume "${volumeName}" is bound to claim ${ref.namespace ?? ''}/${ref.name}, not ${ns}/${claimName}`);
    const nodePath = (pv.spec?.hostPath as { path?: string } | undefined)?.path ?? (pv.spec?.local as { path?: string } | undefined)?.path;
    if (!nodePath) throw new Error(`persistentvolume "${volumeName}" has no hostPath or local source (the only kinds this node mounts)`);
    if (!(await statOrUndefined(nodePath))) throw new Error(`path ${nodePath} of persistentvolume "${volumeName}" does not exist on the node`);
    return { path: nodePath, readOnly: !!src.readOnly };
  }

  /** Where the volume `volumeName` of `pod` is on the node. Throws ContainerConfigError for an unknown volume. */
  async hostPathOf(pod: Pod, volumeName: string, containerName: string): Promise<VolumeHostPath> {
    const uid = pod.metadata.uid ?? '';
    const volume = (pod.spec?.volumes ?? []).find((v) => v.name === volumeName);
    const kind = volume ? volumeKindOf(volume) : undefined;
    if (!volume || !kind) throw new ContainerConfigError(`cannot find volume "${volumeName}" to mount into container "${containerName}"`);
    switch (kind) {
      case 'hostPath':
        return { path: (volume.hostPath as { path?: string }).path ?? '', readOnly: false };
      case 'persistentVolumeClaim': {
        const known = this.claimPaths.get(`${uid}/${volumeName}`);
        if (known) return known;
        try {
          const resolved = await this.resolveClaim(pod, volume);
          this.claimPaths.set(`${uid}/${volumeName}`, resolved);
          return resolved;
        } catch (err) {
          throw new ContainerConfigError(`volume "${volumeName}": ${(err as Error).message}`);
        }
      }
      case 'emptyDir':
        return { path: this.managedDir(uid, kind, volumeName), readOnly: false };
      default:
        return { path: this.managedDir(uid, kind, volumeName), readOnly: true };
    }
  }

  /** emptyDirs of `pod` with a sizeLimit whose files take more (the agent evicts such a pod). */
  async emptyDirsOverLimit(pod: Pod): Promise<EmptyDirOverLimit[]> {
    const out: EmptyDirOverLimit[] = [];
    for (const v of pod.spec?.volumes ?? []) {
      const src = v.emptyDir as { sizeLimit?: string } | undefined;
      if (!src?.sizeLimit) continue;
      const limitBytes = Quantity.parse(String(src.sizeLimit)).value();
      const usedBytes = await diskUsage(this.managedDir(pod.metadata.uid ?? '', 'emptyDir', v.name ?? ''));
      if (usedBytes > limitBytes) out.push({ volume: v.name ?? '', usedBytes, limitBytes, message: `Usage of EmptyDir volume "${v.name ?? ''}" exceeds the limit "${src.sizeLimit}". ` });
    }
    return out;
  }

  /**
   * Removes `<rootDir>/pods/<uid>`: unmounts every mount under it first (tmpfs emptyDirs), and
   * refuses to delete anything if one stays mounted, so no data behind a mount is touched.
   * hostPath and PV data live outside that directory and are never touched.
   */
  async tearDown(uid: string): Promise<void> {
    const dir = this.podDir(uid);
    for (const m of await this.opts.mounter.mountsUnder(dir)) await this.opts.mounter.unmount(m);
    const left = await this.opts.mounter.mountsUnder(dir);
    if (left.length > 0) throw new VolumeSetupError(`UnmountVolume.TearDown failed: ${left.join(', ')} still mounted`);
    await fs.rm(dir, { recursive: true, force: true });
    for (const key of this.claimPaths.keys()) if (key.startsWith(`${uid}/`)) this.claimPaths.delete(key);
    for (const w of this.warnedMemory) if (w.startsWith(`${dir}/`)) this.warnedMemory.delete(w);
    this.opts.tokens?.forget(uid);
  }

  /** Milliseconds until a token in the pod's projected volumes is due for refresh (a new setUp rewrites it); undefined: none held. */
  refreshInMs(uid: string): number | undefined {
    return this.opts.tokens?.refreshInMs(uid);
  }
}
