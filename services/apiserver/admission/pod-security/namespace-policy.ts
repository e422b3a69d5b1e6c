/**
 * A namespace's Pod Security policy, read from its labels as Kubernetes does:
 * `pod-security.kubernetes.io/<mode>: <level>` and `pod-security.kubernetes.io/<mode>-version:
 * <version>` for the modes enforce, audit and warn. An absent label means `privileged` (the
 * default admission configuration) and version `latest`.
 */
import type { FieldError } from '../../../../lib/api/errors';
import { POD_SECURITY_LEVELS, type PodSecurityLevel } from './pod-security-checks';

export const POD_SECURITY_LABEL_PREFIX = 'pod-security.kubernetes.io/';
export const POD_SECURITY_MODES = ['enforce', 'audit', 'warn'] as const;
export type PodSecurityMode = (typeof POD_SECURITY_MODES)[number];

/** A level at a policy version: `restricted:latest`, `baseline:v1.30`. */
export interface LevelVersion {
  readonly level: PodSecurityLevel;
  readonly version: string;
}

export type NamespacePolicy = Readonly<Record<PodSecurityMode, LevelVersion>>;

const LATEST = 'latest';
const VERSION = /^v1\.(0|[1-9][0-9]*)$/;

/** `restricted:latest`, as Kubernetes names a policy in its messages. */
export function policyName(p: LevelVersion): string {
  return `${p.level}:${p.version}`;
}

/**
 * The policy `labels` set, and the labels that are not valid (each a field error on
 * `metadata.labels[<key>]`, Kubernetes' wording). An invalid level is evaluated as `restricted`
 * and an invalid version as `latest`, failing safe as Kubernetes does for a namespace that had
 * such a label before validation existed.
 */
export function namespacePolicy(labels: Readonly<Record<string, string>> | undefined): { policy: NamespacePolicy; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const invalid = (key: string, value: string, why: string) =>
    errors.push({ type: 'FieldValueInvalid', field: `metadata.labels[${key}]`, message: `Invalid value: ${JSON.stringify(value)}: ${why}` });
  const read = (mode: PodSecurityMode): LevelVersion => {
    const levelKey = `${POD_SECURITY_LABEL_PREFIX}${mode}`;
    const versionKey = `${levelKey}-version`;
    const levelLabel = labels?.[levelKey];
    const versionLabel = labels?.[versionKey];
    let level: PodSecurityLevel = 'privileged';
    if (levelLabel !== undefined) {
      if ((POD_SECURITY_LEVELS as readonly string[]).includes(levelLabel)) level = levelLabel as PodSecurityLevel;
      else {
        level = 'restricted';
        invalid(levelKey, levelLabel, `must be one of ${POD_SECURITY_LEVELS.join(', ')}`);
      }
    }
    let version = LATEST;
    if (versionLabel !== undefined) {
      if (versionLabel === LATEST || VERSION.test(versionLabel)) version = versionLabel;
      else invalid(versionKey, versionLabel, 'must be "latest" or "v1.x"');
    }
    return { level, version };
  };
  return { policy: { enforce: read('enforce'), audit: read('audit'), warn: read('warn') }, errors };
}
