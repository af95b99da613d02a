# shellcheck shell=bash
# The core checks of scripts/e2e and scripts/container-e2e, sourced after lib.sh once the
# fleet runs (sandbox, Redis, three replicas, nginx). The sourcing script defines:
#   start_replica I / wait_replica I / stop_replica I SIGNAL   one replica (0, 1, 2)
#   start_fleet / stop_fleet                                   all three (SIGTERM)
#   keys_cmd ARGS...       `norman-mcp keys ARGS` on the keyring the replicas read
#   publish_keys           make every replica take that keyring (after each change to it);
#                          PUBLISHED says how, for the report
#   reload_nginx [I]       a new nginx configuration (replica I `down`), applied gracefully
# and REPLAY, the replay store URL that start_replica passes (empty: none), and HAVE_REPLAY.

# =============================================================================================
section "1. OAuth flow and MCP calls through nginx, each step on another replica"

ORDER=()   # the replica of each step, in order
# step NAME METHOD PATH OK: records which replica answered and reports NAME.
step() {
    local name=$1 method=$2 path=$3 ok=$4 r
    r=$(answered_by "$method" "$path")
    ORDER+=("$r")
    if [ "$ok" = 0 ]; then pass "$name (replica $r)"; else fail "$name (replica $r; HTTP $STATUS: $(head -c 300 "$DIR/body"))"; fi
}
okif() { if "$@"; then echo 0; else echo 1; fi; }

snapshot; mcp "" "$INITIALIZE"
step "POST /mcp without a token: 401 with resource_metadata" POST /mcp \
    "$(okif eval '[ "$STATUS" = 401 ] && header www-authenticate | grep -qF "resource_metadata=\"$PUBLIC/.well-known/oauth-protected-resource/mcp\""')"

snapshot; http "$PUBLIC/.well-known/oauth-protected-resource/mcp"
step "GET protected resource metadata: resource $PUBLIC/mcp" GET /.well-known/oauth-protected-resource/mcp \
    "$(okif eval '[ "$STATUS" = 200 ] && [ "$(jq -r .resource "$DIR/body")" = "$PUBLIC/mcp" ] && [ "$(jq -r ".authorization_servers[0]" "$DIR/body")" = "$PUBLIC" ]')"

