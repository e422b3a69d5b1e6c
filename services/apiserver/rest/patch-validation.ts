import { parseJsonText } from '../../../lib/api/body/json-text';
import { parseYamlText } from '../../../lib/api/body/yaml-text';
import { apiVersionOf, type ResourceInfo } from '../../../lib/api/object';
import { APPLY_PATCH_TYPE, JSON_PATCH_TYPE, patchMediaType, SUPPORTED_PATCH_TYPES } from '../../../lib/api/patch';
import { duplicateFields, enforceFieldValidation, unknownFields, type FieldValidation } from './field-validation';

/** A patch body as text and its parsed value (`yaml`: an apply patch written in YAML). */
export interface ParsedPatch {
  readonly text: string;
  readonly yaml: boolean;
  readonly value: unknown;
}

/**
 * A patch body of a supported `patchType`, parsed so that a malformed or too deeply nested
 * patch is a 400 in the client's terms before the patch code sees it (undefined for a type no
 * one serves: applying it answers 415). An apply patch may be YAML (kubectl sends JSON; other
 * clients and curl send YAML); every other patch is JSON.
 */
export function parsePatch(patchType: string, patch: Buffer | string): ParsedPatch | undefined {
  const type = patchMediaType(patchType);
  if (!SUPPORTED_PATCH_TYPES.includes(type)) return undefined;
  const text = typeof patch === 'string' ? patch : patch.toString('utf8');
  const yaml = type === APPLY_PATCH_TYPE && !text.trimStart().startsWith('{');
  return { text, yaml, value: yaml ? parseYamlText(text, 'the apply patch') : parseJsonText(text, 'the patch') };
}

/**
 * Server-side field validation of a patch of `info`'s kind: fields the kind does not have and
 * keys given twice (JSON patches excepted: they name paths, not fields). `Strict` throws a 400
 * naming them; `Warn` (the default) returns one warning per problem; `Ignore` returns none.
 * Throws 400 for a malformed patch.
 */
export function patchFieldWarnings(info: ResourceInfo, patchType: string, patch: Buffer | string, mode: FieldValidation = 'Warn'): string[] {
  const parsed = parsePatch(patchType, patch);
  const warnings: string[] = [];
  if (parsed === undefined || mode === 'Ignore' || patchMediaType(patchType) === JSON_PATCH_TYPE) return warnings;
  const duplicates = parsed.yaml ? [] : duplicateFields(parsed.text);
  enforceFieldValidation(mode, unknownFields(parsed.value, apiVersionOf(info), info.kind), duplicates, warnings);
  return warnings;
}
