#!/usr/bin/env bash
# Whole-process comparison: `blobsel preview` against the floor (`wc -l`)
# and against ripgrep with the same selection as anchored patterns.
#
#   bash benches/compare.sh                 # 10M lines, rule set L
#   LINES=2000000 ROUNDS=3 bash benches/compare.sh
#   BLOBSEL=/path/to/blobsel bash benches/compare.sh   # a prebuilt binary
#   KEEP=/tmp/corpus bash benches/compare.sh           # keep/reuse the files
#   BASE=/tmp/old-blobsel bash benches/compare.sh       # old binary in the same rounds
#   THREADS=1 bash benches/compare.sh                   # preview --threads 1 (both binaries)
#   XL=0 bash benches/compare.sh                        # without the rule set XL part
#
# What it does:
#  1. installs hyperfine and ripgrep from Debian if missing;
#  2. builds `blobsel` (release) and the corpus generator;
#  3. writes a LINES-line listing (generation order, and byte-sorted), its
#     first RG_LINES lines (10,000 by default: ripgrep with rule set L's
#     11,000 anchored patterns spends ~12 s compiling them and ~2 ms a line,
#     half an hour per million lines, on the machine of BENCHMARKS.md), rule set L as blob list XML and as line-anchored
#     regexes (`gen_corpus patterns L`);
#  4. checks that blobsel and `rg -f` select the same lines of the small listing;
#  5. runs ROUNDS hyperfine sessions of one run per command, so the commands
#     alternate (ripgrep only in the first RG_ROUNDS rounds), after one untimed round to warm the page
#     cache, and reports the median of the rounds and the ratios;
#  6. measures peak RSS with /usr/bin/time -v;
#  7. unless XL=0, rule set XL (1M exact paths): `blobsel compile` of its
#     XML (parse + compile + write), `preview` of the index over an empty
#     listing (the index's load), and `preview --threads 1` of the first
#     1M lines with the XL index and with the SET index (less the loads:
#     the matching, per name, XL against SET); ROUNDS alternating rounds
#     (with BASE, its binary too, each with its own index), medians; the
#     peak RSS of each compile against the XML's size.
# With BASE, the old binary runs in every round beside the new one (same
# rounds, alternating), so old/new is a ratio of runs under the same load.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
LINES="${LINES:-10000000}"
RG_LINES="${RG_LINES:-10000}"
ROUNDS="${ROUNDS:-5}"
RG_ROUNDS="${RG_ROUNDS:-1}"
SET="${SET:-L}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

need() { command -v "$1" >/dev/null 2>&1; }
if ! need hyperfine || ! need rg || [ ! -x /usr/bin/time ]; then
  echo "installing hyperfine, ripgrep, time (apt-get)" >&2
  apt-get update -qq && apt-get install -y -qq hyperfine ripgrep time >/dev/null
fi

cd "$ROOT"
cargo build --release --no-default-features --example gen_corpus -q
GEN="$CARGO_TARGET_DIR/release/examples/gen_corpus"
if [ -z "${BLOBSEL:-}" ]; then
  cargo build --release --bin blobsel -q
  BLOBSEL="$CARGO_TARGET_DIR/release/blobsel"
fi

if [ -n "${KEEP:-}" ]; then
  DIR="$KEEP"
  mkdir -p "$DIR"
else
  DIR="$(mktemp -d)"
  trap 'rm -rf "$DIR"' EXIT
fi
U="$DIR/listing-$LINES.txt"
S="$DIR/listing-$LINES-sorted.txt"
U1="$DIR/listing-$RG_LINES.txt"
[ -s "$U" ] || "$GEN" listing --lines "$LINES" "$U"
[ -s "$S" ] || "$GEN" listing --lines "$LINES" --sorted "$S"
[ -s "$U1" ] || head -n "$RG_LINES" "$U" >"$U1"
"$GEN" rules "$SET" "$DIR/$SET.xml"
"$GEN" patterns "$SET" "$DIR/$SET.patterns"

echo "== corpus ($DIR)"
ls -l "$U" "$S" "$U1" "$DIR/$SET.xml" "$DIR/$SET.patterns" | awk '{print $5, $9}'
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"
echo "blobsel: $BLOBSEL"
[ -n "${BASE:-}" ] && echo "base:    $BASE"
THREADS_ARG=""
[ -n "${THREADS:-}" ] && THREADS_ARG="--threads $THREADS" && echo "threads: $THREADS"
echo "ripgrep: $(rg --version | sed -n 1p), hyperfine: $(hyperfine --version)"

preview() { "$BLOBSEL" preview --no-progress $THREADS_ARG "$DIR/$SET.xml" "$1"; }
echo "== same answers on $RG_LINES lines"
b1=$(preview "$U1" | wc -l || true)
r1=$(rg -c -f "$DIR/$SET.patterns" "$U1" || true)
echo "blobsel selects $b1 lines, rg -f selects $r1 lines"
if [ "$b1" != "$r1" ]; then
  echo "MISMATCH: the comparison is void" >&2
  exit 1
