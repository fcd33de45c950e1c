#!/usr/bin/env python3
"""Two blobsel binaries, the same answers: a differential check for speed work.

    python3 benches/differential.py OLD_BLOBSEL NEW_BLOBSEL [--cases N] [--seed S] [--keep DIR]

A change made for speed must not change a single answer. This runs both
binaries on the same generated inputs and compares everything they print
(stdout, stderr, exit status), byte for byte:

* selections: the benchmark rule sets (gen_corpus S, M, L, optionally XL)
  and random small blob lists in every shape the XML allows (attributes,
  entities, CDATA, comments, CRLF, a byte-order mark, one element a line or
  all on one line, errors of every kind), and their JSON forms
  (`blobsel convert`);
* listings: gen_corpus `lines` listings (unsorted and sorted), and copies
  with damaged lines (control characters, invalid UTF-8, bad snapshot
  times, bad container names, over-long names, CRLF, blank lines) at random
  places, read from a file (mapped) and from stdin (read);
* commands: `preview` (text, --explain, --invert --explain, jsonl,
  --summary-only --output json, --threads 1 and 2), `check`, and `preview`
  of an index each binary compiled itself.

Exit status 0 if every case agrees; 1 with the first differences shown.
Needs `gen_corpus` built: cargo build --release --example gen_corpus.
"""

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEN = os.path.join(ROOT, "target", "release", "examples", "gen_corpus")

CONTAINERS = ["c00", "c01", "logs", "$root", "data-2024", "x" * 63]
NAMES = ["a", "a/b", "a/b/c.txt", "dir/", "dir/file", "ü/ñ", "%20space", "x" * 300, "a&b", "q<t"]
SNAP = ["2024-01-02T03:04:05.1234567Z", "2024-01-02T03:04:05Z", "2024-01-02T03:04:05.1Z",
        "2024-13-02T03:04:05.1234567Z", "2024-01-02T03:04:05.1234567+01:00", "yesterday"]


def xml_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;")


def random_path(r):
    return "/" + r.choice(CONTAINERS) + "/" + r.choice(NAMES)


def random_blob_list(r):
    """A random blob list XML: mostly valid, sometimes not."""
    elems = []
    for _ in range(r.randint(0, 12)):
        kind = r.random()
        path = random_path(r)
        if kind < 0.45:
            text = path[:r.randint(1, len(path))] if r.random() < 0.8 else r.choice(["/", "//", "c00", "/C00/"])
            tag = "BlobPathPrefix"
        else:
            text = path if r.random() < 0.7 else path.lstrip("/")
            tag = "BlobPath"
        attrs = ""
        if tag == "BlobPath" and r.random() < 0.4:
            attrs = r.choice([' IncludeSnapshots="false"', ' IncludeSnapshots="true"',
                              ' SnapshotTime="%s"' % r.choice(SNAP), " IncludeSnapshots='false'",
                              ' Foo="1"'])
        t = xml_escape(text)
        style = r.random()
        if style < 0.1:
            t = "<![CDATA[%s]]>" % text
        elif style < 0.2:
            t = t.replace("a", "&#x61;", 1)
        elif style < 0.25:
            t = " " + t + " "
        elem = "<%s%s>%s</%s>" % (tag, attrs, t, tag)
        if r.random() < 0.05:
            elem = elem[:-1]  # broken
        if r.random() < 0.1:
            elem = "<!-- c -->" + elem
        elems.append(elem)
    if r.random() < 0.05:
        elems.append("<Unknown/>")
    sep = r.choice(["\n", "\r\n", "", "\n  "])
    doc = "<BlobList>" + sep + sep.join(elems) + sep + "</BlobList>\n"
    if r.random() < 0.2:
        doc = '<?xml version="1.0" encoding="utf-8"?>\n' + doc
    data = doc.encode()
    if r.random() < 0.1:
        data = b"\xef\xbb\xbf" + data
    if r.random() < 0.03:
        data = data[: r.randint(0, len(data))]
    return data


def damage(lines, r, n):
    """`n` random damages to a list of listing lines (bytes, no newline)."""
    bad = [b"\x01", b"\xff\xfe", b"\t2024-13-01T00:00:00.0000000Z", b"\tnot-a-time", b"\r",
           b"", b"/NoSuch/x", b"/c00/" + b"y" * 1100, b"/c00", b"//x", b"/c00/a\tT\tU"]
    for _ in range(n):
        i = r.randrange(len(lines)) if lines else 0
        choice = r.choice(bad)
        if choice in (b"\r",):
            lines[i] = lines[i] + choice
        elif choice.startswith(b"/") or choice == b"":
            lines.insert(i, choice)
        else:
            pos = r.randint(0, len(lines[i]))
            lines[i] = lines[i][:pos] + choice + lines[i][pos:]
    return lines


def run(binary, args, stdin_path=None, cwd=None):
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    try:
        p = subprocess.run([binary] + args, stdin=stdin, capture_output=True, cwd=cwd, timeout=600)
    finally:
        if stdin_path:
            stdin.close()
    return p.returncode, p.stdout, p.stderr


