# shellcheck shell=bash
# "Sign in with Norman" through nginx, sourced by scripts/e2e after checks.sh: the replicas run
# with --norman-oauth-client-id (so the page offers both sign-ins) and the sandbox plays Norman's
# authorization server with NORMAN_OAUTH_CLIENT as a registered OAuth client whose redirect URI
# is $PUBLIC/oauth/callback. Each step may land on another replica: the state is sealed, the
# callback's single use is in the shared replay guard.

section "Sign in with Norman: our button, Norman's approval page, /oauth/callback"

register; CLIENT_N=$CLIENT_ID
authorize_page "$CLIENT_N"
check "GET /authorize offers \"Sign in with Norman\" beside the password form" \
    eval 'grep -qF "value=\"norman\"" "$DIR/body" && grep -qF "name=\"password\"" "$DIR/body"'

snapshot
http -X POST "$PUBLIC/authorize" -H "Cookie: $LOGIN_COOKIE" --data-urlencode "login_request=$LOGIN_REQUEST" \
    --data-urlencode consent=1 --data-urlencode allow_write=1 --data-urlencode action=norman
NORMAN_URL=$(header location)
NORMAN_COOKIE=$(grep -i '^set-cookie: *\(__Host-\)\?nm_norman_' "$DIR/headers" | head -n 1 | sed 's/^[^:]*: *//; s/;.*//' | tr -d '\r')
NORMAN_STATE=$(query_param state "$NORMAN_URL")
check "POST /authorize (Sign in with Norman): 303 to Norman's authorization endpoint with a sealed state (replica $(answered_by POST /authorize))" \
    eval '[ "$STATUS" = 303 ] && [ "${NORMAN_URL%%\?*}" = "http://127.0.0.1:$SANDBOX_PORT/api/v1/oauth/authorize/" ] && [ "${NORMAN_STATE#nmo_}" != "$NORMAN_STATE" ] && [ -n "$NORMAN_COOKIE" ]'

http "$NORMAN_URL"
check "Norman (the sandbox) shows its approval page" eval '[ "$STATUS" = 200 ] && grep -qF "Sign in and approve" "$DIR/body"'
norman_answer() {
    http -X POST "http://127.0.0.1:$SANDBOX_PORT/api/v1/oauth/authorize/" \
        --data-urlencode "client_id=$NORMAN_OAUTH_CLIENT" --data-urlencode "redirect_uri=$PUBLIC/oauth/callback" \
        --data-urlencode "state=$NORMAN_STATE" --data-urlencode "scope=read write" \
        --data-urlencode email=demo@norman.finance --data-urlencode password=demo-password-1 --data-urlencode "action=$1"
    CALLBACK=$(header location)
}
norman_answer approve
check "approving at Norman: 302 to $PUBLIC/oauth/callback with a code" \
    eval '[ "$STATUS" = 302 ] && [ "${CALLBACK%%\?*}" = "$PUBLIC/oauth/callback" ] && [ -n "$(query_param code "$CALLBACK")" ]'

snapshot; http "$CALLBACK" -H "Cookie: $NORMAN_COOKIE"
LOCATION=$(header location); CODE=$(query_param code "$LOCATION")
check "GET /oauth/callback: 303 to the client with code, state, iss (replica $(answered_by GET /oauth/callback))" \
    eval '[ "$STATUS" = 303 ] && [ "${LOCATION%%\?*}" = "$REDIRECT" ] && [ -n "$CODE" ] && [ "$(query_param state "$LOCATION")" = "$STATE" ] && [ "$(query_param iss "$LOCATION")" = "$PUBLIC" ]'

exchange "$CLIENT_N" "$CODE" "$VERIFIER"; ACCESS_N=$ACCESS REFRESH_N=$REFRESH
company_call "$ACCESS_N"
check "the code buys tokens that call tools: $COMPANY" company_ok
refresh "$CLIENT_N" "$REFRESH_N"; ACCESS_N=$ACCESS
company_call "$ACCESS_N"
check "a refresh (at Norman's OAuth token endpoint) gives a token that calls tools" company_ok

snapshot; http "$CALLBACK" -H "Cookie: $NORMAN_COOKIE"
check "the same callback again: a page, no redirect (replica $(answered_by GET /oauth/callback); the replay guard is shared)" \
    eval '[ "$STATUS" = 400 ] && [ -z "$(header location)" ]'

authorize_page "$CLIENT_N"
http -X POST "$PUBLIC/authorize" -H "Cookie: $LOGIN_COOKIE" --data-urlencode "login_request=$LOGIN_REQUEST" \
    --data-urlencode consent=1 --data-urlencode action=norman
NORMAN_URL=$(header location); NORMAN_STATE=$(query_param state "$NORMAN_URL")
NORMAN_COOKIE=$(grep -i '^set-cookie: *\(__Host-\)\?nm_norman_' "$DIR/headers" | head -n 1 | sed 's/^[^:]*: *//; s/;.*//' | tr -d '\r')
norman_answer approve
http "$CALLBACK"
check "a callback without the browser's cookie: 403 page, no redirect" eval '[ "$STATUS" = 403 ] && [ -z "$(header location)" ]'
norman_answer deny
http "$CALLBACK" -H "Cookie: $NORMAN_COOKIE"
LOCATION=$(header location)
check "denying at Norman: 303 to the client with error=access_denied and its state" \
    eval '[ "$STATUS" = 303 ] && [ "$(query_param error "$LOCATION")" = access_denied ] && [ "$(query_param state "$LOCATION")" = "$STATE" ] && [ -z "$(query_param code "$LOCATION")" ]'
