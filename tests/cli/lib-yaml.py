#!/usr/bin/env python3
"""A small YAML reader for the subset the examples use, since PyYAML and
ruby are not on every test machine: block mappings and sequences, plain and
quoted scalars, flow sequences of scalars ([1, 2]), literal blocks (|),
comments and '---' between documents. Anything else (tabs, anchors, a line
indented where no block can start, a duplicate key) is an error with its
line number, so a file it reads is valid YAML of that subset.

  lib-yaml.py FILE            print the documents as JSON, one per line
"""
import json
import re
import sys


class YamlError(Exception):
    pass


def scalar(text, n):
    t = text.strip()
    if t[:1] in "'\"":
        if len(t) < 2 or t[-1] != t[0]:
            raise YamlError("line %d: unclosed quote: %s" % (n, t))
        return t[1:-1]
    if t.startswith("["):
        if not t.endswith("]"):
            raise YamlError("line %d: unclosed flow sequence: %s" % (n, t))
        inner = t[1:-1].strip()
        return [scalar(x, n) for x in inner.split(",")] if inner else []
    if t[:1] in "&*!{%@`":
        raise YamlError("line %d: not in the subset: %s" % (n, t))
    if re.fullmatch(r"-?[0-9]+", t):
        return int(t)
    return {"true": True, "false": False, "null": None, "~": None, "": None}.get(t, t)


def strip_comment(s):
    out, q = [], None
    for i, ch in enumerate(s):
        if q:
            q = None if ch == q else q
        elif ch in "'\"":
            q = ch
        elif ch == "#" and (i == 0 or s[i - 1] in " \t"):
            break
        out.append(ch)
    return "".join(out).rstrip()


class Reader:
    def __init__(self, lines):
        self.lines = lines  # (number, indent, text, raw)
        self.i = 0

    def peek(self):
        """The next line that holds something (blank lines matter only in
        literal blocks)."""
        while self.i < len(self.lines) and not self.lines[self.i][2]:
            self.i += 1
        return self.lines[self.i] if self.i < len(self.lines) else None

    def literal(self, indent):
        body = []
        while self.i < len(self.lines):
            n, ind, text, raw = self.lines[self.i]
            if raw.strip() and len(raw) - len(raw.lstrip(" ")) <= indent:
                break
            body.append(raw)
            self.i += 1
        pad = min((len(b) - len(b.lstrip(" ")) for b in body if b.strip()), default=0)
        return "\n".join(b[pad:] for b in body).rstrip("\n") + "\n"

    def value(self, rest, indent, n):
        if rest == "|":
            return self.literal(indent)
        if rest:
            return scalar(rest, n)
        nxt = self.peek()
        if nxt and (nxt[1] > indent or (nxt[1] == indent and nxt[2].startswith("- "))):
            return self.block(nxt[1])
        return None

    def block(self, indent):
        first = self.peek()
        if first[2].startswith("- ") or first[2] == "-":
            return self.seq(indent)
        return self.mapping(indent)

    def seq(self, indent):
        out = []
        while self.peek() and self.peek()[1] == indent and self.peek()[2][:1] == "-":
            n, _, text, raw = self.peek()
            item = text[1:].lstrip()
            if ":" in item and not item.startswith(("'", '"', "[")) and re.match(r"[^:]+:( |$)", item):
                # "- key: value ...": a mapping whose keys sit at the item's column
                col = indent + (len(text) - len(item))
                self.lines[self.i] = (n, col, item, raw)
                out.append(self.mapping(col))
            else:
                self.i += 1
                out.append(self.value(item, indent, n))
        return out

    def mapping(self, indent):
        out = {}
        while self.peek() and self.peek()[1] == indent and not self.peek()[2].startswith("- "):
            n, _, text, _ = self.peek()
            m = re.match(r"""("[^"]*"|'[^']*'|[^:#]+?)\s*:(?: +(.*))?$""", text)
            if not m:
                raise YamlError("line %d: expected 'key: value': %s" % (n, text))
            key = scalar(m.group(1), n)
            if key in out:
                raise YamlError("line %d: duplicate key %s" % (n, key))
            self.i += 1
            out[key] = self.value((m.group(2) or "").strip(), indent, n)
        nxt = self.peek()
        if nxt and nxt[1] > indent:
            raise YamlError("line %d: unexpected indentation" % nxt[0])
        return out


def documents(text):
    docs, cur = [], []
    for n, raw in enumerate(text.split("\n"), 1):
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise YamlError("line %d: a tab in the indentation" % n)
        if raw.rstrip() == "---":
            docs.append(cur)
            cur = []
            continue
        body = strip_comment(raw)
        cur.append((n, len(body) - len(body.lstrip(" ")), body.strip(), raw))
    docs.append(cur)
    out = []
    for d in docs:
        r = Reader(d)
        if not r.peek():
            continue
        v = r.block(r.peek()[1])
        if r.peek():
            raise YamlError("line %d: unexpected: %s" % (r.peek()[0], r.peek()[2]))
        out.append(v)
    return out


if __name__ == "__main__":
    try:
        for doc in documents(open(sys.argv[1]).read()):
            print(json.dumps(doc))
    except YamlError as e:
        print("%s: %s" % (sys.argv[1], e), file=sys.stderr)
        sys.exit(1)
