#!/usr/bin/env bash
# Local Azurite blob services for the live tests (tests/live*.rs).
#
#   bash .ci/azurite.sh start   # install (once), start, print `export BLOBSEL_AZURITE_URL=…`
#                               # and the HTTPS one's BLOBSEL_AZURITE_OAUTH_URL, BLOBSEL_AZURITE_CA
#   bash .ci/azurite.sh stop    # stop it; safe to call twice
#   bash .ci/azurite.sh url     # print the endpoint of the running server
#
# Azurite is installed from npm at a pinned version into target/azurite
# (override with BLOBSEL_AZURITE_DIR), listens on 127.0.0.1 on a free port,
# keeps everything in memory, and serves the emulator account
# devstoreaccount1 with its published well-known key (the one in Azurite's own
# README and source). The endpoint is written
# to target/azurite/endpoint as well.
#
# A second Azurite serves HTTPS with `--oauth basic` (it accepts Microsoft
# Entra ID bearer tokens, checking their audience, issuer and lifetime but
# not their signature, so tests mint them). Its certificate is made here
# with openssl: a throwaway certificate authority (target/azurite/oauth/ca.pem,
# which tests trust through SSL_CERT_FILE) and a server certificate for
# 127.0.0.1 and localhost signed by it.
set -euo pipefail

AZURITE_VERSION=3.37.0
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${BLOBSEL_AZURITE_DIR:-$ROOT/target/azurite}
PIDFILE=$DIR/azurite.pid
ENDPOINT_FILE=$DIR/endpoint
LOG=$DIR/azurite.log
BIN=$DIR/node_modules/.bin/azurite-blob
OAUTH=$DIR/oauth

log() { echo "azurite.sh: $*" >&2; }

running() {
    [[ -f $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

# Whether the server at $1 answers HTTP (any status: 403 without credentials).
answers() {
    curl --silent --noproxy '*' --max-time 2 --output /dev/null \
        ${2:+--cacert "$2"} \
        --write-out '%{http_code}' "$1?comp=list" 2>/dev/null | grep -qv '^000$'
}

# A certificate authority and a server certificate for 127.0.0.1, in $OAUTH.
make_certs() {
    [[ -f $OAUTH/ca.pem && -f $OAUTH/server.pem ]] && return
    command -v openssl >/dev/null || { log "openssl is needed for the HTTPS Azurite"; exit 1; }
    mkdir -p "$OAUTH"
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=blobsel test CA" \
        -keyout "$OAUTH/ca.key" -out "$OAUTH/ca.pem" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$OAUTH/server.key" -out "$OAUTH/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
        >"$OAUTH/server.ext"
    openssl x509 -req -in "$OAUTH/server.csr" -CA "$OAUTH/ca.pem" -CAkey "$OAUTH/ca.key" \
        -CAcreateserial -days 30 -extfile "$OAUTH/server.ext" -out "$OAUTH/server.pem" 2>/dev/null
}

# Starts the HTTPS `--oauth basic` Azurite; prints its exports.
start_oauth() {
    local pidfile=$OAUTH/azurite.pid endpoint=$OAUTH/endpoint
    if [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null && [[ -f $endpoint ]] \
        && answers "$(cat "$endpoint")" "$OAUTH/ca.pem"; then
        echo "export BLOBSEL_AZURITE_OAUTH_URL=$(cat "$endpoint")"
        echo "export BLOBSEL_AZURITE_CA=$OAUTH/ca.pem"
        return
    fi
    make_certs
    local try port url pid
    for try in 1 2 3; do
        port=$(free_port)
        url="https://127.0.0.1:$port/devstoreaccount1"
        setsid "$BIN" --blobHost 127.0.0.1 --blobPort "$port" --inMemoryPersistence \
            --disableTelemetry --skipApiVersionCheck --silent --oauth basic \
            --cert "$OAUTH/server.pem" --key "$OAUTH/server.key" \
            </dev/null >"$OAUTH/azurite.log" 2>&1 &
        pid=$!
        echo "$pid" >"$pidfile"
        for _ in $(seq 1 100); do
            if answers "$url" "$OAUTH/ca.pem"; then
                echo "$url" >"$endpoint"
                log "azurite (HTTPS, --oauth basic) listening at $url (pid $pid)"
                echo "export BLOBSEL_AZURITE_OAUTH_URL=$url"
                echo "export BLOBSEL_AZURITE_CA=$OAUTH/ca.pem"
                return
            fi
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        log "try $try: the HTTPS azurite did not answer on port $port"
        kill "$pid" 2>/dev/null || true
    done
    log "the HTTPS azurite failed to start; its log:"
    cat "$OAUTH/azurite.log" >&2 || true
    exit 1
}

# Ends the server whose pid is in $1 (politely, then for sure), saying $2.
stop_pidfile() {
    local pidfile=$1 what=$2 pid
    if [[ -f $pidfile ]]; then
        pid=$(cat "$pidfile")
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -9 "$pid" 2>/dev/null || true
            log "stopped $what (pid $pid)"
        fi
        rm -f "$pidfile"
    fi
}

stop_oauth() {
    stop_pidfile "$OAUTH/azurite.pid" "the HTTPS azurite"
    rm -f "$OAUTH/endpoint"
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
        start_oauth
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
                start_oauth
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
    stop_oauth
    stop_pidfile "$PIDFILE" "azurite"
    rm -f "$ENDPOINT_FILE"
}

case ${1:-} in
    start) start ;;
    stop) stop ;;
    url) [[ -f $ENDPOINT_FILE ]] && cat "$ENDPOINT_FILE" || { log "not running"; exit 1; } ;;
    oauth-url) [[ -f $OAUTH/endpoint ]] && cat "$OAUTH/endpoint" || { log "not running"; exit 1; } ;;
    *) echo "usage: $0 start|stop|url|oauth-url" >&2; exit 2 ;;
esac
