/**
 * Kubernetes' projected ServiceAccount token volume, as ServiceAccount admission adds it to a
 * pod: a `kube-api-access-<5 chars>` projected volume (a bound token at `token`, the cluster CA
 * from the `kube-root-ca.crt` ConfigMap at `ca.crt`, the pod's namespace at `namespace`) mounted
 * read-only at {@link SERVICE_ACCOUNT_MOUNT_PATH} in every container and init container.
 */
import * as crypto from 'node:crypto';
import type { Container, Pod, Volume } from '../../../lib/api/types/core';

/** Where containers find their credentials (Kubernetes' DefaultAPITokenMountPath). */
export const SERVICE_ACCOUNT_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The volume's name prefix; 5 random characters follow. */
export const TOKEN_VOLUME_PREFIX = 'kube-api-access-';
/** The ConfigMap the root-ca-cert-publisher keeps in every namespace, and its key. */
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
export const ROOT_CA_KEY = 'ca.crt';
/**
 * The token lifetime the volume asks for, seconds: Kubernetes' 3607 (an hour and 7 s, a value no
 * one types by hand, so a token with it is known to come from this volume).
 */
export const TOKEN_VOLUME_EXPIRATION_SECONDS = 3607;
/** The mode of the volume's files (0644). */
const TOKEN_VOLUME_MODE = 0o644;
/** Kubernetes' rand.String alphabet (no vowels, no look-alike digits). */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const SUFFIX_LENGTH = 5;

/** The projected volume (`name`: kube-api-access-xxxxx). */
export function tokenVolume(name: string): Volume {
  return {
    name,
    projected: {
      defaultMode: TOKEN_VOLUME_MODE,
      sources: [
        { serviceAccountToken: { expirationSeconds: TOKEN_VOLUME_EXPIRATION_SECONDS, path: 'token' } },
        { configMap: { name: ROOT_CA_CONFIGMAP, items: [{ key: ROOT_CA_KEY, path: ROOT_CA_KEY }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  };
}

/** A new volume name: the prefix and 5 random characters. */
export function newTokenVolumeName(): string {
  let suffix = '';
  for (let i = 0; i < SUFFIX_LENGTH; i++) suffix += SUFFIX_ALPHABET[crypto.randomInt(SUFFIX_ALPHABET.length)];
  return TOKEN_VOLUME_PREFIX + suffix;
}

/** True when the container already mounts something at the credentials path. */
function mountsCredentials(c: Container): boolean {
  return (c.volumeMounts ?? []).some((m) => (m.mountPath ?? '').replace(/\/+$/, '') === SERVICE_ACCOUNT_MOUNT_PATH);
}

/**
 * Adds the volume and its mounts to `pod` (mutated): each container and init container that
 * mounts nothing at the credentials path gets the mount; the volume is added when at least one
 * does. A pod that already has a kube-api-access volume (re-admitted) is left alone.
 */
export function addTokenVolume(pod: Pod, name = newTokenVolumeName()): void {
  const spec = (pod.spec ??= {});
  if ((spec.volumes ?? []).some((v) => (v.name ?? '').startsWith(TOKEN_VOLUME_PREFIX))) return;
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])].filter((c) => !mountsCredentials(c));
  if (containers.length === 0) return;
  for (const c of containers) c.volumeMounts = [...(c.volumeMounts ?? []), { name, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT_PATH }];
  spec.volumes = [...(spec.volumes ?? []), tokenVolume(name)];
}
