#!/usr/bin/env python3
"""Extract Kubernetes' field documentation into lib/api/openapi/field-docs.ts.

The description of every API type and field (what `kubectl explain deployment.spec.replicas`
prints) is a protocol fact recorded in the comments of Kubernetes' generated.proto files. This
script reads those files from the bare upstream mirrors (read-only, via `git show`) and writes,
per fully-qualified message name, the message's description and each field's description.

Only the first paragraph of each comment is kept, without `+tag` lines, and only for messages
that lib/api/proto/schema.ts knows (the messages reachable from the kinds Bosun serves), so the
generated file stays small.

A field is required as Kubernetes' OpenAPI generator decides it: tagged `+required` (or
`+k8s:required`) in the proto comments, or a field of the Go type (types.go, next to each
generated.proto) whose json tag has no `omitempty` and whose comment has no `+optional`.

Usage: python3 scripts/k8s-openapi-docs-extract.py [--api REPO] [--apimachinery REPO]
                                                    [--schema FILE] [--out FILE]
"""

import argparse
import json
import os
import re
import subprocess
import sys

API_REPO = '/work/.mirror/kubernetes+api/repo'
APIMACHINERY_REPO = '/work/.mirror/kubernetes+apimachinery/repo'

# (repo key, path of a generated.proto)
PROTO_FILES = [
    ('api', 'core/v1/generated.proto'),
    ('api', 'apps/v1/generated.proto'),
    ('api', 'batch/v1/generated.proto'),
    ('api', 'autoscaling/v1/generated.proto'),
    ('api', 'autoscaling/v2/generated.proto'),
    ('api', 'coordination/v1/generated.proto'),
    ('api', 'rbac/v1/generated.proto'),
    ('api', 'scheduling/v1/generated.proto'),
    ('api', 'policy/v1/generated.proto'),
    ('api', 'discovery/v1/generated.proto'),
    ('api', 'networking/v1/generated.proto'),
    ('api', 'storage/v1/generated.proto'),
    ('apimachinery', 'pkg/apis/meta/v1/generated.proto'),
    ('apimachinery', 'pkg/runtime/generated.proto'),
    ('apimachinery', 'pkg/api/resource/generated.proto'),
    ('apimachinery', 'pkg/util/intstr/generated.proto'),
]

PACKAGE_RE = re.compile(r'^package\s+([\w.]+)\s*;')
MESSAGE_RE = re.compile(r'^message\s+(\w+)\s*\{')
FIELD_RE = re.compile(r'^\s*(?:optional|repeated|required)?\s*(?:map<\s*[\w.]+\s*,\s*[\w.]+\s*>|[\w.]+)\s+(\w+)\s*=\s*\d+')
COMMENT_RE = re.compile(r'^\s*//\s?(.*)$')
REQUIRED_RE = re.compile(r'^\s*\+(?:k8s:)?required\s*$')
# The Go files of each package whose struct fields decide what is required (see go_required).
GO_FILES = {'pkg/apis/meta/v1': ['types.go', 'watch.go']}
GO_STRUCT_RE = re.compile(r'^type\s+(\w+)\s+struct\s*\{')
GO_FIELD_RE = re.compile(r'^\s+\w+\s+[^`]+`([^`]*)`')
GO_OPTIONAL_RE = re.compile(r'^\s*//\s*\+(?:k8s:)?optional\b')
# Not in schema.ts (Go inlines it into every kind), but its apiVersion/kind docs are wanted.
EXTRA_MESSAGES = {'k8s.io.apimachinery.pkg.apis.meta.v1.TypeMeta'}
SCHEMA_KEY_RE = re.compile(r"^  '([\w.]+)': \[", re.M)


def git_show(repo, path, missing_ok=False):
    if missing_ok and subprocess.run(['git', '-C', repo, 'cat-file', '-e', 'HEAD:' + path], capture_output=True).returncode != 0:
        return ''
    try:
        return subprocess.run(['git', '-C', repo, 'show', 'HEAD:' + path], check=True,
                              capture_output=True, text=True).stdout
    except subprocess.CalledProcessError as e:
        sys.exit(f'cannot read {path} from {repo}: {e.stderr.strip()}')


def first_paragraph(lines):
    """The comment's first paragraph as one line: tag lines dropped, stops at a blank line."""
    words = []
    for line in lines:
        text = line.strip()
        if text.startswith('+'):
            continue
        if text.startswith('TODO'):  # notes to maintainers, not documentation (upstream drops them too)
            break
        if not text:
            if words:
                break
            continue
        if text == '---':
            break
        words.append(text)
    return ' '.join(words)