fi
echo "blobsel selects $(preview "$U" | wc -l) of $LINES lines (unsorted), $(preview "$S" | wc -l) (sorted)"
if [ -n "${BASE:-}" ]; then
  for f in "$U" "$S"; do
    if [ "$(preview "$f" | md5sum)" != "$("$BASE" preview --no-progress $THREADS_ARG "$DIR/$SET.xml" "$f" | md5sum)" ]; then
      echo "MISMATCH: $BASE prints other lines of $f" >&2
      exit 1
    fi
  done
  echo "base prints the same lines (unsorted and sorted)"
fi

names=(wc-unsorted wc-sorted blobsel-unsorted blobsel-sorted "wc-$RG_LINES" "blobsel-$RG_LINES" "rg-$RG_LINES")
cmds=(
  "wc -l $U"
  "wc -l $S"
  "$BLOBSEL preview --no-progress $THREADS_ARG $DIR/$SET.xml $U"
  "$BLOBSEL preview --no-progress $THREADS_ARG $DIR/$SET.xml $S"
  "wc -l $U1"
  "$BLOBSEL preview --no-progress $THREADS_ARG $DIR/$SET.xml $U1"
  "rg -f $DIR/$SET.patterns $U1"
)
if [ -n "${BASE:-}" ]; then
  names+=(base-unsorted base-sorted)
  cmds+=(
    "$BASE preview --no-progress $THREADS_ARG $DIR/$SET.xml $U"
    "$BASE preview --no-progress $THREADS_ARG $DIR/$SET.xml $S"
  )
