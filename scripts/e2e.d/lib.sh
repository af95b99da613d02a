# shellcheck shell=bash
# Shared by scripts/e2e (replicas as processes) and scripts/container-e2e (replicas as
# containers): reporting, free ports, which replica answered, the HTTP, OAuth and MCP helpers,
# the wrk load, and the nginx configuration. Sourced, never run. The script that sources it sets
# E2E_NAME, HERE (this directory), DIR (its work directory), BIN (the norman-mcp binary on the
# host, for the offline `keys` and `token` commands), KEYS (the keyring those commands use),
# the ports and PUBLIC; and it defines how the fleet starts and stops (see checks.sh).

# ---------------------------------------------------------------------------------------------
# Reporting

PASSED=0 FAILED=0 SKIPPED=0
pass() { PASSED=$((PASSED + 1)); echo "PASS $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $*"; }
skip() { SKIPPED=$((SKIPPED + 1)); echo "SKIP $*"; }
note() { echo "     $*"; }
section() { echo; echo "== $*"; }
# check NAME CONDITION...: PASS when the condition (a command) succeeds.
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
die() { echo "${E2E_NAME:-e2e}: $*" >&2; exit 2; }

# ---------------------------------------------------------------------------------------------
# Tools

# install_missing COMMAND:PACKAGE...: installs from Debian packages the packages whose command
# is missing (apt-get; as root or through sudo).
install_missing() {
    local pair missing=() sudo=()
    for pair in "$@"; do
        command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
    done
    ((${#missing[@]})) || return 0
    echo "${E2E_NAME:-e2e}: installing ${missing[*]} (apt-get)"
    [ "$(id -u)" = 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq || die "apt-get update failed"
    # A freshly installed nginx must not start a system instance on port 80.
    DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
}

# has_replay_store: whether this binary has --replay-store (without it the Redis checks skip).
has_replay_store() { "$BIN" serve --help 2>/dev/null | grep -q -- '--replay-store'; }

# ---------------------------------------------------------------------------------------------
# Ports

# A port nobody listens on, never handed out twice in this run. Below the ephemeral range, so
# no outgoing connection takes it meanwhile.
declare -A TAKEN=()
free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 12000))
        [ -z "${TAKEN[$p]:-}" ] || continue
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            TAKEN[$p]=1
            echo "$p"
            return
        fi
    done
}

# wait_http URL [SECONDS]: until URL answers at all.
wait_http() {
    local url=$1 deadline=$((SECONDS + ${2:-20}))
    while ((SECONDS < deadline)); do
        curl -s -o /dev/null --max-time 1 "$url" && return 0
        sleep 0.1
    done
    return 1
}

# ---------------------------------------------------------------------------------------------
# nginx

# render_nginx [I]: $DIR/nginx/nginx.conf from the template, with replica I (0, 1, 2) marked
# `down` (drained); then nginx_config_ok (the driver's) must accept it. NGINX_USER_LINE is the
# template's `user` line (empty: nginx's default).
render_nginx() {
    local d=("" "" "")
    [ -n "${1:-}" ] && d[$1]=" down"
    sed -e "s|@DIR@|$DIR|g; s|@USER_LINE@|${NGINX_USER_LINE:-}|; s|@NGINX_PORT@|$NGINX_PORT|g" \
        -e "s|@NGINX_RETRY_PORT@|$NGINX_RETRY_PORT|g; s|@R1@|${REPLICA_PORTS[0]}|" \
        -e "s|@R2@|${REPLICA_PORTS[1]}|; s|@R3@|${REPLICA_PORTS[2]}|" \
        -e "s|@D1@|${d[0]}|; s|@D2@|${d[1]}|; s|@D3@|${d[2]}|" \
        "$HERE/nginx.conf.template" >"$DIR/nginx/nginx.conf"
    nginx_config_ok 2>>"$DIR/nginx/error.log" || die "nginx refuses its configuration (see $DIR/nginx/error.log)"
}

# ---------------------------------------------------------------------------------------------
# Which replica answered: every replica logs each request's method and path at info level
# (`http{method=POST path=/token}: ... finished processing request`).

LOGLINE='finished processing request'
COUNTS=(0 0 0)
# With LOG_SETTLE (seconds) set, the counts are taken once they hold still that long: where log
# lines reach the files late (containers: through Podman), an earlier request's line must not
# land after the snapshot.
snapshot() {
    local i previous=""
    while :; do
        for i in 0 1 2; do COUNTS[$i]=$(grep -c "$LOGLINE" "$DIR/replica$i.log"); done
        [ -n "${LOG_SETTLE:-}" ] && [ "${COUNTS[*]}" != "$previous" ] || return 0
        previous="${COUNTS[*]}"
        sleep "$LOG_SETTLE"
    done
}
# answered_by METHOD PATH: the replica (1..3) that logged exactly this one request since the
# last snapshot, or "?" when it is not exactly one replica with exactly that request.
answered_by() {
    local method=$1 path=$2 i n found="" deadline=$((SECONDS + 3))
    while ((SECONDS < deadline)); do
        found=""
        local others=0
        for i in 0 1 2; do
            n=$(grep -c "$LOGLINE" "$DIR/replica$i.log")
            if ((n == COUNTS[i] + 1)); then
                if tail -n +1 "$DIR/replica$i.log" | grep "$LOGLINE" | tail -n 1 \
                    | grep -qF "http{method=$method path=$path}"; then
                    found="$found$((i + 1))"
                else
                    others=1
                fi
            elif ((n != COUNTS[i])); then
                others=1
            fi
        done
        if ((${#found} == 1)) && ((others == 0)); then echo "$found"; return; fi
        sleep 0.05
    done
    echo "?"
}

# ---------------------------------------------------------------------------------------------
# HTTP helpers (curl). Each sets STATUS and leaves the body in $DIR/body, the headers in $DIR/headers.

STATUS=""
http() {
    STATUS=$(curl -s -o "$DIR/body" -D "$DIR/headers" -w '%{http_code}' --max-time 20 "$@")
}
header() { grep -i "^$1:" "$DIR/headers" | head -n 1 | sed 's/^[^:]*: *//' | tr -d '\r'; }
body() { cat "$DIR/body"; }

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
# envelope_key TOKEN: the key id in a sealed envelope's header (prefix_ version | key id u32 BE | ...).
envelope_key() {
    local b=${1#*_}
    b=$(printf %s "${b:0:8}" | tr -- '-_' '+/')
    printf %s "$b" | base64 -d 2>/dev/null | od -An -tu1 -j1 -N4 | awk '{print $1*16777216 + $2*65536 + $3*256 + $4}'
}
# access_key TOKEN: the key that signed an access token (norman-mcp token inspect).
access_key() { "$BIN" token inspect "$1" --keys "$KEYS" --public-url "$PUBLIC" 2>/dev/null | awk '/signed by/ {print $4}'; }

REDIRECT="http://127.0.0.1:9/callback"

register() {
    http -X POST "$PUBLIC/register" -H 'Content-Type: application/json' \
        -d "{\"client_name\":\"e2e\",\"redirect_uris\":[\"$REDIRECT\"],\"token_endpoint_auth_method\":\"none\",\"grant_types\":[\"authorization_code\",\"refresh_token\"],\"response_types\":[\"code\"]}"
    CLIENT_ID=$(jq -r '.client_id // empty' "$DIR/body" 2>/dev/null)
}

# authorize_page CLIENT_ID: GET /authorize with a fresh PKCE pair and state; sets VERIFIER,
# STATE, LOGIN_REQUEST, LOGIN_COOKIE.
authorize_page() {
    VERIFIER=$(openssl rand 48 | b64url)
    local challenge
    challenge=$(printf %s "$VERIFIER" | openssl dgst -binary -sha256 | b64url)
    STATE=$(openssl rand 12 | b64url)
    http -G "$PUBLIC/authorize" --data-urlencode response_type=code --data-urlencode "client_id=$1" \
        --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "code_challenge=$challenge" \
        --data-urlencode code_challenge_method=S256 --data-urlencode "state=$STATE" \
        --data-urlencode "scope=norman.read norman.write" --data-urlencode "resource=$PUBLIC/mcp"
    LOGIN_REQUEST=$(grep -o 'name="login_request" value="[^"]*"' "$DIR/body" | sed 's/.*value="//; s/"$//')
    LOGIN_COOKIE=$(grep -i '^set-cookie: *\(__Host-\)\?nm_login_' "$DIR/headers" | head -n 1 \
        | sed 's/^[^:]*: *//; s/;.*//' | tr -d '\r')
}

# login EMAIL PASSWORD: POST /authorize; sets LOCATION, CODE, RETURNED_STATE, RETURNED_ISS.
login() {
    http -X POST "$PUBLIC/authorize" -H "Cookie: $LOGIN_COOKIE" \
        --data-urlencode "login_request=$LOGIN_REQUEST" --data-urlencode "email=$1" \
        --data-urlencode "password=$2" --data-urlencode action=login
    LOCATION=$(header location)
    CODE=$(query_param code "$LOCATION")
    RETURNED_STATE=$(query_param state "$LOCATION")
    RETURNED_ISS=$(query_param iss "$LOCATION")
}
# choose_company ENVELOPE COMPANY_ID: POST /authorize/company (the company choice page's
# answer, with the login's cookie); sets LOCATION, CODE, RETURNED_STATE.
choose_company() {
    http -X POST "$PUBLIC/authorize/company" -H "Cookie: $LOGIN_COOKIE" \
        --data-urlencode "company_choice=$1" --data-urlencode "company_id=$2" --data-urlencode action=choose
    LOCATION=$(header location)
    CODE=$(query_param code "$LOCATION")
    RETURNED_STATE=$(query_param state "$LOCATION")
}
query_param() {
    printf %s "$2" | grep -o "[?&]$1=[^&]*" | head -n 1 | sed 's/^[?&][^=]*=//' \
        | sed 's/%3A/:/g; s/%2F/\//g; s/%3a/:/g; s/%2f/\//g'
}

# exchange CLIENT_ID CODE VERIFIER: POST /token (authorization_code); sets ACCESS, REFRESH.
exchange() {
    http -X POST "$PUBLIC/token" --data-urlencode grant_type=authorization_code \
        --data-urlencode "client_id=$1" --data-urlencode "code=$2" --data-urlencode "code_verifier=$3" \
        --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "resource=$PUBLIC/mcp"
    ACCESS=$(jq -r '.access_token // empty' "$DIR/body" 2>/dev/null)
    REFRESH=$(jq -r '.refresh_token // empty' "$DIR/body" 2>/dev/null)
}
# refresh CLIENT_ID REFRESH_TOKEN: POST /token (refresh_token); sets ACCESS, REFRESH.
refresh() {
    http -X POST "$PUBLIC/token" --data-urlencode grant_type=refresh_token \
        --data-urlencode "client_id=$1" --data-urlencode "refresh_token=$2" \
        --data-urlencode "resource=$PUBLIC/mcp"
    ACCESS=$(jq -r '.access_token // empty' "$DIR/body" 2>/dev/null)
    REFRESH=$(jq -r '.refresh_token // empty' "$DIR/body" 2>/dev/null)
}
oauth_error() { jq -r '.error // empty' "$DIR/body" 2>/dev/null; }

# mcp TOKEN JSON [BASE_URL]: POST /mcp as a Streamable HTTP client would.
mcp() {
    local auth=()
    [ -n "$1" ] && auth=(-H "Authorization: Bearer $1")
    http -X POST "${3:-$PUBLIC}/mcp" -H 'Content-Type: application/json' \
        -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2025-11-25' \
        "${auth[@]}" -d "$2"
}
INITIALIZE='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}}'
TOOLS_LIST='{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}'
COMPANY_CALL='{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"get_company_details","arguments":{}}}'
COMPANY="Muster Design GmbH"
company_ok() { [ "$STATUS" = 200 ] && grep -qF "$COMPANY" "$DIR/body" && ! grep -qF '"isError":true' "$DIR/body"; }
# company_call TOKEN: tools/call get_company_details; true when it answers the demo company.
company_call() { mcp "$1" "$COMPANY_CALL"; company_ok; }

# load NAME TOKEN SECONDS CONNECTIONS [BASE_URL]: wrk in the background against /mcp; the
# result lands in $DIR/wrk-NAME.out. load_result NAME waits and sets LOAD_LINE, LOAD_BAD.
load() {
    E2E_TOKEN=$2 wrk -t1 -c"$4" -d"$3s" --timeout 10s -s "$HERE/mcp.lua" "${5:-$PUBLIC}/mcp" \
        >"$DIR/wrk-$1.out" 2>&1 &
    PIDS[wrk-$1]=$!
}
load_result() {
    wait "${PIDS[wrk-$1]}" 2>/dev/null
    unset "PIDS[wrk-$1]"
    LOAD_LINE=$(grep '^E2E ' "$DIR/wrk-$1.out" | sed 's/^E2E //')
    local requests bad socket
    requests=$(printf %s "$LOAD_LINE" | sed -n 's/.*requests=\([0-9]*\).*/\1/p')
    bad=$(printf %s "$LOAD_LINE" | sed -n 's/.* bad=\([0-9]*\).*/\1/p')
    socket=$(printf %s "$LOAD_LINE" | sed -n 's/.*socket_errors=\([0-9]*\).*/\1/p')
    LOAD_REQUESTS=${requests:-0}
    LOAD_BAD=$(( ${bad:-1} + ${socket:-1} ))
    [ -n "$LOAD_LINE" ] || { LOAD_LINE="(wrk printed no summary: $(tail -n 3 "$DIR/wrk-$1.out" | tr '\n' ' '))"; LOAD_BAD=1; }
}
load_clean() { ((LOAD_BAD == 0 && LOAD_REQUESTS > 0)); }

# nginx_mark / nginx_failed_since_mark: /mcp requests nginx answered with anything but a 200
# since the mark (499, "the client closed first", is wrk stopping with requests in flight).
nginx_mark() {
    NGINX_MARK=$(wc -l <"$DIR/nginx/access.log")
    NGINX_ERROR_MARK=$(wc -l <"$DIR/nginx/error.log")
}
nginx_failed_since_mark() {
    tail -n +"$((NGINX_MARK + 1))" "$DIR/nginx/access.log" \
        | awk '$3 == "/mcp\"" && $4 != 200 && $4 != 499' | wc -l
}
# nginx_explain: after a failed load check, what nginx logged since the mark: its warnings and
# errors (which replica failed how, "no live upstreams") and the /mcp requests it answered with
# anything but a 200, with the replicas each went to and their statuses. Neither log holds a
# token: nginx logs the request line and the upstream, never a header.
nginx_explain() {
    tail -n +"$((NGINX_ERROR_MARK + 1))" "$DIR/nginx/error.log" | grep -E '\[(warn|error|crit|alert)\]' \
        | head -n 30 | sed 's/^/       nginx error.log: /'
    tail -n +"$((NGINX_MARK + 1))" "$DIR/nginx/access.log" | awk '$3 == "/mcp\"" && $4 != 200' \
        | head -n 30 | sed 's/^/       nginx access.log: /'
}

# check_replica_logs: the closing check of a run. Load runs end with calls in flight and the
# kills cut them: clients going away mid-call are routine, and logged as the access line's
# outcome, never as an ERROR an operator is paged for. Prints the first lines when there are any.
check_replica_logs() {
    section "The replicas' logs"
    local errors
    errors=$(cat "$DIR"/replica*.log | grep -c ' ERROR ')
    check "no replica logged an ERROR line in the whole run, clients that went away mid-call included ($errors)" \
        test "$errors" = 0
    [ "$errors" = 0 ] || grep -h ' ERROR ' "$DIR"/replica*.log | head -n 10 | sed 's/^/       /'
}

# ---------------------------------------------------------------------------------------------
# finish: the closing line, `N passed, M failed`; the status is non-zero when a check failed
# (and the work directory is kept).
finish() {
    echo
    if ((FAILED > 0)); then echo "logs: $DIR (kept)"; E2E_KEEP=1; fi
    ((SKIPPED == 0)) || echo "$SKIPPED skipped"
    echo "$PASSED passed, $FAILED failed"
    ((FAILED == 0))
}
