#!/usr/bin/env python3
"""Extract Kubernetes' strategic-merge-patch metadata into lib/api/patch/patch-meta.ts.

Which list fields merge by key (`+patchStrategy=merge`, `+patchMergeKey=name`) and which maps
retain only the keys a patch names (`+patchStrategy=retainKeys`) is a protocol fact recorded in
the comments of Kubernetes' generated.proto files. This script reads those files from the bare
upstream mirrors (read-only, via `git show`) and writes, per fully-qualified message name, the
JSON field names that carry a patch strategy.

It also records which protobuf fields Go inlines into their parent's JSON (embedded structs such
as VolumeSource inside Volume, ProbeHandler inside Probe): those are the embedded fields of the
Go types in types.go. Members of an inlined message are listed under the inlined message and,
flattened, under every message that inlines it, so a lookup by (message, JSON key) is direct.

Usage: python3 scripts/k8s-patch-meta-extract.py [--api REPO] [--apimachinery REPO] [--out FILE]
"""

import argparse
import os
import re
import subprocess
import sys

API_REPO = '/work/.mirror/kubernetes+api/repo'
APIMACHINERY_REPO = '/work/.mirror/kubernetes+apimachinery/repo'

# (repo key, directory holding generated.proto and types.go)
PACKAGES = [
    ('api', 'core/v1'),
    ('api', 'apps/v1'),
    ('api', 'batch/v1'),
    ('api', 'autoscaling/v1'),
    ('api', 'autoscaling/v2'),
    ('api', 'coordination/v1'),
    ('api', 'rbac/v1'),
    ('api', 'scheduling/v1'),
    ('api', 'policy/v1'),
    ('api', 'discovery/v1'),
    ('api', 'networking/v1'),
    ('api', 'storage/v1'),
    ('apimachinery', 'pkg/apis/meta/v1'),
]

STRATEGIES = {'merge', 'retainKeys', 'merge,retainKeys', 'replace'}

PACKAGE_RE = re.compile(r'^package\s+([\w.]+)\s*;')
MESSAGE_RE = re.compile(r'^message\s+(\w+)\s*\{')
FIELD_RE = re.compile(r'^\s*(optional|repeated|required)?\s*(map<\s*[\w.]+\s*,\s*[\w.]+\s*>|[\w.]+)\s+(\w+)\s*=\s*(\d+)')
STRATEGY_RE = re.compile(r'^\s*//\s*\+patchStrategy=(\S+)\s*$')
MERGE_KEY_RE = re.compile(r'^\s*//\s*\+patchMergeKey=(\S+)\s*$')

GO_STRUCT_RE = re.compile(r'^type\s+(\w+)\s+struct\s*\{')
# An embedded field: a bare (possibly qualified or pointer) type followed by its tags.
GO_EMBEDDED_RE = re.compile(r'^\s+\*?([\w.]+)\s+`([^`]*)`')
# A named field with a json tag and a protobuf name: JSON name may differ from the proto name.
GO_NAMED_RE = re.compile(r'^\s+\w+\s+[^`]+`([^`]*)`')
JSON_TAG_RE = re.compile(r'json:"([^"]*)"')
PROTO_NAME_RE = re.compile(r'protobuf:"[^"]*name=(\w+)')


def git_show(repo, path):
    try:
        return subprocess.run(['git', '-C', repo, 'show', 'HEAD:' + path], check=True,
                              capture_output=True, text=True).stdout
    except subprocess.CalledProcessError as e:
        sys.exit('cannot read %s from %s: %s' % (path, repo, e.stderr.strip()))


def parse_proto(text):
    """Messages of one generated.proto: {full name: [(field, type, strategy, mergeKey)]}."""
    package = ''
    messages = {}
    current = None
    comments = []
    for line in text.splitlines():
        stripped = line.strip()
        m = PACKAGE_RE.match(stripped)
        if m:
            package = m.group(1)
            continue
        m = MESSAGE_RE.match(line)
        if m:
            current = package + '.' + m.group(1)
            messages[current] = []
            comments = []
            continue
        if current is None:
            continue
        if line.startswith('}'):
            current = None
            comments = []
            continue
        if stripped.startswith('//'):
            comments.append(line)
            continue
        if not stripped:
            comments = []
            continue
        m = FIELD_RE.match(line)
        if m:
            ftype = m.group(2)
            if not ftype.startswith('map<') and '.' not in ftype and ftype[0].isupper():
                ftype = package + '.' + ftype
            ftype = ftype.lstrip('.')
            strategy = None
            merge_key = None
            for c in comments:
                sm = STRATEGY_RE.match(c)
                if sm:
                    strategy = sm.group(1)
                km = MERGE_KEY_RE.match(c)
                if km:
                    merge_key = km.group(1)
            messages[current].append((m.group(3), ftype, strategy, merge_key))
        comments = []
    return package, messages


