/**
 * nft transactions (`nft -f -` scripts) that bring `table ip bosun-proxy` to a ruleset, built
 * from ruleset.ts's data. Pure text; the data path runs them.
 *
 * Contract:
 * - A script is one transaction: nft applies all of it or none of it.
 * - A full sync declares every fixed and per-service object (`add` is idempotent), empties every
 *   chain and map, deletes the objects the kernel holds but nothing wants, and fills everything
 *   again. It never deletes the table or a wanted affinity set, so ClientIP affinity entries
 *   survive syncs, and established flows never notice one.
 * - An incremental sync touches only the changed Service ports: their map elements that changed,
 *   their chains (emptied and refilled), and their chains and sets that are gone.
 * - Order inside a script respects references: elements and chain rules that name an object are
 *   removed before the object is deleted, and objects exist before rules name them.
 */
import type { ServicePortEntry } from '../../../lib/network/service-table';
import { resolveElementClaims, type ElementConflict } from './element-claims';
import { TABLE } from './names';
import { servicePortRules, baseChains, baseSetElements, baseSets, endpointAddresses, hairpinElement, SET_HAIRPIN, type ChainSpec, type MapElement, type RulesetConfig, type ServiceMapName, type ServicePortRules, type SetSpec } from './ruleset';

/** Objects the kernel holds in the table (listed before a full sync). */
export interface ExistingObjects {
  readonly chains: readonly string[];
  readonly sets: readonly string[];
}

/** A changed Service port: what was installed (absent: new) and what is wanted (absent: removed). */
export interface ServicePortChange {
  readonly before?: ServicePortRules;
  readonly after?: ServicePortRules;
}

const addChain = (c: ChainSpec) => (c.hook ? `add chain ${TABLE} ${c.name} { ${c.hook} }` : `add chain ${TABLE} ${c.name}`);
const addSet = (s: SetSpec) => `add ${s.kind} ${TABLE} ${s.name} ${s.declaration}`;
const addRules = (c: ChainSpec) => c.rules.map((r) => `add rule ${TABLE} ${c.name} ${r}`);

function groupByMap(elements: readonly MapElement[]): Map<ServiceMapName, MapElement[]> {
  const byMap = new Map<ServiceMapName, MapElement[]>();
  for (const e of elements) {
    const list = byMap.get(e.map);
    if (list) list.push(e);
    else byMap.set(e.map, [e]);
  }
  return byMap;
}

function addElements(elements: readonly MapElement[]): string[] {
  return [...groupByMap(elements)].map(([map, list]) => `add element ${TABLE} ${map} { ${list.map((e) => `${e.key} : ${e.verdict}`).join(', ')} }`);
}

function deleteElements(elements: readonly MapElement[]): string[] {
  return [...groupByMap(elements)].map(([map, list]) => `delete element ${TABLE} ${map} { ${list.map((e) => e.key).join(', ')} }`);
}

/** Every port's rules, map-key conflicts resolved (the first port by key keeps a contested key). */
export function desiredPorts(entries: readonly ServicePortEntry[], config: RulesetConfig): { ports: ServicePortRules[]; conflicts: ElementConflict[] } {
  return resolveElementClaims(entries.map((e) => servicePortRules(e, config)));
}

/** The whole ruleset of `entries` as one script onto an empty node (the pure table → nft text view). */
export function rulesetScript(entries: readonly ServicePortEntry[], config: RulesetConfig): string {
  return fullSyncScript(config, desiredPorts(entries, config).ports, { chains: [], sets: [] });
}