def parse(text):
    """Yield (message full name, message doc, {field: doc}, [required field]) per top-level message."""
    package = ''
    comment = []
    message = None
    depth = 0
    for raw in text.splitlines():
        line = raw.strip()
        m = COMMENT_RE.match(raw)
        if m:
            comment.append(m.group(1))
            continue
        if depth == 0:
            pm = PACKAGE_RE.match(line)
            if pm:
                package = pm.group(1)
            mm = MESSAGE_RE.match(line)
            if mm:
                message = (f'{package}.{mm.group(1)}', first_paragraph(comment), {}, [])
            comment = []
        elif depth == 1 and message is not None:
            fm = FIELD_RE.match(raw)
            if fm and not re.match(r'(message|enum|option|reserved)\s', line):
                doc = first_paragraph(comment)
                field = JSON_NAMES.get(fm.group(1), fm.group(1))
                if doc:
                    message[2][field] = doc
                if any(REQUIRED_RE.match(c) for c in comment):
                    message[3].append(field)
            if line:
                comment = []
        depth += line.count('{') - line.count('}')
        if depth == 0 and message is not None and '}' in line:
            yield message
            message = None


# Proto field names that differ from the JSON key; proto/k8s names them as JSON does (see
# k8s-proto-extract.py).
JSON_NAMES = {'aPIGroup': 'apiGroup'}


def go_required(text):
    """{Go struct: [protobuf field names]} of the fields Kubernetes' OpenAPI marks required: a json
    name without omitempty and no +optional comment tag (embedded, inlined structs excluded)."""
    out = {}
    struct = None
    optional = False
    for line in text.splitlines():
        m = GO_STRUCT_RE.match(line)
        if m:
            struct, optional = m.group(1), False
            continue
        if struct is None:
            continue
        if line.startswith('}'):
            struct = None
            continue
        if line.strip().startswith('//'):
            optional = optional or bool(GO_OPTIONAL_RE.match(line))
            continue
        m = GO_FIELD_RE.match(line)
        if m:
            json_tag = re.search(r'json:"([^"]*)"', m.group(1))
            proto_name = re.search(r'protobuf:"[^"]*name=(\w+)', m.group(1))
            if json_tag and proto_name and not optional:
                name, *opts = json_tag.group(1).split(',')
                if name and name != '-' and 'omitempty' not in opts and 'inline' not in opts:
                    out.setdefault(struct, []).append(JSON_NAMES.get(proto_name.group(1), proto_name.group(1)))
        optional = False
    return out


def ts_string(s):
    # JSON string literals are valid TypeScript; single quotes keep the file in the repo's style.
    body = json.dumps(s, ensure_ascii=False)[1:-1].replace("\\\"", '"').replace("'", "\\'")
    return f"'{body}'"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--api', default=API_REPO)
    ap.add_argument('--apimachinery', default=APIMACHINERY_REPO)
    ap.add_argument('--schema', default=os.path.join(root, 'lib/api/proto/schema.ts'))
    ap.add_argument('--out', default=os.path.join(root, 'lib/api/openapi/field-docs.ts'))
    args = ap.parse_args()
    repos = {'api': args.api, 'apimachinery': args.apimachinery}

    with open(args.schema, encoding='utf-8') as f:
        wanted = set(SCHEMA_KEY_RE.findall(f.read())) | EXTRA_MESSAGES
    docs = {}
    for repo, path in PROTO_FILES:
        text = git_show(repos[repo], path)
        package = next(PACKAGE_RE.match(l).group(1) for l in text.splitlines() if PACKAGE_RE.match(l))
        folder = os.path.dirname(path)
        by_struct = {}
        for go_file in GO_FILES.get(folder, ['types.go']):
            for struct, fields in go_required(git_show(repos[repo], f'{folder}/{go_file}', missing_ok=True)).items():
                by_struct.setdefault(struct, []).extend(fields)
        for name, doc, fields, required in parse(text):
            if name in wanted:
                extra = [f for f in by_struct.get(name[len(package) + 1:], []) if f not in required]
                docs[name] = (doc, fields, required + extra)

    out = [
        '// Written by scripts/k8s-openapi-docs-extract.py from the comments of Kubernetes\'',
        '// generated.proto files (k8s.io/api, k8s.io/apimachinery): do not edit.',
        '',
        '/** A message\'s description, its fields\' descriptions, and its required fields. */',
        'export type MessageDocs = readonly [string, Readonly<Record<string, string>>, ReadonlyArray<string>?];',
        '',
        '/**',
        ' * Message full name (`k8s.io.api.apps.v1.DeploymentSpec`) -> [the message\'s description, protobuf',
        ' * field name -> the field\'s description, the fields tagged `+required` (when any)]. First',
        ' * paragraph of each upstream comment, tags dropped.',
        ' */',
        'export const FIELD_DOCS: Readonly<Record<string, MessageDocs>> = {',
    ]
    for name in sorted(docs):
        doc, fields, required = docs[name]
        members = ', '.join(f'{ts_string(k)}: {ts_string(v)}' for k, v in fields.items())
        entry = f'{ts_string(doc)}, {{ {members} }}' if members else f'{ts_string(doc)}, {{}}'
        if required:
            entry += ', [' + ', '.join(ts_string(r) for r in required) + ']'
        out.append(f'  {ts_string(name)}: [{entry}],')
    out.append('};')
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, 'w', encoding='utf-8') as f:
        f.write('\n'.join(out) + '\n')
    missing = sorted(wanted - set(docs))
    print(f'{args.out}: {len(docs)} messages, {sum(len(d[1]) for d in docs.values())} fields'
          + (f'; no upstream comment block for {missing}' if missing else ''), file=sys.stderr)


if __name__ == '__main__':
    main()
