/**
 * The apiserver's `--encryption-provider-config` file: Kubernetes' EncryptionConfiguration
 * (apiserver.config.k8s.io/v1), YAML or JSON. Each entry of `resources` names resources
 * (`secrets`, `deployments.apps`, `*.apps`, `*.*`) and an ordered provider list; a resource takes
 * the first entry naming it. Providers: `aesgcm` and `aescbc` with named base64 keys (the first
 * key of the first provider encrypts new writes, every listed key reads), and `identity`. Every
 * mistake is a ConfigError naming the field.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../../lib/config-error';
import { AES_KEY_BYTES, aesCbcProvider, aesGcmProvider, IDENTITY_PROVIDER, type EncryptionProvider } from './providers';
import { providerTransformer, type ValueTransformer } from './value-transformer';

const API_VERSION = 'apiserver.config.k8s.io/v1';
const KIND = 'EncryptionConfiguration';
const KEYED_PROVIDERS = { aesgcm: aesGcmProvider, aescbc: aesCbcProvider } as const;
/** Providers Kubernetes has that Bosun does not (named in the error). */
const UNSUPPORTED_PROVIDERS = ['secretbox', 'kms'];

interface Rule {
  readonly patterns: readonly string[];
  readonly transformer: ValueTransformer;
}

/** The parsed configuration: which transformer stores each resource. */
export class EncryptionConfig {
  constructor(private readonly rules: readonly Rule[]) {}

  /** The transformer of `group`/`resource` (core group ''), or undefined when it is stored as is. */
  transformerFor(group: string, resource: string): ValueTransformer | undefined {
    const full = group === '' ? resource : `${resource}.${group}`;
    for (const rule of this.rules) {
      for (const p of rule.patterns) {
        if (p === full || p === '*.*' || (p.startsWith('*.') && p.slice(2) === group) || (p === '*.' && group === '')) return rule.transformer;
      }
    }
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function keyedProviders(kind: keyof typeof KEYED_PROVIDERS, body: unknown, at: string): EncryptionProvider[] {
  if (!isObject(body) || !Array.isArray(body.keys) || body.keys.length === 0) throw new ConfigError(`${at}.keys: at least one key is required`);
  const seen = new Set<string>();
  return body.keys.map((k: unknown, i: number) => {
    const where = `${at}.keys[${i}]`;
    if (!isObject(k) || typeof k.name !== 'string' || k.name === '') throw new ConfigError(`${where}.name: required`);
    if (k.name.includes(':')) throw new ConfigError(`${where}.name: "${k.name}" must not contain ":"`);
    if (seen.has(k.name)) throw new ConfigError(`${where}.name: "${k.name}" is listed twice`);
    seen.add(k.name);
    if (typeof k.secret !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(k.secret)) throw new ConfigError(`${where}.secret: required, base64`);
    const secret = Buffer.from(k.secret, 'base64');
    if (!AES_KEY_BYTES.includes(secret.length)) throw new ConfigError(`${where}.secret: ${secret.length} bytes; an AES key is ${AES_KEY_BYTES.join(', ')} bytes (e.g. head -c 32 /dev/urandom | base64)`);
    return KEYED_PROVIDERS[kind](k.name, secret);
  });
}

function providersOf(list: unknown, at: string): EncryptionProvider[] {
  if (!Array.isArray(list) || list.length === 0) throw new ConfigError(`${at}: at least one provider is required`);
  return list.flatMap((entry: unknown, i: number) => {
    const where = `${at}[${i}]`;
    if (!isObject(entry) || Object.keys(entry).length !== 1) throw new ConfigError(`${where}: exactly one of aesgcm, aescbc, identity`);
    const [kind, body] = Object.entries(entry)[0]!;
    if (kind === 'identity') return [IDENTITY_PROVIDER];
    if (kind === 'aesgcm' || kind === 'aescbc') return keyedProviders(kind, body, `${where}.${kind}`);
    if (UNSUPPORTED_PROVIDERS.includes(kind)) throw new ConfigError(`${where}.${kind}: not supported by Bosun; use aesgcm`);
    throw new ConfigError(`${where}: unknown provider "${kind}"`);
  });
}

/** Parses an EncryptionConfiguration document (see the file comment). */
export function parseEncryptionConfig(text: string, source = 'the encryption configuration'): EncryptionConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${source}: not YAML or JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw new ConfigError(`${source}: not an object`);
  if (doc.apiVersion !== API_VERSION) throw new ConfigError(`${source}: apiVersion: "${String(doc.apiVersion ?? '')}", want ${API_VERSION}`);
  if (doc.kind !== KIND) throw new ConfigError(`${source}: kind: "${String(doc.kind ?? '')}", want ${KIND}`);
  if (!Array.isArray(doc.resources) || doc.resources.length === 0) throw new ConfigError(`${source}: resources: at least one entry is required`);
  const rules = doc.resources.map((entry: unknown, i: number): Rule => {
    const at = `resources[${i}]`;
    if (!isObject(entry) || !Array.isArray(entry.resources) || entry.resources.length === 0) throw new ConfigError(`${source}: ${at}.resources: at least one resource is required`);
    const patterns = entry.resources.map((r: unknown, j: number) => {
      if (typeof r !== 'string' || r === '' || /[^a-z0-9.*-]/.test(r)) throw new ConfigError(`${source}: ${at}.resources[${j}]: "${String(r)}" is not a resource (secrets, deployments.apps, *.apps, *.*)`);
      return r;
    });
    try {
      return { patterns, transformer: providerTransformer(providersOf(entry.providers, `${at}.providers`)) };
    } catch (err) {
      if (err instanceof ConfigError) throw new ConfigError(`${source}: ${err.message}`);
      throw err;
    }
  });
  return new EncryptionConfig(rules);
}

/** Bytes of the AES key ensureEncryptionConfig makes (AES-256). */
const GENERATED_KEY_BYTES = 32;

/** Where `bosun up` and `bosun kubeconfigs --cert-dir` keep the encryption configuration, in the cert directory. */
export const ENCRYPTION_CONFIG_FILE = 'encryption-config.yaml';

/**
 * Makes `file` when missing: Secrets encrypted with AES-GCM under a new random key `key1`, plain
 * values still readable (identity second), readable by its owner only — what `bosun up` and
 * compose start the apiservers with. An existing file is left as it is (its keys are the data's).
 */
export function ensureEncryptionConfig(file: string): void {
  if (fs.existsSync(file)) return;
  const secret = crypto.randomBytes(GENERATED_KEY_BYTES).toString('base64');
  const text = [
    `apiVersion: ${API_VERSION}`,
    `kind: ${KIND}`,
    'resources:',
    '  - resources: [secrets]',
    '    providers:',
    '      - aesgcm:',
    '          keys:',
    '            - name: key1',
    `              secret: ${secret}`,
    '      - identity: {}',
    '',
  ].join('\n');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
}

/** Reads and parses the file `--encryption-provider-config` names. */
export function readEncryptionConfig(file: string): EncryptionConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`--encryption-provider-config: cannot read ${file}: ${(err as Error).message}`);
  }
  return parseEncryptionConfig(text, `--encryption-provider-config ${file}`);
}
