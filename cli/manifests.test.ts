import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { parseManifests, readManifests } from './manifests';

describe('manifests', () => {
  it('reads YAML multi-document streams, skipping empty documents', () => {
    const r = parseManifests('---\napiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: b\n', 'f.yaml');
    expect(r.errors).to.deep.equal([]);
    expect(r.manifests.map((m) => `${m.source} ${m.object.kind}/${m.object.metadata.name}`)).to.deep.equal(['f.yaml Pod/a', 'f.yaml Deployment/b']);
  });

  it('expands kind: List and *List items, and reads JSON', () => {
    const json = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c1' } }, { apiVersion: 'v1', kind: 'PodList', items: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }] }] });
    const r = parseManifests(json, 'l.json');
    expect(r.manifests.map((m) => m.object.metadata.name)).to.deep.equal(['c1', 'p']);
  });

  it('names the file and line of bad YAML, keeping the documents before it', () => {
    const r = parseManifests('apiVersion: v1\nkind: Pod\nmetadata: {name: ok}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   bad: [\n', 'bad.yaml');
    expect(r.manifests.map((m) => m.object.metadata.name)).to.deep.equal(['ok']);
    expect(r.errors).to.have.length(1);
    expect(r.errors[0]!.message).to.match(/^error: error parsing bad\.yaml: error converting YAML to JSON: yaml: line \d+: /);
    expect(r.errors[0]!.message).to.match(/line (8|9):/);
  });

  it('reports objects without apiVersion or kind like kubectl validation', () => {
    const r = parseManifests('metadata: {name: x}\n', 'f.yaml');
    expect(r.errors.map((e) => e.message)).to.deep.equal(['error: error validating "f.yaml": error validating data: [apiVersion not set, kind not set]']);
  });

  it('reads a directory (.yaml/.yml/.json, sorted, not recursive), stdin once, and names missing paths', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-manifests-'));
    try {
      fs.writeFileSync(path.join(dir, 'b.yml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: b}\n');
      fs.writeFileSync(path.join(dir, 'a.json'), '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"}}');
      fs.writeFileSync(path.join(dir, 'notes.txt'), 'ignored');
      fs.mkdirSync(path.join(dir, 'sub'));
      fs.writeFileSync(path.join(dir, 'sub', 'c.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: c}\n');
      const r = await readManifests(['.', '-', '-', 'nope.yaml'], { cwd: dir, stdin: Readable.from(['apiVersion: v1\nkind: Pod\nmetadata: {name: s}\n']) });
      expect(r.manifests.map((m) => `${m.source}:${m.object.metadata.name}`)).to.deep.equal(['a.json:a', 'b.yml:b', 'STDIN:s']);
      expect(r.errors.map((e) => e.message)).to.deep.equal(['error: the path "nope.yaml" does not exist']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
