# Sourced by the live benchmarks (live_listing.sh, live_ceiling.sh).

# The well-known Azurite development account key.
BENCH_ACCOUNT_KEY="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

# bench_azurite ROOT WORK: sets URL to BENCH_AZURITE_URL when given, else
# starts an Azurite of the benchmark's own (in memory, on a free port;
# installed by .ci/azurite.sh, its log in WORK), waits until it answers,
# sets URL to its account and AZURITE_PID to its process.
bench_azurite() {
    local root="$1" work="$2"
    URL="${BENCH_AZURITE_URL:-}"
    AZURITE_PID=""
    [[ -z $URL ]] || return 0
    local azurite="$root/target/azurite/node_modules/.bin/azurite-blob"
    [[ -x $azurite ]] || { bash "$root/.ci/azurite.sh" start >/dev/null; bash "$root/.ci/azurite.sh" stop; }
    local port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "$azurite" --blobHost 127.0.0.1 --blobPort "$port" --inMemoryPersistence --disableTelemetry \
        --skipApiVersionCheck --silent </dev/null >"$work/azurite.log" 2>&1 &
    AZURITE_PID=$!
    URL="http://127.0.0.1:$port/devstoreaccount1"
    for _ in $(seq 1 100); do
        curl -s -o /dev/null --noproxy '*' "$URL?comp=list" && break
        sleep 0.1
    done
}
