/**
 * Kubernetes' audit policy (`--audit-policy-file`, audit.k8s.io/v1 Policy, YAML or JSON): an
 * ordered list of rules; the first rule matching a request gives its level (None, Metadata,
 * Request, RequestResponse) and the stages left out; a request no rule matches is not logged.
 * A rule matches on every list it sets (users, userGroups, verbs, resources — group, resources
 * with `pods/log`, `*`, `*\/scale` forms, resourceNames —, namespaces, nonResourceURLs); an
 * empty or absent list matches anything. Mistakes are ConfigErrors naming the field.
 */
import * as fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../../lib/config-error';

export const AUDIT_LEVELS = ['None', 'Metadata', 'Request', 'RequestResponse'] as const;
export type AuditLevel = (typeof AUDIT_LEVELS)[number];
export const AUDIT_STAGES = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'] as const;
export type AuditStage = (typeof AUDIT_STAGES)[number];

/** What the policy is asked about one request. */
export interface AuditAttributes {
  readonly user: string;
  readonly groups: readonly string[];
  readonly verb: string;
  readonly apiGroup?: string;
  readonly resource?: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
  /** Set for non-resource requests. */
  readonly path?: string;
}

interface GroupResources {
  readonly group: string;
  readonly resources: readonly string[];
  readonly resourceNames: readonly string[];
}

interface Rule {
  readonly level: AuditLevel;
  readonly users: readonly string[];
  readonly userGroups: readonly string[];
  readonly verbs: readonly string[];
  readonly resources: readonly GroupResources[];
  readonly namespaces: readonly string[];
  readonly nonResourceURLs: readonly string[];
  readonly omitStages: readonly AuditStage[];
}

/** The level and omitted stages of one request. */
export interface AuditDecision {
  readonly level: AuditLevel;
  readonly omitStages: ReadonlySet<AuditStage>;
}

const NOT_LOGGED: AuditDecision = { level: 'None', omitStages: new Set() };

function strings(value: unknown, at: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new ConfigError(`${at}: must be a list of strings`);
  return value as string[];
}

function stages(value: unknown, at: string): AuditStage[] {
  const list = strings(value, at);
  for (const [i, s] of list.entries()) if (!(AUDIT_STAGES as readonly string[]).includes(s)) throw new ConfigError(`${at}[${i}]: "${s}" is not a stage (${AUDIT_STAGES.join(', ')})`);
  return list as AuditStage[];
}

const listMatches = (list: readonly string[], value: string | undefined) => list.length === 0 || (value !== undefined && list.includes(value));

function resourceMatches(r: GroupResources, a: AuditAttributes): boolean {
  if (r.group !== (a.apiGroup ?? '')) return false;
  if (r.resources.length > 0) {
    const full = a.subresource ? `${a.resource}/${a.subresource}` : (a.resource ?? '');
    const ok = r.resources.some((p) => p === full || p === '*' || (a.subresource !== undefined && (p === `${a.resource}/*` || p === `*/${a.subresource}`)));
    if (!ok) return false;
  }
  return listMatches(r.resourceNames, a.name);
}

function urlMatches(patterns: readonly string[], path: string): boolean {
  return patterns.some((p) => p === path || (p.endsWith('*') && path.startsWith(p.slice(0, -1))));
}

function ruleMatches(rule: Rule, a: AuditAttributes): boolean {
  if (!listMatches(rule.users, a.user)) return false;
  if (rule.userGroups.length > 0 && !a.groups.some((g) => rule.userGroups.includes(g))) return false;
  if (!listMatches(rule.verbs, a.verb)) return false;
  if (a.path !== undefined) {
    // A non-resource request: only rules without resource constraints match.
    if (rule.resources.length > 0 || rule.namespaces.length > 0) return false;
    return rule.nonResourceURLs.length === 0 || urlMatches(rule.nonResourceURLs, a.path);
  }
  if (rule.nonResourceURLs.length > 0) return false;
  if (rule.namespaces.length > 0 && !rule.namespaces.includes(a.namespace ?? '')) return false;
  return rule.resources.length === 0 || rule.resources.some((r) => resourceMatches(r, a));
}