/** The script of a full sync. `existing` lists what the kernel holds (empty on a fresh node). */
export function fullSyncScript(config: RulesetConfig, services: readonly ServicePortRules[], existing: ExistingObjects): string {
  const base = baseChains(config);
  const fixedSets = baseSets(config);
  const chains = [...base, ...services.flatMap((s) => s.chains)];
  const sets = [...fixedSets, ...services.flatMap((s) => s.sets)];
  const wantedChains = new Set(chains.map((c) => c.name));
  const wantedSets = new Set(sets.map((s) => s.name));
  const staleChains = existing.chains.filter((c) => !wantedChains.has(c));
  const staleSets = existing.sets.filter((s) => !wantedSets.has(s));
  const lines = [`add table ${TABLE}`, ...chains.map(addChain), ...sets.map(addSet)];
  // Empty everything first: after this no rule or element names a stale object, so it can go.
  lines.push(...[...chains.map((c) => c.name), ...staleChains].map((c) => `flush chain ${TABLE} ${c}`));
  lines.push(...fixedSets.map((s) => `flush ${s.kind} ${TABLE} ${s.name}`));
  lines.push(...staleChains.map((c) => `delete chain ${TABLE} ${c}`), ...staleSets.map((s) => `delete set ${TABLE} ${s}`));
  for (const chain of chains) lines.push(...addRules(chain));
  for (const [set, elements] of baseSetElements(config)) lines.push(`add element ${TABLE} ${set} { ${elements.join(', ')} }`);
  lines.push(...hairpinLines('add', [...endpointAddresses(services)]));
  lines.push(...addElements(services.flatMap((s) => s.elements)));
  return lines.join('\n') + '\n';
}

const elementId = (e: MapElement) => `${e.map}\0${e.key}\0${e.verdict}`;

/** Endpoint addresses joining and leaving the hairpin set in an incremental sync (no other port has them). */
export interface HairpinChange {
  readonly add: readonly string[];
  readonly remove: readonly string[];
}

function hairpinLines(verb: 'add' | 'delete', ips: readonly string[]): string[] {
  return ips.length === 0 ? [] : [`${verb} element ${TABLE} ${SET_HAIRPIN} { ${ips.map(hairpinElement).join(', ')} }`];
}

/** The script of an incremental sync of `changes` (an empty script when nothing changed). */
export function incrementalSyncScript(changes: readonly ServicePortChange[], hairpin: HairpinChange = { add: [], remove: [] }): string {
  const removeElements: MapElement[] = [];
  const insertElements: MapElement[] = [];
  const flush: string[] = [];
  const remove: string[] = [];
  const declare: string[] = [];
  const fill: string[] = [];
  for (const { before, after } of changes) {
    const beforeElements = new Set((before?.elements ?? []).map(elementId));
    const afterElements = new Set((after?.elements ?? []).map(elementId));
    removeElements.push(...(before?.elements ?? []).filter((e) => !afterElements.has(elementId(e))));
    insertElements.push(...(after?.elements ?? []).filter((e) => !beforeElements.has(elementId(e))));
    const afterChains = new Set((after?.chains ?? []).map((c) => c.name));
    const beforeChains = new Set((before?.chains ?? []).map((c) => c.name));
    const afterSets = new Set((after?.sets ?? []).map((s) => s.name));
    const beforeSets = new Set((before?.sets ?? []).map((s) => s.name));
    for (const c of before?.chains ?? []) {
      flush.push(`flush chain ${TABLE} ${c.name}`);
      if (!afterChains.has(c.name)) remove.push(`delete chain ${TABLE} ${c.name}`);
    }
    for (const s of before?.sets ?? []) if (!afterSets.has(s.name)) remove.push(`delete set ${TABLE} ${s.name}`);
    for (const s of after?.sets ?? []) if (!beforeSets.has(s.name)) declare.push(addSet(s));
    for (const c of after?.chains ?? []) {
      if (!beforeChains.has(c.name)) declare.push(addChain(c));
      fill.push(...addRules(c));
    }
  }
  // Chains go before sets in `remove`'s order per port; across ports no object is shared.
  const lines = [
    ...deleteElements(removeElements),
    ...hairpinLines('delete', hairpin.remove),
    ...flush,
    ...remove.sort(byChainsFirst),
    ...declare,
    ...fill,
    ...addElements(insertElements),
    ...hairpinLines('add', hairpin.add),
  ];
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}

/** Deleting a chain first releases its `@set` references, so sets go last. */
function byChainsFirst(a: string, b: string): number {
  return Number(a.startsWith('delete set')) - Number(b.startsWith('delete set'));
}

/** Rules in the table once `services` are installed (fixed chains included). */
export function countRules(config: RulesetConfig, services: Iterable<ServicePortRules>): number {
  let rules = baseChains(config).reduce((n, c) => n + c.rules.length, 0);
  for (const s of services) rules += s.chains.reduce((n, c) => n + c.rules.length, 0);
  return rules;
}