def normalize(binary, out):
    """What may differ and is not an answer: the binary's own path in messages."""
    return out.replace(binary.encode(), b"BLOBSEL")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--cases", type=int, default=60, help="random selections (default 60)")
    ap.add_argument("--lines", type=int, default=200000, help="listing lines (default 200,000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--xl", action="store_true", help="also rule set XL (1M paths; slow)")
    ap.add_argument("--keep", help="keep the inputs in this directory")
    a = ap.parse_args()
    if not os.path.exists(GEN):
        sys.exit("build gen_corpus first: cargo build --release --example gen_corpus")
    work = a.keep or tempfile.mkdtemp(prefix="blobsel-diff-")
    os.makedirs(work, exist_ok=True)
    r = random.Random(a.seed)
    j = lambda *p: os.path.join(work, *p)

    listing = j("listing.txt")
    sorted_listing = j("sorted.txt")
    subprocess.run([GEN, "listing", "--lines", str(a.lines), "--seed", str(a.seed), listing], check=True)
    subprocess.run([GEN, "listing", "--lines", str(a.lines), "--sorted", "--seed", str(a.seed), sorted_listing], check=True)
    with open(listing, "rb") as f:
        lines = f.read().split(b"\n")[:-1]
    damaged = j("damaged.txt")
    with open(damaged, "wb") as f:
        # One damage far in (past the first chunks), so the error is late.
        f.write(b"\n".join(damage(lines[: a.lines // 2], r, 1)) + b"\n")
    crlf = j("crlf.txt")
    with open(crlf, "wb") as f:
        f.write(b"\r\n".join(lines[:5000]) + b"\r\n")
    small = j("small.txt")
    with open(small, "wb") as f:
        extra = [random_path(r).encode() + (b"\t" + r.choice(SNAP).encode() if r.random() < 0.3 else b"")
                 for _ in range(300)]
        f.write(b"\n".join(lines[:2000] + extra) + b"\n")
    listings = [listing, sorted_listing, damaged, crlf, small]

    sels = []
    for s in ["S", "M", "L"] + (["XL"] if a.xl else []):
        p = j(s + ".xml")
        subprocess.run([GEN, "rules", s, "--seed", str(a.seed), p], check=True)
        sels.append(p)
    for i in range(a.cases):
        p = j("r%03d.xml" % i)
        with open(p, "wb") as f:
            f.write(random_blob_list(r))
        sels.append(p)

    differences = 0
    cases = 0

    def compare(args, stdin_path=None, what=None):
        nonlocal differences, cases
        cases += 1
        ro = run(a.old, args, stdin_path)
        rn = run(a.new, args, stdin_path)
        ro = (ro[0], normalize(a.old, ro[1]), normalize(a.old, ro[2]))
        rn = (rn[0], normalize(a.new, rn[1]), normalize(a.new, rn[2]))
        if ro != rn:
            differences += 1
            if differences <= 10:
                print("DIFFERENT: blobsel %s%s" % (" ".join(args), " < " + stdin_path if stdin_path else ""))
                for name, x, y in [("status", ro[0], rn[0]), ("stdout", ro[1], rn[1]), ("stderr", ro[2], rn[2])]:
                    if x != y:
                        print("  %s: old %r\n  %s: new %r" % (name, x[:600] if isinstance(x, bytes) else x,
                                                             name, y[:600] if isinstance(y, bytes) else y))

    for sel in sels:
        big = os.path.basename(sel)[0] in "SML" and not os.path.basename(sel).startswith("r")
        compare(["check", sel])
        # The JSON form, converted by the old binary (the same input for both).
        code, out, _ = run(a.old, ["convert", sel, "--to", "json"])
        chosen = listings if big else [small, damaged]
        for lst in chosen:
            compare(["preview", sel, lst])
            compare(["preview", sel, lst, "--explain", "--summary"])
            compare(["preview", sel, lst, "--threads", "1"])
        compare(["preview", sel, "-"], stdin_path=chosen[-1])
        compare(["preview", sel, chosen[0], "--invert", "--explain"])
        compare(["preview", sel, chosen[0], "--output", "jsonl"])
        compare(["preview", sel, chosen[0], "--summary-only", "--output", "json"])
        if code == 0:
            pj = sel + ".json"
            with open(pj, "wb") as f:
                f.write(out)
            compare(["check", pj])
            compare(["preview", pj, chosen[0], "--explain"])
        # Each binary's own index.
        io_, in_ = sel + ".old.bsi", sel + ".new.bsi"
        co = run(a.old, ["compile", sel, "-o", io_])
        cn = run(a.new, ["compile", sel, "-o", in_])
        if co[0] != cn[0]:
            differences += 1
            print("DIFFERENT: compile %s: status %d vs %d" % (sel, co[0], cn[0]))
        elif co[0] == 0:
            for lst in chosen[:2]:
                cases += 1
                ro = run(a.old, ["preview", io_, lst, "--explain"])
                rn = run(a.new, ["preview", in_, lst, "--explain"])
                if ro != rn:
                    differences += 1
                    print("DIFFERENT: preview of each one's index of %s on %s" % (sel, lst))
    print("%d cases, %d different" % (cases, differences))
    if not a.keep:
        shutil.rmtree(work)
    sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