/** A parsed policy (see the file comment). */
export class AuditPolicy {
  constructor(
    private readonly rules: readonly Rule[],
    private readonly omitStages: readonly AuditStage[],
  ) {}

  decide(a: AuditAttributes): AuditDecision {
    const rule = this.rules.find((r) => ruleMatches(r, a));
    if (!rule) return NOT_LOGGED;
    return { level: rule.level, omitStages: new Set([...this.omitStages, ...rule.omitStages]) };
  }
}

/** Parses an audit.k8s.io/v1 Policy document. */
export function parseAuditPolicy(text: string, source = 'the audit policy'): AuditPolicy {
  let doc: Record<string, unknown>;
  try {
    doc = parseYaml(text) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`${source}: not YAML or JSON: ${(err as Error).message}`);
  }
  const fail = (msg: string): never => {
    throw new ConfigError(`${source}: ${msg}`);
  };
  if (typeof doc !== 'object' || doc === null) fail('not an object');
  if (doc.apiVersion !== 'audit.k8s.io/v1') fail(`apiVersion: "${String(doc.apiVersion ?? '')}", want audit.k8s.io/v1`);
  if (doc.kind !== 'Policy') fail(`kind: "${String(doc.kind ?? '')}", want Policy`);
  if (!Array.isArray(doc.rules) || doc.rules.length === 0) fail('rules: at least one rule is required');
  try {
    const rules = (doc.rules as unknown[]).map((raw, i): Rule => {
      const at = `rules[${i}]`;
      if (typeof raw !== 'object' || raw === null) throw new ConfigError(`${at}: not an object`);
      const r = raw as Record<string, unknown>;
      if (!(AUDIT_LEVELS as readonly unknown[]).includes(r.level)) throw new ConfigError(`${at}.level: "${String(r.level ?? '')}" is not one of ${AUDIT_LEVELS.join(', ')}`);
      const resources = r.resources === undefined ? [] : r.resources;
      if (!Array.isArray(resources)) throw new ConfigError(`${at}.resources: must be a list`);
      const groupResources = resources.map((g: unknown, j: number): GroupResources => {
        const gr = (g ?? {}) as Record<string, unknown>;
        if (gr.group !== undefined && typeof gr.group !== 'string') throw new ConfigError(`${at}.resources[${j}].group: must be a string`);
        return { group: (gr.group as string | undefined) ?? '', resources: strings(gr.resources, `${at}.resources[${j}].resources`), resourceNames: strings(gr.resourceNames, `${at}.resources[${j}].resourceNames`) };
      });
      const nonResourceURLs = strings(r.nonResourceURLs, `${at}.nonResourceURLs`);
      if (nonResourceURLs.length > 0 && (groupResources.length > 0 || r.namespaces !== undefined)) throw new ConfigError(`${at}: nonResourceURLs cannot be combined with resources or namespaces`);
      return {
        level: r.level as AuditLevel,
        users: strings(r.users, `${at}.users`),
        userGroups: strings(r.userGroups, `${at}.userGroups`),
        verbs: strings(r.verbs, `${at}.verbs`),
        resources: groupResources,
        namespaces: strings(r.namespaces, `${at}.namespaces`),
        nonResourceURLs,
        omitStages: stages(r.omitStages, `${at}.omitStages`),
      };
    });
    return new AuditPolicy(rules, stages(doc.omitStages, 'omitStages'));
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${source}: ${err.message}`);
    throw err;
  }
}

/** Reads `--audit-policy-file`. */
export function readAuditPolicy(file: string): AuditPolicy {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`--audit-policy-file: cannot read ${file}: ${(err as Error).message}`);
  }
  return parseAuditPolicy(text, `--audit-policy-file ${file}`);
}
