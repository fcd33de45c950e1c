#!/usr/bin/env bash
# The live listing, one request at a time against many in flight: a seeded
# Azurite (CONTAINERS × BLOBS blobs in virtual directories) behind a proxy
# that adds DELAY_MS to every request, listed with `--page-size 100` at
# `--concurrency 1` and at the default (16). Prints the pages per second of
# each and the speed-up, and checks that both print the same blobs.
#
#   bash benches/live_listing.sh
#   CONTAINERS=4 BLOBS=5000 DELAY_MS=50 ROUNDS=3 bash benches/live_listing.sh
#
# It starts an Azurite of its own (in memory, on a free port; installed by
# .ci/azurite.sh) so that what other tests left in a shared one does not
# slow the service down, and seeds it (a few minutes: 20,000 Put Blob).
# BENCH_AZURITE_URL=… uses a running one instead.
#
# Each run also prints the CPU time Azurite (one Node.js thread) spent on it
# and its share of the run (when the script started Azurite), the proxy's
# CPU time, and the load average: Azurite is what limits the default, and
# whatever else runs on the machine takes from it. The end prints the
# speed-up of the best and of the median round, in pages per second (the
# issue's measure; the default sends more, partly filled pages) and in
# time for the same output. benches/live_ceiling.sh measures how far
# Azurite itself lets it go.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CONTAINERS="${CONTAINERS:-4}"
BLOBS="${BLOBS:-5000}"
DELAY_MS="${DELAY_MS:-50}"
ROUNDS="${ROUNDS:-3}"
cd "$ROOT"

cargo build --release --quiet --bin blobsel --example live_bench
BLOBSEL="$ROOT/target/release/blobsel"
HELPER="$ROOT/target/release/examples/live_bench"
WORK="$(mktemp -d)"
trap 'kill "${PROXY_PID:-}" "${AZURITE_PID:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

source "$ROOT/benches/common/azurite.sh"
bench_azurite "$ROOT" "$WORK"

"$HELPER" seed "$URL" "$CONTAINERS" "$BLOBS" >"$WORK/sel.xml"
"$HELPER" proxy "$URL" "$DELAY_MS" >"$WORK/proxy" &
PROXY_PID=$!
for _ in $(seq 1 50); do [[ -s $WORK/proxy ]] && break; sleep 0.1; done
PROXY_URL="$(cat "$WORK/proxy")"
export BLOBSEL_ACCOUNT_KEY="$BENCH_ACCOUNT_KEY"

# CPU seconds (user + system) a process has used so far; 0 when unknown.
cpu() {
    [[ -n ${1:-} && -r /proc/$1/stat ]] || { echo 0; return; }
    awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"
}

# One run: prints "seconds pages rows requests azurite-cpu proxy-cpu".
run() {
    local az0 px0
    az0=$(cpu "${AZURITE_PID:-}")
    px0=$(cpu "$PROXY_PID")
    "$BLOBSEL" preview "$WORK/sel.xml" --account-url "$PROXY_URL" --page-size 100 \
        --concurrency "$1" --summary -o "$WORK/out-$1.txt" 2>"$WORK/err-$1.txt"
    local az px
    az=$(awk -v a="$az0" -v b="$(cpu "${AZURITE_PID:-}")" 'BEGIN { printf "%.2f", b - a }')
    px=$(awk -v a="$px0" -v b="$(cpu "$PROXY_PID")" 'BEGIN { printf "%.2f", b - a }')
    local listed took
    listed=$(grep '^listed:' "$WORK/err-$1.txt")
    took=$(grep '^listing took:' "$WORK/err-$1.txt")
    local pages rows secs requests
    pages=$(sed -E 's/.* ([0-9]+) List Blobs pages.*/\1/' <<<"$listed")
    rows=$(sed -E 's/.* ([0-9]+) rows.*/\1/' <<<"$listed")
    secs=$(sed -E 's/listing took: +([0-9.]+) s.*/\1/' <<<"$took")
    requests=$(sed -E 's/.* ([0-9]+) requests.*/\1/' <<<"$took")
    echo "$secs $pages $rows $requests $az $px"
}

echo "account: $CONTAINERS containers x $BLOBS blobs, page size 100, proxy +${DELAY_MS} ms a request"
[[ -n ${AZURITE_PID:-} ]] || echo "(Azurite's CPU time is shown as 0: BENCH_AZURITE_URL's process is not this script's)"
printf '%-14s %8s %6s %6s %8s %8s %8s %14s %9s %6s\n' \
    concurrency seconds pages rows requests pages/s rows/s "azurite cpu" "proxy cpu" load
declare -A pps_of secs_of
for round in $(seq 1 "$ROUNDS"); do
    for c in 1 16; do
        read -r secs pages rows requests az px < <(run "$c")
        pps=$(awk -v p="$pages" -v s="$secs" 'BEGIN { printf "%.1f", p / s }')
        rps=$(awk -v r="$rows" -v s="$secs" 'BEGIN { printf "%.0f", r / s }')
        share=$(awk -v a="$az" -v s="$secs" 'BEGIN { printf "%.2f s %3.0f%%", a, 100 * a / s }')
        printf '%-14s %8s %6s %6s %8s %8s %8s %14s %9s %6s\n' "$c (round $round)" "$secs" "$pages" \
            "$rows" "$requests" "$pps" "$rps" "$share" "$px s" "$(cut -d' ' -f1 /proc/loadavg)"
        pps_of[$c]+="$pps "
        secs_of[$c]+="$secs "
    done
    cmp -s "$WORK/out-1.txt" "$WORK/out-16.txt" || { echo "the outputs differ" >&2; exit 1; }
done
echo "same output at both: yes ($(wc -l <"$WORK/out-1.txt") blobs)"
# The best and the median of a list of numbers.
best() { tr ' ' '\n' <<<"$1" | grep . | sort -g | tail -1; }
least() { tr ' ' '\n' <<<"$1" | grep . | sort -g | head -1; }
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
awk -v a="$(best "${pps_of[16]}")" -v b="$(best "${pps_of[1]}")" \
    'BEGIN { printf "best pages/s: %s at concurrency 1, %s at 16: %.1fx\n", b, a, a / b }'
awk -v a="$(median "${pps_of[16]}")" -v b="$(median "${pps_of[1]}")" \
    'BEGIN { printf "median pages/s: %s at concurrency 1, %s at 16: %.1fx\n", b, a, a / b }'
awk -v a="$(least "${secs_of[16]}")" -v b="$(least "${secs_of[1]}")" \
    'BEGIN { printf "best time for the same output: %s s at concurrency 1, %s s at 16: %.1fx\n", b, a, b / a }'
