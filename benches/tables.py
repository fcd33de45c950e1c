#!/usr/bin/env python3
"""Markdown tables from criterion's results (the median of each bench).

    python3 benches/tables.py [TARGET_DIR/criterion] [--since UNIX_TIME]

Reads every `*/new/benchmark.json` + `estimates.json` under the criterion
directory (default: $CARGO_TARGET_DIR/criterion or target/criterion) and
prints the `match`, `preview`, `parse` and `compile` tables, ratios first.
"""
import json
import os
import sys
from collections import defaultdict

args = sys.argv[1:]
since = 0.0
if "--since" in args:
    i = args.index("--since")
    since = float(args[i + 1])
    del args[i : i + 2]
root = args[0] if args else os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "criterion")

results = {}
for dirpath, _, files in os.walk(root):
    if not dirpath.endswith("/new") or "benchmark.json" not in files:
        continue
    if os.path.getmtime(os.path.join(dirpath, "estimates.json")) < since:
        continue
    b = json.load(open(os.path.join(dirpath, "benchmark.json")))
    e = json.load(open(os.path.join(dirpath, "estimates.json")))
    ns = e["median"]["point_estimate"]
    tp = b.get("throughput") or {}
    (kind, n), = tp.items() if tp else (("none", 0),)
    results[(b["group_id"], b["function_id"])] = (ns, kind, n)


def rate(key):
    ns, kind, n = results[key]
    return n / (ns * 1e-9)


def human(x, unit):
    for div, p in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if x >= div:
            return f"{x / div:.2f} {p}{unit}"
    return f"{x:.0f} {unit}"


def ms(key):
    ns = results[key][0]
    return f"{ns / 1e6:.1f} ms" if ns >= 1e5 else f"{ns / 1e3:.1f} µs"


def table(title, columns):
    """Prints a table's heading (if any) and its header rows."""
    if title:
        print(f"### {title}\n")
    print("| " + " | ".join(columns) + " |")
    print("|---" * len(columns) + "|")


# match
groups = defaultdict(dict)
for (g, f), v in results.items():
    if g.startswith("match/"):
        groups[g][f] = rate((g, f))
if groups:
    table("match: names/s (median), ratios first",
          ["rule set", "order", "blobsel 1 thread", "best peer", "blobsel / best peer", "all threads / 1 thread"])
    order = {"S": 0, "M": 1, "L": 2, "XL": 3}
    keys = sorted(groups, key=lambda g: (order.get(g.split("/")[1], 9), g.split("/")[2] != "unsorted"))
    for g in keys:
        fs = groups[g]
        one = fs.get("blobsel-1-thread")
        multi = [v for f, v in fs.items() if f.startswith("blobsel-") and f != "blobsel-1-thread"]
        peers = {f: v for f, v in fs.items() if not f.startswith("blobsel-")}
        if not one or not peers:
            continue
        best = max(peers, key=peers.get)
        _, s, o = g.split("/")
        m = f"{multi[0] / one:.2f}x" if multi else "-"
        print(f"| {s} | {o} | {human(one, 'names/s')} | {best} {human(peers[best], 'names/s')} | **{one / peers[best]:.2f}x** | {m} |")
    print()
    engines = ["blobsel-1-thread"] + sorted({f for fs in groups.values() for f in fs if f.startswith("blobsel-") and f != "blobsel-1-thread"}) + [
        "naive", "sorted-array", "hashset+sorted", "patricia", "aho-corasick", "regex-automata"]
    table(None, ["rule set / order"] + engines)
    for g in keys:
        fs = groups[g]
        cells = [human(fs[e], "/s") if e in fs else "n/a" for e in engines]
        print(f"| {g[6:]} | " + " | ".join(cells) + " |")
    print()

# preview
pv = {k: v for k, v in results.items() if k[0].startswith("preview/")}
if pv:
    print("### preview: the in-process pipeline, bytes/s (median)\n")
    floor = [k for k in pv if k[0] == "preview/floor"]
    fl = rate(floor[0]) if floor else None
    if fl:
        print(f"Floor (memchr line count over the same buffer): {human(fl, 'B/s')}\n")
    table(None, ["rule set / order", "1 thread", "all threads", "all / 1", "floor / 1 thread", "floor / all threads"])
    for g in sorted({k[0] for k in pv if k[0] != "preview/floor"}):
        one = rate((g, "blobsel-1-thread")) if (g, "blobsel-1-thread") in pv else None
        multi = [rate(k) for k in pv if k[0] == g and k[1].endswith("-threads")]
        if not one:
            continue
        m = multi[0] if multi else None
        cells = [human(one, "B/s"), human(m, "B/s") if m else "-", f"{m / one:.2f}x" if m else "-",
                 f"{fl / one:.1f}x" if fl else "-", f"{fl / m:.1f}x" if fl and m else "-"]
        print(f"| {g[8:]} | " + " | ".join(cells) + " |")
    print()

# parse
pa = {k: v for k, v in results.items() if k[0] == "parse"}
if pa:
    table("parse: bytes/s (median) and time per selection",
          ["input", "blobsel", "floor (reader alone)", "floor / blobsel", "blobsel time"])
    for f in sorted(k[1] for k in pa if k[1].endswith("/blobsel")):
        base = f.rsplit("/", 1)[0]
        floor = [k for k in pa if k[1].startswith(base + "/") and not k[1].endswith("/blobsel")]
        b = rate(("parse", f))
        fr = rate(floor[0]) if floor else None
        print(f"| {base} | {human(b, 'B/s')} | {human(fr, 'B/s') + ' (' + floor[0][1].rsplit('/', 1)[1] + ')' if fr else '-'} | {f'{fr / b:.1f}x' if fr else '-'} | {ms(('parse', f))} |")
    print()

# compile
co = {k: v for k, v in results.items() if k[0] == "compile"}
if co:
    table("compile: rules/s (median) and time", ["rule set", "engine", "rules/s", "time"])
    order = {"S": 0, "M": 1, "L": 2, "XL": 3}
    for k in sorted(co, key=lambda k: (order.get(k[1].split("/")[0], 9), k[1])):
        s, e = k[1].split("/", 1)
        print(f"| {s} | {e} | {human(rate(k), 'rules/s')} | {ms(k)} |")
    print()
