# Sourced by the measuring scripts: runs the release `usergraph` binary on a
# fresh store and talks GraphQL to it with curl.
#
# start_server URL_TEMPLATE   starts it; @DIR@ in the URL is a fresh temporary
#                             directory. Sets SERVER_PID, BASE, TOKEN (admin).
# graphql QUERY [VARIABLES]   one request as the admin; prints the response.
# rss_kib                     the server's resident memory (VmRSS), KiB.

SERVER_BIN="${SERVER_BIN:-${CARGO_TARGET_DIR:-target}/release/usergraph}"

free_port() {
    local port
    for port in $(shuf -i 20000-60000 -n 50); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    echo "no free port found" >&2
    return 1
}

stop_server() {
    if [[ -n "${SERVER_PID:-}" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    [[ -n "${STORE_DIR:-}" ]] && rm -rf "$STORE_DIR"
}

start_server() {
    STORE_DIR=$(mktemp -d)
    trap stop_server EXIT
    local url=${1//@DIR@/$STORE_DIR} port
    port=$(free_port)
    BASE="http://127.0.0.1:$port"
    shift
    RUST_LOG=warn "$SERVER_BIN" serve --listen "127.0.0.1:$port" --database-url "$url" "$@" \
        >"$STORE_DIR/stdout" 2>"$STORE_DIR/stderr" &
    SERVER_PID=$!
    local waited=0
    until curl -sf "$BASE/healthz" >/dev/null; do
        sleep 0.2
        waited=$((waited + 1))
        if ((waited > 300)) || ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "the server did not start:" >&2
            cat "$STORE_DIR/stderr" >&2
            return 1
        fi
    done
    TOKEN=$(grep -o 'ugp_[A-Za-z0-9_]*' "$STORE_DIR/stdout" | head -1)
    [[ -n "$TOKEN" ]] || { echo "no admin token printed" >&2; return 1; }
}

# graphql QUERY [VARIABLES_JSON]
graphql() {
    local body
    body=$(jq -cn --arg q "$1" --argjson v "${2:-{\}}" '{query: $q, variables: $v}')
    curl -sf "$BASE/graphql" -H "authorization: Bearer $TOKEN" \
        -H 'content-type: application/json' -d "$body"
}

rss_kib() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status"
}

hwm_kib() {
    awk '/^VmHWM:/ { print $2 }' "/proc/$SERVER_PID/status"
}
