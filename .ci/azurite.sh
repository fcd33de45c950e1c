#!/usr/bin/env bash
# A local Azurite blob service for the live tests (tests/live.rs).
#
#   bash .ci/azurite.sh start   # install (once), start, print `export BLOBSEL_AZURITE_URL=…`
#   bash .ci/azurite.sh stop    # stop it; safe to call twice
#   bash .ci/azurite.sh url     # print the endpoint of the running server
#
# Azurite is installed from npm at a pinned version into target/azurite
# (override with BLOBSEL_AZURITE_DIR), listens on 127.0.0.1 on a free port,
# keeps everything in memory, and serves the emulator account
# devstoreaccount1 with its published well-known key (the one in Azurite's own
# README and source). The endpoint is written
# to target/azurite/endpoint as well.
set -euo pipefail

AZURITE_VERSION=3.37.0
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${BLOBSEL_AZURITE_DIR:-$ROOT/target/azurite}
PIDFILE=$DIR/azurite.pid
ENDPOINT_FILE=$DIR/endpoint
LOG=$DIR/azurite.log
BIN=$DIR/node_modules/.bin/azurite-blob

log() { echo "azurite.sh: $*" >&2; }

running() {
    [[ -f $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

# Whether the server at $1 answers HTTP (any status: 403 without credentials).
answers() {
    curl --silent --noproxy '*' --max-time 2 --output /dev/null \
        --write-out '%{http_code}' "$1?comp=list" 2>/dev/null | grep -qv '^000$'
}

install() {
    local have=""
    if [[ -f $DIR/node_modules/azurite/package.json ]]; then
        have=$(node -p "require('$DIR/node_modules/azurite/package.json').version" 2>/dev/null || true)
    fi
    if [[ -x $BIN && $have == "$AZURITE_VERSION" ]]; then
        return
    fi
    command -v npm >/dev/null || { log "npm is needed to install Azurite (apt-get install npm)"; exit 1; }
    log "installing azurite@$AZURITE_VERSION into $DIR"
    mkdir -p "$DIR"
    npm install --prefix "$DIR" --no-audit --no-fund --loglevel=error \
        "azurite@$AZURITE_VERSION" >&2
}

free_port() {
    node -e 'const s=require("net").createServer();
             s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

start() {
    if running && [[ -f $ENDPOINT_FILE ]] && answers "$(cat "$ENDPOINT_FILE")"; then
        log "already running (pid $(cat "$PIDFILE"))"
        echo "export BLOBSEL_AZURITE_URL=$(cat "$ENDPOINT_FILE")"
        return
    fi
    stop >/dev/null 2>&1 || true
    install
    local try port url pid
    for try in 1 2 3; do
        port=$(free_port)
        url="http://127.0.0.1:$port/devstoreaccount1"
        # setsid: its own process group, so the caller's signals do not reach
        # it half-way; `stop` ends it by pid.
        setsid "$BIN" --blobHost 127.0.0.1 --blobPort "$port" --inMemoryPersistence \
            --disableTelemetry --skipApiVersionCheck --silent \
            </dev/null >"$LOG" 2>&1 &
        pid=$!
        echo "$pid" >"$PIDFILE"
        for _ in $(seq 1 100); do
            if answers "$url"; then
                echo "$url" >"$ENDPOINT_FILE"
                log "azurite $AZURITE_VERSION listening at $url (pid $pid, log $LOG)"
                echo "export BLOBSEL_AZURITE_URL=$url"
                return
            fi
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        log "try $try: azurite did not answer on port $port"
        stop >/dev/null 2>&1 || true
    done
    log "azurite failed to start; its log:"
    cat "$LOG" >&2 || true
    exit 1
}

stop() {
    if [[ -f $PIDFILE ]]; then
        local pid
        pid=$(cat "$PIDFILE")
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -9 "$pid" 2>/dev/null || true
            log "stopped (pid $pid)"
        fi
        rm -f "$PIDFILE"
    fi
    rm -f "$ENDPOINT_FILE"
}

case ${1:-} in
    start) start ;;
    stop) stop ;;
    url) [[ -f $ENDPOINT_FILE ]] && cat "$ENDPOINT_FILE" || { log "not running"; exit 1; } ;;
    *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