def parse_go_types(text):
    """Per Go struct: embedded type names and proto-name -> JSON-name overrides."""
    embedded = {}
    json_names = {}
    current = None
    for line in text.splitlines():
        m = GO_STRUCT_RE.match(line)
        if m:
            current = m.group(1)
            embedded[current] = set()
            json_names[current] = {}
            continue
        if current is None:
            continue
        if line.startswith('}'):
            current = None
            continue
        if line.strip().startswith('//'):
            continue
        m = GO_EMBEDDED_RE.match(line)
        if m:
            tags = m.group(2)
            jt = JSON_TAG_RE.search(tags)
            if jt and (jt.group(1) == '' or jt.group(1).startswith(',')):
                embedded[current].add(m.group(1).split('.')[-1])
                continue
        m = GO_NAMED_RE.match(line)
        if m:
            tags = m.group(1)
            jt = JSON_TAG_RE.search(tags)
            pn = PROTO_NAME_RE.search(tags)
            if jt and pn:
                jname = jt.group(1).split(',')[0]
                if jname and jname != '-' and jname != pn.group(1):
                    json_names[current][pn.group(1)] = jname
    return embedded, json_names


def ts_string(s):
    return "'" + s.replace('\\', '\\\\').replace("'", "\\'") + "'"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--api', default=API_REPO)
    ap.add_argument('--apimachinery', default=APIMACHINERY_REPO)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument('--out', default=os.path.join(here, '..', 'lib', 'api', 'patch', 'patch-meta.ts'))
    args = ap.parse_args()
    repos = {'api': args.api, 'apimachinery': args.apimachinery}

    messages = {}   # full name -> [(proto field, type, strategy, mergeKey)]
    embedded = {}   # full name -> set of embedded Go type short names
    json_names = {}  # full name -> {proto name: json name}
    for repo_key, directory in PACKAGES:
        repo = repos[repo_key]
        package, msgs = parse_proto(git_show(repo, directory + '/generated.proto'))
        emb, names = parse_go_types(git_show(repo, directory + '/types.go'))
        messages.update(msgs)
        for short, types in emb.items():
            embedded[package + '.' + short] = types
        for short, m in names.items():
            json_names[package + '.' + short] = m

    # Inline fields: proto fields whose message type is a struct Go embeds in the parent.
    inline = {}
    for name, fields in messages.items():
        emb = embedded.get(name, set())
        inl = [f for (f, t, _, _) in fields if t.split('.')[-1] in emb and t in messages]
        if inl:
            inline[name] = inl

    def own_meta(name):
        out = []
        for (f, _t, strategy, merge_key) in messages[name]:
            if strategy is None and merge_key is None:
                continue
            if strategy not in STRATEGIES:
                sys.exit('%s.%s: unexpected patch strategy %r' % (name, f, strategy))
            if 'merge' in strategy.split(',') and merge_key is None:
                # A primitive list merged as a set (finalizers): no merge key.
                pass
            out.append((json_names.get(name, {}).get(f, f), strategy, merge_key))
        return out

    def flat_meta(name, seen):
        out = list(own_meta(name))
        for f in inline.get(name, []):
            t = next(t for (ff, t, _, _) in messages[name] if ff == f)
            if t not in seen:
                out.extend(flat_meta(t, seen | {t}))
        return out

    lines = [
        '// Written by scripts/k8s-patch-meta-extract.py from the +patchStrategy / +patchMergeKey',
        "// comments of Kubernetes' generated.proto files (k8s.io/api, k8s.io/apimachinery): do not edit.",
        '',
        '/** How a strategic merge patch treats one field (Go struct tags patchStrategy / patchMergeKey). */',
        'export interface PatchFieldMeta {',
        "  /** replace: the patch's value replaces the whole field (a map is not merged member by member). */",
        "  strategy: 'merge' | 'retainKeys' | 'merge,retainKeys' | 'replace';",
        '  /** Key identifying list elements (lists of objects with strategy merge); absent for sets of primitives. */',
        '  mergeKey?: string;',
        '}',
        '',
        '/**',
        ' * Message full name (`k8s.io.api.core.v1.PodSpec`) -> JSON field name -> patch metadata. Members of',
        ' * Go-inlined messages (see PATCH_INLINE_FIELDS) are also listed under the message that inlines them.',
        ' */',
        'export const PATCH_META: Readonly<Record<string, Readonly<Record<string, PatchFieldMeta>>>> = {',
    ]
    count = 0
    for name in sorted(messages):
        meta = flat_meta(name, {name})
        if not meta:
            continue
        entries = []
        for (jname, strategy, merge_key) in meta:
            e = '%s: { strategy: %s' % (ts_string(jname), ts_string(strategy))
            if merge_key is not None:
                e += ', mergeKey: %s' % ts_string(merge_key)
            entries.append(e + ' }')
            count += 1
        lines.append('  %s: { %s },' % (ts_string(name), ', '.join(entries)))
    lines.append('};')
    lines.append('')
    lines.append('/**')
    lines.append(" * Message full name -> protobuf fields whose members Go inlines into the message's JSON")
    lines.append(' * (embedded structs: VolumeSource in Volume, ProbeHandler in Probe, LocalObjectReference, ...).')
    lines.append(' */')
    lines.append('export const PATCH_INLINE_FIELDS: Readonly<Record<string, ReadonlyArray<string>>> = {')
    for name in sorted(inline):
        lines.append('  %s: [%s],' % (ts_string(name), ', '.join(ts_string(f) for f in inline[name])))
    lines.append('};')
    lines.append('')

    with open(args.out, 'w') as fh:
        fh.write('\n'.join(lines))
    print('wrote %s: %d messages, %d patch fields, %d inlining messages' % (
        os.path.relpath(args.out), sum(1 for n in messages if flat_meta(n, {n})), count, len(inline)))


if __name__ == '__main__':
    main()