fi
round() { # round N WITH_RG
  local args=() i
  for ((i = 0; i < ${#cmds[@]}; i++)); do
    [ "$i" = 6 ] && [ "$2" != 1 ] && continue
    args+=(-n "${names[$i]}" "${cmds[$i]}")
  done
  hyperfine -N --runs 1 --style basic --export-json "$DIR/round-$1.json" "${args[@]}" 2>/dev/null \
    | grep -E '^(Benchmark|  Time)' || true
}
echo "== warm-up round (untimed)"
for ((i = 0; i < ${#cmds[@]}; i++)); do [ "$i" != 6 ] && sh -c "${cmds[$i]} >/dev/null"; done
for ((r = 1; r <= ROUNDS; r++)); do
  echo "== round $r of $ROUNDS"
  round "$r" "$([ "$r" -le "$RG_ROUNDS" ] && echo 1 || echo 0)"
done

echo "== peak RSS (/usr/bin/time -v)"
rss() { /usr/bin/time -v sh -c "$1 >/dev/null" 2>&1 | sed -n 's/.*Maximum resident set size (kbytes): //p'; }
rss_b10=$(rss "${cmds[2]}")
rss_b10s=$(rss "${cmds[3]}")
rss_b1=$(rss "${cmds[5]}")
rss_wc=$(rss "${cmds[0]}")
echo "blobsel $LINES unsorted: $((rss_b10 / 1024)) MiB; sorted: $((rss_b10s / 1024)) MiB;" \
  "$RG_LINES lines: $((rss_b1 / 1024)) MiB; wc -l: $((rss_wc / 1024)) MiB"
if [ -n "${BASE:-}" ]; then
  echo "base $LINES unsorted: $(($(rss "${cmds[7]}") / 1024)) MiB; sorted: $(($(rss "${cmds[8]}") / 1024)) MiB"
fi
echo "(rg's peak RSS is measured in its hyperfine run only when RSS_RG=1)"
if [ "${RSS_RG:-0}" = 1 ]; then
  echo "rg $RG_LINES lines: $(($(rss "${cmds[6]}") / 1024)) MiB"
fi

echo "== medians of $ROUNDS alternating rounds, and ratios"
python3 - "$DIR" "$ROUNDS" "$LINES" "$RG_LINES" <<'EOF'
import json, statistics, sys
d, rounds, lines, rg_lines = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
times = {}
for r in range(1, rounds + 1):
    for res in json.load(open(f"{d}/round-{r}.json"))["results"]:
        times.setdefault(res["command"], []).append(res["mean"])
med = {k: statistics.median(v) for k, v in times.items()}
for k, v in med.items():
    print(f"{k:18} {v * 1000:10.1f} ms  (runs: {len(times[k])})")
def ratio(a, b, label):
    if a in med and b in med:
        print(f"{label:55} {med[a] / med[b]:8.2f}x")
print()
ratio("blobsel-unsorted", "wc-unsorted", f"blobsel / wc -l, {lines} lines unsorted (issue 15: <= 5)")
ratio("blobsel-sorted", "wc-sorted", f"blobsel / wc -l, {lines} lines sorted (issue 15: <= 2.5)")
ratio("base-unsorted", "wc-unsorted", f"base / wc -l, {lines} lines unsorted")
ratio("base-sorted", "wc-sorted", f"base / wc -l, {lines} lines sorted")
ratio("blobsel-unsorted", "base-unsorted", f"blobsel / base, {lines} lines unsorted")
ratio("blobsel-sorted", "base-sorted", f"blobsel / base, {lines} lines sorted")
ratio(f"blobsel-{rg_lines}", f"wc-{rg_lines}", f"blobsel / wc -l, {rg_lines} lines")
ratio(f"rg-{rg_lines}", f"blobsel-{rg_lines}", f"rg -f / blobsel, {rg_lines} lines (target >= 50)")
EOF

[ "${XL:-1}" = 1 ] || exit 0
echo "== rule set XL (issue 15)"
"$GEN" rules XL "$DIR/XL.xml"
: >"$DIR/empty.txt"
M1="$DIR/listing-1M.txt"
[ -s "$M1" ] || head -n 1000000 "$U" >"$M1"
xml_bytes=$(stat -c %s "$DIR/XL.xml")
echo "XL.xml: $xml_bytes bytes"
xl_names=() xl_cmds=()
for who in blobsel base; do
  bin="$BLOBSEL"
  if [ "$who" = base ]; then
    [ -n "${BASE:-}" ] || continue
    bin="$BASE"
  fi
  "$bin" compile "$DIR/XL.xml" -o "$DIR/XL.$who.bsi" 2>/dev/null
  "$bin" compile "$DIR/$SET.xml" -o "$DIR/$SET.$who.bsi" 2>/dev/null
  echo "$who: XL index $(stat -c %s "$DIR/XL.$who.bsi") bytes"
  xl_names+=("$who-xl-compile" "$who-xl-load" "$who-set-load" "$who-xl-1M" "$who-set-1M")
  xl_cmds+=(
    "$bin compile $DIR/XL.xml -o $DIR/XL.$who.bsi"
    "$bin preview --no-progress $DIR/XL.$who.bsi $DIR/empty.txt"
    "$bin preview --no-progress $DIR/$SET.$who.bsi $DIR/empty.txt"
    "$bin preview --no-progress --threads 1 $DIR/XL.$who.bsi $M1"
    "$bin preview --no-progress --threads 1 $DIR/$SET.$who.bsi $M1"
  )
done
if [ -n "${BASE:-}" ]; then
  if [ "$("$BLOBSEL" preview --no-progress "$DIR/XL.blobsel.bsi" "$M1" | md5sum)" != \
    "$("$BASE" preview --no-progress "$DIR/XL.base.bsi" "$M1" | md5sum)" ]; then
    echo "MISMATCH: $BASE prints other lines of $M1 with XL" >&2
    exit 1
  fi
  echo "base prints the same lines with XL"
fi
for ((r = 1; r <= ROUNDS; r++)); do
  echo "== XL round $r of $ROUNDS"
  args=()
  for ((i = 0; i < ${#xl_cmds[@]}; i++)); do args+=(-n "${xl_names[$i]}" "${xl_cmds[$i]}"); done
  # (-i: preview exits 1 when it selects nothing, as over the empty listing)
  hyperfine -N -i --runs 1 --style basic --export-json "$DIR/xl-round-$r.json" "${args[@]}" 2>/dev/null \
    | grep -E '^(Benchmark|  Time)' || true
done
for who in blobsel base; do
  [ "$who" = base ] && [ -z "${BASE:-}" ] && continue
  bin="$BLOBSEL"
  [ "$who" = base ] && bin="$BASE"
  kb=$(/usr/bin/time -v "$bin" compile "$DIR/XL.xml" -o "$DIR/XL.rss.bsi" 2>&1 >/dev/null |
    sed -n 's/.*Maximum resident set size (kbytes): //p')
  python3 -c 'import sys; w, kb, x = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]); print(f"{w}: peak RSS of compile XL {kb // 1024} MiB = {kb * 1024 / x:.2f}x the XML (issue 15: <= 2.5)")' "$who" "$kb" "$xml_bytes"
done
echo "== XL: medians of $ROUNDS alternating rounds"
python3 - "$DIR" "$ROUNDS" "$SET" <<'EOF'
import json, statistics, sys
d, rounds, s = sys.argv[1], int(sys.argv[2]), sys.argv[3]
times = {}
for r in range(1, rounds + 1):
    for res in json.load(open(f"{d}/xl-round-{r}.json"))["results"]:
        times.setdefault(res["command"], []).append(res["mean"])
med = {k: statistics.median(v) for k, v in times.items()}
for k, v in med.items():
    print(f"{k:18} {v * 1000:10.1f} ms  (runs: {len(times[k])})")
print()
for who in ["blobsel", "base"]:
    if f"{who}-xl-compile" not in med:
        continue
    print(f"{who}: XL parse + compile + write {med[who + '-xl-compile']:.3f} s (issue 15: <= 1.0)")
    print(f"{who}: XL index load {med[who + '-xl-load']:.3f} s (issue 15: <= 0.1)")
    xl = med[who + "-xl-1M"] - med[who + "-xl-load"]
    other = med[who + "-set-1M"] - med[who + "-set-load"]
    print(f"{who}: matching 1M lines, 1 thread: XL {xl:.3f} s, {s} {other:.3f} s: "
          f"{xl / other:.2f}x (issue 15: <= 1.5)")
EOF
