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

URL="${BENCH_AZURITE_URL:-}"
if [[ -z $URL ]]; then
    AZURITE="$ROOT/target/azurite/node_modules/.bin/azurite-blob"
    [[ -x $AZURITE ]] || { bash .ci/azurite.sh start >/dev/null; bash .ci/azurite.sh stop; }
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "$AZURITE" --blobHost 127.0.0.1 --blobPort "$PORT" --inMemoryPersistence --disableTelemetry \
        --skipApiVersionCheck --silent </dev/null >"$WORK/azurite.log" 2>&1 &
    AZURITE_PID=$!
    URL="http://127.0.0.1:$PORT/devstoreaccount1"
    for _ in $(seq 1 100); do
        curl -s -o /dev/null --noproxy '*' "$URL?comp=list" && break
        sleep 0.1
    done
fi

"$HELPER" seed "$URL" "$CONTAINERS" "$BLOBS" >"$WORK/sel.xml"
"$HELPER" proxy "$URL" "$DELAY_MS" >"$WORK/proxy" &
PROXY_PID=$!
for _ in $(seq 1 50); do [[ -s $WORK/proxy ]] && break; sleep 0.1; done
PROXY_URL="$(cat "$WORK/proxy")"
export BLOBSEL_ACCOUNT_KEY="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

# One run: prints "seconds pages rows requests".
run() {
    "$BLOBSEL" preview "$WORK/sel.xml" --account-url "$PROXY_URL" --page-size 100 \
        --concurrency "$1" --summary -o "$WORK/out-$1.txt" 2>"$WORK/err-$1.txt"
    local listed took
    listed=$(grep '^listed:' "$WORK/err-$1.txt")
    took=$(grep '^listing took:' "$WORK/err-$1.txt")
    local pages rows secs requests
    pages=$(sed -E 's/.* ([0-9]+) List Blobs pages.*/\1/' <<<"$listed")
    rows=$(sed -E 's/.* ([0-9]+) rows.*/\1/' <<<"$listed")
    secs=$(sed -E 's/listing took: +([0-9.]+) s.*/\1/' <<<"$took")
    requests=$(sed -E 's/.* ([0-9]+) requests.*/\1/' <<<"$took")
    echo "$secs $pages $rows $requests"
}

echo "account: $CONTAINERS containers x $BLOBS blobs, page size 100, proxy +${DELAY_MS} ms a request"
printf '%-14s %8s %8s %8s %9s %10s %10s\n' concurrency seconds pages rows requests pages/s rows/s
declare -A best
for round in $(seq 1 "$ROUNDS"); do
    for c in 1 16; do
        read -r secs pages rows requests < <(run "$c")
        pps=$(awk -v p="$pages" -v s="$secs" 'BEGIN { printf "%.1f", p / s }')
        rps=$(awk -v r="$rows" -v s="$secs" 'BEGIN { printf "%.0f", r / s }')
        printf '%-14s %8s %8s %8s %9s %10s %10s\n' "$c (round $round)" "$secs" "$pages" "$rows" "$requests" "$pps" "$rps"
        if [[ -z "${best[$c]:-}" ]] || awk -v a="$pps" -v b="${best[$c]}" 'BEGIN { exit !(a > b) }'; then
            best[$c]=$pps
        fi
    done
    cmp -s "$WORK/out-1.txt" "$WORK/out-16.txt" || { echo "the outputs differ" >&2; exit 1; }
done
echo "same output at both: yes ($(wc -l <"$WORK/out-1.txt") blobs)"
awk -v a="${best[16]}" -v b="${best[1]}" \
    'BEGIN { printf "best pages/s: %s at concurrency 1, %s at 16: %.1fx\n", b, a, a / b }'
