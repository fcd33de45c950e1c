#!/usr/bin/env bash
# Azurite's own ceiling for the requests of benches/live_listing.sh: how
# many List Blobs requests a second the service serves, with no proxy and
# no blobsel, and so the best speed-up the listing could show against it.
#
#   bash benches/live_ceiling.sh
#   CONTAINERS=4 BLOBS=5000 DELAY_MS=50 ROUNDS=2 bash benches/live_ceiling.sh
#
# 1. Starts an Azurite of its own (in memory, as live_listing.sh does; or
#    BENCH_AZURITE_URL=…) and seeds the same account.
# 2. Lists it with blobsel at --concurrency 1 and at the default (16), each
#    through the delaying proxy (examples/live_bench.rs) and behind it a
#    pass-through proxy that records every request line
#    (benches/azurite_ceiling.py log-proxy): the exact requests each sends.
# 3. Replays those requests against Azurite directly with an independent
#    client (benches/azurite_ceiling.py: Python threads, keep-alive, signed
#    anew), concurrency 1's one at a time and the default's 16 in flight,
#    alternating: the time Azurite itself needs for each set, and from it
#    the most pages per second (and the shortest listing) the default can
#    reach against concurrency 1.
# 4. Times kinds of requests in one container (flat pages at several marker
#    depths, delimiter listings at each directory level, with and without
#    include=snapshots,uncommittedblobs), one at a time and 16 in flight.
#
# Prints the load average before and after each step: Azurite is one
# Node.js thread, so whatever else runs on the machine slows it down.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CONTAINERS="${CONTAINERS:-4}"
BLOBS="${BLOBS:-5000}"
DELAY_MS="${DELAY_MS:-50}"
ROUNDS="${ROUNDS:-2}"
REPEAT="${REPEAT:-16}"
cd "$ROOT"

cargo build --release --quiet --bin blobsel --example live_bench
BLOBSEL="$ROOT/target/release/blobsel"
HELPER="$ROOT/target/release/examples/live_bench"
CEILING="python3 $ROOT/benches/azurite_ceiling.py"
WORK="$(mktemp -d)"
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

load() { echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) ($1)"; }

source "$ROOT/benches/common/azurite.sh"
bench_azurite "$ROOT" "$WORK"
[[ -z $AZURITE_PID ]] || PIDS+=("$AZURITE_PID")
"$HELPER" seed "$URL" "$CONTAINERS" "$BLOBS" >"$WORK/sel.xml"
export BLOBSEL_ACCOUNT_KEY="$BENCH_ACCOUNT_KEY"

# Starts a background command that prints its URL on its first line;
# sets $started to that URL.
start() {
    local out="$WORK/url.$RANDOM"
    "$@" >"$out" &
    PIDS+=($!)
    for _ in $(seq 1 100); do [[ -s $out ]] && break; sleep 0.1; done
    started="$(head -1 "$out")"
}

echo "account: $CONTAINERS containers x $BLOBS blobs, page size 100, proxy +${DELAY_MS} ms a request"
load "before capturing"
declare -A secs
for c in 1 16; do
    start $CEILING log-proxy "$URL" "$WORK/log-$c.txt"
    start "$HELPER" proxy "$started" "$DELAY_MS"
    "$BLOBSEL" preview "$WORK/sel.xml" --account-url "$started" --page-size 100 \
        --concurrency "$c" --summary -o "$WORK/out-$c.txt" 2>"$WORK/err-$c.txt"
    secs[$c]=$(sed -nE 's/listing took: +([0-9.]+) s.*/\1/p' "$WORK/err-$c.txt")
    echo "captured --concurrency $c: $(grep '^listed:' "$WORK/err-$c.txt" | sed 's/^listed: *//'); ${secs[$c]} s"
done
cmp -s "$WORK/out-1.txt" "$WORK/out-16.txt" || { echo "the outputs differ" >&2; exit 1; }
load "after capturing"
$CEILING bound "$URL" "$WORK/log-1.txt" "$WORK/log-16.txt" "${secs[1]}" \
    --delay-ms "$DELAY_MS" --rounds "$ROUNDS"
load "after the replays"
$CEILING classes "$URL" "bench-live-${CONTAINERS}x${BLOBS}-0" --repeat "$REPEAT"
load "after the kinds of requests"