snapshot; http "$PUBLIC/.well-known/oauth-authorization-server"
step "GET authorization server metadata: issuer $PUBLIC" GET /.well-known/oauth-authorization-server \
    "$(okif eval '[ "$STATUS" = 200 ] && [ "$(jq -r .issuer "$DIR/body")" = "$PUBLIC" ] && jq -e ".code_challenge_methods_supported | index(\"S256\")" "$DIR/body" >/dev/null')"

snapshot; register
CLIENT1=$CLIENT_ID
step "POST /register: a sealed client id" POST /register \
    "$(okif eval '{ [ "$STATUS" = 201 ] || [ "$STATUS" = 200 ]; } && [ -n "$CLIENT1" ] && [ "${CLIENT1#nmi_}" != "$CLIENT1" ]')"

snapshot; authorize_page "$CLIENT1"
step "GET /authorize: login page with login_request and nm_login_ cookie" GET /authorize \
    "$(okif eval '[ "$STATUS" = 200 ] && [ -n "$LOGIN_REQUEST" ] && [ -n "$LOGIN_COOKIE" ]')"

snapshot; login demo@norman.finance demo-password-1
step "POST /authorize (login): 303 with code, state, iss" POST /authorize \
    "$(okif eval '[ "$STATUS" = 303 ] && [ "${LOCATION%%\?*}" = "$REDIRECT" ] && [ -n "$CODE" ] && [ "$RETURNED_STATE" = "$STATE" ] && [ "$RETURNED_ISS" = "$PUBLIC" ]')"

snapshot; exchange "$CLIENT1" "$CODE" "$VERIFIER"
ACCESS1=$ACCESS REFRESH1=$REFRESH
step "POST /token (authorization_code, PKCE S256): access and refresh token" POST /token \
    "$(okif eval '[ "$STATUS" = 200 ] && [ "${ACCESS1#nma_}" != "$ACCESS1" ] && [ "${REFRESH1#nmr_}" != "$REFRESH1" ]')"

snapshot; mcp "$ACCESS1" "$INITIALIZE"
step "POST /mcp initialize" POST /mcp "$(okif eval '[ "$STATUS" = 200 ] && jq -e .result.protocolVersion "$DIR/body" >/dev/null')"

snapshot; mcp "$ACCESS1" "$TOOLS_LIST"
TOOL_COUNT=$(jq '.result.tools | length' "$DIR/body" 2>/dev/null)
step "POST /mcp tools/list: ${TOOL_COUNT:-no} tools, get_company_details among them" POST /mcp \
    "$(okif eval '[ "$STATUS" = 200 ] && jq -e ".result.tools | map(.name) | index(\"get_company_details\")" "$DIR/body" >/dev/null')"

snapshot; company_call "$ACCESS1"
step "POST /mcp tools/call get_company_details: $COMPANY" POST /mcp "$(okif company_ok)"

snapshot; refresh "$CLIENT1" "$REFRESH1"
ACCESS1=$ACCESS REFRESH1=$REFRESH
step "POST /token (refresh_token): new access and refresh token" POST /token \
    "$(okif eval '[ "$STATUS" = 200 ] && [ -n "$ACCESS1" ] && [ -n "$REFRESH1" ]')"

snapshot; company_call "$ACCESS1"
step "POST /mcp tools/call with the refreshed token: $COMPANY" POST /mcp "$(okif company_ok)"

distinct_neighbours() {
    local i
    for i in "${!ORDER[@]}"; do
        [ "${ORDER[$i]}" != "?" ] || return 1
        ((i == 0)) || [ "${ORDER[$i]}" != "${ORDER[$((i - 1))]}" ] || return 1
    done
    printf '%s\n' "${ORDER[@]}" | sort -u | wc -l | grep -qx 3
}
check "every step on another replica than the step before, all three used: ${ORDER[*]}" distinct_neighbours

# =============================================================================================
section "2. All replicas restarted mid-session"

stop_fleet
start_fleet
note "replicas stopped (SIGTERM) and started again, same keyring"
snapshot; company_call "$ACCESS1"
check "the access token from before the restart still calls tools (replica $(answered_by POST /mcp))" company_ok
snapshot; refresh "$CLIENT1" "$REFRESH1"
ACCESS1=$ACCESS REFRESH1=$REFRESH
check "the refresh token from before the restart still refreshes (replica $(answered_by POST /token))" \
    eval '[ "$STATUS" = 200 ] && [ -n "$ACCESS1" ]'
snapshot; company_call "$ACCESS1"
check "the token refreshed after the restart calls tools (replica $(answered_by POST /mcp))" company_ok
snapshot; authorize_page "$CLIENT1"
check "the client id registered before the restart still opens the login page (replica $(answered_by GET /authorize))" \
    eval '[ "$STATUS" = 200 ] && [ -n "$LOGIN_REQUEST" ]'

# =============================================================================================
section "3. Key rotation under load"

# A second grant under key 1 that is never refreshed: after key 1 is retired, its refresh
# token must be refused.
register; CLIENT1B=$CLIENT_ID
authorize_page "$CLIENT1B"; login demo@norman.finance demo-password-1
exchange "$CLIENT1B" "$CODE" "$VERIFIER"
ACCESS1B=$ACCESS REFRESH1B=$REFRESH
check "before rotation: tokens are sealed under key 1" \
    eval '[ "$(access_key "$ACCESS1")" = 1 ] && [ "$(envelope_key "$REFRESH1B")" = 1 ] && [ "$(envelope_key "$CLIENT1B")" = 1 ]'

load rotate "$ACCESS1" 22 4
sleep 3
keys_cmd rotate --activate-in 5s >/dev/null
ACTIVATE_AT=$((SECONDS + 5))
publish_keys
note "keys rotate --activate-in 5s; $PUBLISHED"
reloaded_all() {
    local i
    for i in 0 1 2; do grep -q "keyring reloaded.*keys=\[$1\]" "$DIR/replica$i.log" || return 1; done
}
for _ in $(seq 40); do reloaded_all "1, 2" && break; sleep 0.1; done
check "every replica reloaded the keyring: keys=[1, 2]" reloaded_all "1, 2"
while ((SECONDS <= ACTIVATE_AT)); do sleep 0.2; done
sleep 1

# After the switch: a new client, a new login, and a refresh of the key-1 grant.
register; CLIENT2=$CLIENT_ID
authorize_page "$CLIENT2"; login demo@norman.finance demo-password-1
CODE2=$CODE
exchange "$CLIENT2" "$CODE" "$VERIFIER"
ACCESS2=$ACCESS REFRESH2=$REFRESH
check "after the switch: new client id, code, access and refresh token sealed under key 2" \
    eval '[ "$(envelope_key "$CLIENT2")" = 2 ] && [ "$(envelope_key "$CODE2")" = 2 ] && [ "$(access_key "$ACCESS2")" = 2 ] && [ "$(envelope_key "$REFRESH2")" = 2 ]'
refresh "$CLIENT1" "$REFRESH1"
ACCESS1R=$ACCESS REFRESH1R=$REFRESH
check "after the switch: refreshing the key-1 grant gives an access token signed by key 2" \
    eval '[ "$STATUS" = 200 ] && [ "$(access_key "$ACCESS1R")" = 2 ]'

load_result rotate
check "load with a key-1 token across rotate, reload and switch: no failed request ($LOAD_LINE)" load_clean

# The emergency stop under load: retire key 1 while key-2 tokens are in use.
load retire2 "$ACCESS2" 12 2
load retire1r "$ACCESS1R" 12 2
sleep 3
cp "$KEYS" "$DIR/keys-copy.toml"
check "keys retire 2 (the sealing key) without --force is refused" \
    eval '! "$BIN" keys retire 2 --keys "$DIR/keys-copy.toml" >/dev/null 2>&1'
keys_cmd retire 1 >/dev/null
publish_keys
note "keys retire 1; $PUBLISHED"
for _ in $(seq 40); do reloaded_all "2" && break; sleep 0.1; done
check "every replica reloaded the keyring: keys=[2]" reloaded_all "2"
cp "$KEYS" "$DIR/keys-copy.toml"
check "keys retire 2 --force on the last key is refused" \
    eval '! "$BIN" keys retire 2 --force --keys "$DIR/keys-copy.toml" >/dev/null 2>&1'
load_result retire2
check "load with a key-2 token across retire 1 and reload: no failed request ($LOAD_LINE)" load_clean
load_result retire1r
check "load with a key-2 token of a key-1 client across retire 1: no failed request ($LOAD_LINE)" load_clean

refused_everywhere() { # TOKEN: 401 invalid_token on three replicas in a row
    local token=$1 seen="" k
    for k in 1 2 3; do
        snapshot; mcp "$token" "$COMPANY_CALL"
        seen="$seen$(answered_by POST /mcp)"
        [ "$STATUS" = 401 ] && header www-authenticate | grep -qF 'error="invalid_token"' || return 1
    done
    [ "$(printf %s "$seen" | fold -w1 | sort -u | tr -d '\n')" = 123 ]
}
check "the key-1 access tokens are refused with 401 invalid_token on every replica" \
    eval 'refused_everywhere "$ACCESS1" && refused_everywhere "$ACCESS1B"'
refresh "$CLIENT1B" "$REFRESH1B"
check "the key-1 refresh token is refused ($STATUS $(oauth_error))" \
    eval '[ "$STATUS" = 400 ] || [ "$STATUS" = 401 ]'
refresh "$CLIENT1" "$REFRESH1R"
check "a key-2 refresh token of a key-1 client gets invalid_client, so the client registers again ($STATUS $(oauth_error))" \
    eval '[ "$(oauth_error)" = invalid_client ]'
authorize_page "$CLIENT1B"
check "the key-1 client id gets an error page at /authorize, not a login page ($STATUS)" \
    eval '[ "$STATUS" = 400 ] && [ -z "$LOGIN_REQUEST" ]'
refresh "$CLIENT2" "$REFRESH2"
REFRESH2=$REFRESH
check "the key-2 grant still refreshes" eval '[ "$STATUS" = 200 ] && [ -n "$REFRESH2" ]'
ACCESS2=$ACCESS

# =============================================================================================
section "4. One replica restarted, one killed, under load"

# A planned restart, as the README says: drain the replica in nginx (`down`, graceful reload),
# stop it (SIGTERM: it finishes what it holds), start it, put it back. Production configuration.
# nginx's own reload closes the client connections that are idle in its old worker at that
# instant; wrk sees those as read errors on a request nginx never read (an nginx behaviour, the
# same with any upstream). So the check is: every answer wrk received was a tool result, nginx
# answered every /mcp request it read with a 200, and wrk lost nothing but connections the two
# reloads closed (at most one per wrk connection per reload; no connect, write or timeout errors).
nginx_mark
load drain "$ACCESS2" 14 4
sleep 2
reload_nginx 1
stop_replica 1 TERM
start_replica 1; wait_replica 1
reload_nginx
note "replica 2 drained in nginx, stopped (SIGTERM), started, put back, under load"
load_result drain
DRAIN_NGINX_FAILED=$(nginx_failed_since_mark)
drain_clean() {
    local field
    for field in bad connect write timeout; do
        printf %s "$LOAD_LINE" | grep -q " $field=0 " || return 1
    done
    local read
    read=$(printf %s "$LOAD_LINE" | sed -n 's/.* read=\([0-9]*\).*/\1/p')
    ((LOAD_REQUESTS > 0 && DRAIN_NGINX_FAILED == 0 && ${read:-99} <= 2 * 4))
}
check "planned restart of one replica under load, production configuration: no request failed at nginx or a replica (nginx non-200 for /mcp: $DRAIN_NGINX_FAILED; wrk: $LOAD_LINE; read errors are idle client connections closed by nginx's reloads)" drain_clean
drain_clean || nginx_explain

# A crash (SIGKILL: requests in flight on it are cut) through the configuration that lets
# nginx retry /mcp on another replica; safe here because the load is read-only tool calls.
nginx_mark
load kill "$ACCESS2" 10 4 "http://127.0.0.1:$NGINX_RETRY_PORT"
sleep 3
stop_replica 2 KILL
note "replica 3 killed (SIGKILL) under load, nginx retrying /mcp (non_idempotent)"
sleep 2
start_replica 2; wait_replica 2
load_result kill
check "SIGKILL of one replica under read-only load, /mcp retried: no failed request ($LOAD_LINE)" load_clean
load_clean || nginx_explain

# For the record, not checks: the production configuration never sends a POST twice, so what
# a replica that vanishes without a drain costs is the POSTs it held or was just being sent.
sleep 6   # nginx's fail_timeout: the restarted replica is back in rotation
load termprod "$ACCESS2" 8 4
sleep 3
stop_replica 0 TERM
sleep 1
start_replica 0; wait_replica 0
load_result termprod
note "for comparison, SIGTERM without a drain, production configuration: $LOAD_LINE"
sleep 6
load killprod "$ACCESS2" 8 4
sleep 3
stop_replica 0 KILL
sleep 1
start_replica 0; wait_replica 0
load_result killprod
note "for comparison, SIGKILL, production configuration: $LOAD_LINE"
sleep 6

# =============================================================================================
section "5. Authorization code replay"

# replay_round: a fresh login; sets CODE, VERIFIER, CLIENT_ID
fresh_code() {
    register
    authorize_page "$CLIENT_ID"
    login "$1" "$2"
}

if [ "$HAVE_REPLAY" = 1 ]; then
    fresh_code second@norman.finance demo-password-2
    snapshot; exchange "$CLIENT_ID" "$CODE" "$VERIFIER"
    first=$(answered_by POST /token) FIRST_REFRESH=$REFRESH
    check "with Redis: the code is exchanged once (replica $first)" eval '[ "$STATUS" = 200 ]'
    snapshot; exchange "$CLIENT_ID" "$CODE" "$VERIFIER"
    second=$(answered_by POST /token)
    check "with Redis: the same code replayed on another replica is refused (replica $second: $STATUS $(oauth_error))" \
        eval '[ "$STATUS" = 400 ] && [ "$(oauth_error)" = invalid_grant ] && [ "$first" != "$second" ]'
    snapshot; refresh "$CLIENT_ID" "$FIRST_REFRESH"
    third=$(answered_by POST /token)
    check "with Redis: the replay revoked the first exchange's grant on every replica (replica $third: $STATUS $(oauth_error))" \
        eval '[ "$STATUS" = 400 ] && [ "$(oauth_error)" = invalid_grant ]'
else
    skip "with Redis: code replay on another replica (needs --replay-store, branch infra)"
fi

# Without Redis: restart the fleet with the guard in memory.
REPLAY=""
stop_fleet
start_fleet
note "replicas restarted without --replay-store"
fresh_code second@norman.finance demo-password-2
SEEN="" RESULTS=""
for k in 1 2 3 4; do
    snapshot; exchange "$CLIENT_ID" "$CODE" "$VERIFIER"
    SEEN="$SEEN $(answered_by POST /token)" RESULTS="$RESULTS $STATUS"
done
note "the same code exchanged four times: replicas$SEEN, answers$RESULTS"
per_replica_ok() {
    set -- $SEEN
    [ "$1" != "$2" ] && [ "$2" != "$3" ] && [ "$1" != "$3" ] && [ "$4" = "$1" ] && [ "$RESULTS" = " 200 200 200 400" ]
}
check "without Redis: a code is redeemed once per replica (three replicas 200, the first again 400)" per_replica_ok

# =============================================================================================
section "6. Choosing the company: a login with two companies, each step on any replica"

SECOND_COMPANY=cmp_9GbR4xPm6NcW1sLj
register
snapshot; authorize_page "$CLIENT_ID"; login zwei@norman.finance demo-password-3
COMPANY_CHOICE=$(grep -o 'name="company_choice" value="[^"]*"' "$DIR/body" | sed 's/.*value="//; s/"$//')
check "POST /authorize (two companies): the company choice page, not a code (replica $(answered_by POST /authorize))" \
    eval '[ "$STATUS" = 200 ] && [ "${COMPANY_CHOICE#nms_}" != "$COMPANY_CHOICE" ] && [ -z "$CODE" ]'
snapshot; choose_company "$COMPANY_CHOICE" cmp_5LnD8wKq2TzR7hBv9
check "POST /authorize/company with an id not in the list: the page again (replica $(answered_by POST /authorize/company))" \
    eval '[ "$STATUS" = 400 ] && [ -z "$CODE" ]'
snapshot; choose_company "$COMPANY_CHOICE" "$SECOND_COMPANY"
check "POST /authorize/company: 303 with code and state (replica $(answered_by POST /authorize/company))" \
    eval '[ "$STATUS" = 303 ] && [ -n "$CODE" ] && [ "$RETURNED_STATE" = "$STATE" ]'
exchange "$CLIENT_ID" "$CODE" "$VERIFIER"
snapshot; mcp "$ACCESS" "$COMPANY_CALL"
check "the tokens act on the chosen company (replica $(answered_by POST /mcp))" \
    eval '[ "$STATUS" = 200 ] && grep -qF "$SECOND_COMPANY" "$DIR/body" && ! grep -qF "\"isError\":true" "$DIR/body"'
