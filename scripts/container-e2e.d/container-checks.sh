# shellcheck shell=bash
# What only containers have, sourced by scripts/container-e2e after the shared checks (the fleet
# runs: sandbox, Redis, nginx and three replicas on the host's network): the HEALTHCHECK,
# SIGTERM to PID 1 with a request in flight, the TLS roots the image trusts, and the files in
# deploy/ (the Kubernetes manifest against the Kubernetes schemas; the compose file, run).

# =============================================================================================
section "6. The container: PID 1, healthcheck, user, read-only root"

pm healthcheck run "$PREFIX-replica1" >"$DIR/healthcheck.out" 2>&1
HC_STATUS=$?
check "podman healthcheck run (the image's HEALTHCHECK) on a serving replica: healthy" eval '[ "$HC_STATUS" = 0 ]'
# healthcheck_at ADDRESS: the image's healthcheck program against ADDRESS; its exit status.
healthcheck_at() {
    pm run --rm "${ONE_SHOT[@]}" --network host -e "NORMAN_MCP_BIND=$1" --entrypoint /usr/local/bin/norman-mcp-healthcheck \
        "$IMAGE" >/dev/null 2>&1
}
UNUSED_PORT=$(free_port)
check "the healthcheck fails when nothing listens, and when /healthz does not answer \`ok\` (the sandbox's port)" \
    eval '! healthcheck_at "127.0.0.1:$UNUSED_PORT" && ! healthcheck_at "127.0.0.1:$SANDBOX_PORT" && healthcheck_at "0.0.0.0:${REPLICA_PORTS[1]}"'

PID1_UID=$(pm exec "$PREFIX-replica1" bash -c 'while read -r k v _; do [ "$k" = Uid: ] && echo "$v"; done </proc/1/status' 2>&1)
PID1_EXE=$(pm exec "$PREFIX-replica1" bash -c 'read -r -d "" c </proc/1/cmdline; echo "$c"' 2>&1)
check "PID 1 is norman-mcp ($PID1_EXE), running as uid $PID1_UID" \
    eval '[ "$PID1_UID" = 10001 ] && [ "$PID1_EXE" = /usr/local/bin/norman-mcp ]'
check "the root file system and the keyring mount are read-only for it" \
    eval '! pm exec "$PREFIX-replica1" bash -c ": >/probe" 2>/dev/null && ! pm exec "$PREFIX-replica1" bash -c ": >/etc/norman-mcp/probe" 2>/dev/null'

# A tool call whose request body trickles in for about 5 s (250 kB of JSON whitespace at
# 50 kB/s), straight to replica 3; after 1 s `podman stop` sends PID 1 SIGTERM (SIGKILL after
# 10 s). The server must finish the call, then exit 0 on its own.
printf '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"get_company_details","arguments":{}}%250000s}' '' \
    >"$DIR/slow.json"
curl -s -o "$DIR/slow.out" -w '%{http_code}' --max-time 30 --limit-rate 50k \
    -X POST "http://127.0.0.1:${REPLICA_PORTS[2]}/mcp" -H "Host: 127.0.0.1:$NGINX_PORT" \
    -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
    -H 'MCP-Protocol-Version: 2025-11-25' -H "Authorization: Bearer $ACCESS2" \
    --data-binary @"$DIR/slow.json" >"$DIR/slow.status" 2>/dev/null &
SLOW_PID=$!
sleep 1
STOP_FROM=$(date +%s%N)
stop_replica 2 TERM
STOP_MS=$((($(date +%s%N) - STOP_FROM) / 1000000))
wait "$SLOW_PID"
check "SIGTERM to PID 1 with a tool call in flight: the call still answers 200 with $COMPANY" \
    eval '[ "$(cat "$DIR/slow.status")" = 200 ] && grep -qF "$COMPANY" "$DIR/slow.out"'
check "then the container exits with status 0 by itself, after $STOP_MS ms (it waited for the call; podman stop would SIGKILL at 10 s)" \
    eval '[ "$STOP_STATUS" = 0 ] && ((STOP_MS > 1500 && STOP_MS < 10000)) && grep -q "shutting down: finishing requests in flight" "$DIR/replica2.log"'
start_replica 2
wait_replica 2 || die "replica 3 did not start again (see $DIR/replica2.log)"

# =============================================================================================
section "7. TLS: the image verifies upstream certificates against /etc/ssl/certs/ca-certificates.crt"

# A throwaway CA, and a certificate for 127.0.0.1 and sandbox-tls (the compose run below).
TLS="$DIR/tls"
mkdir -p "$TLS"
(
    cd "$TLS" &&
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=norman-mcp-e2e-ca \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        -keyout ca.key -out ca.crt &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=sandbox-tls \
        -keyout server.key -out server.csr &&
    printf 'subjectAltName=IP:127.0.0.1,DNS:sandbox-tls\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' >server.ext &&
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 \
        -extfile server.ext -out server.crt
) >"$TLS/openssl.log" 2>&1 || die "openssl could not make the test certificates (see $TLS/openssl.log)"
chmod 0644 "$TLS/server.key"

# nginx terminating TLS in front of the sandbox Norman API.
TLS_PORT=$(free_port)
cat >"$TLS/nginx.conf" <<EOF
user root;
worker_processes 1;
daemon off;
pid $TLS/nginx.pid;
error_log $TLS/error.log notice;
events { worker_connections 64; }
http {
    access_log $TLS/access.log;
    client_body_temp_path $TLS/body;
    proxy_temp_path $TLS/proxy;
    fastcgi_temp_path $TLS/fastcgi;
    uwsgi_temp_path $TLS/uwsgi;
    scgi_temp_path $TLS/scgi;
    server {
        listen 127.0.0.1:$TLS_PORT ssl;
        ssl_certificate $TLS/server.crt;
        ssl_certificate_key $TLS/server.key;
        location / { proxy_pass http://127.0.0.1:$SANDBOX_PORT; }
    }
}
EOF
run_bg nginx-tls "$TLS/stdout.log" --network host -v "$TLS:$TLS" "$FLEET_IMAGE" nginx -c "$TLS/nginx.conf"
for _ in $(seq 100); do curl -s -o /dev/null --cacert "$TLS/ca.crt" "https://127.0.0.1:$TLS_PORT/" && break; sleep 0.1; done

# tls_replica NAME PORT [podman-run-arguments...]: a replica whose Norman API is behind that TLS.
tls_replica() {
    local name=$1 port=$2
    shift 2
    run_bg "$name" "$DIR/$name.log" --network host --read-only --cap-drop all \
        -v "$KEYRING:/etc/norman-mcp:ro" -e "NORMAN_MCP_BIND=127.0.0.1:$port" \
        -e "NORMAN_MCP_PUBLIC_URL=http://127.0.0.1:$port" -e "NORMAN_API_URL=https://127.0.0.1:$TLS_PORT/" \
        "$@" "$IMAGE"
    wait_http "http://127.0.0.1:$port/healthz" 30
}
# login_via BASE: register, the login page and the demo login at BASE (sets STATUS, CODE).
login_via() {
    local PUBLIC=$1
    register
    authorize_page "$CLIENT_ID"
    login demo@norman.finance demo-password-1
}
TRUSTING_PORT=$(free_port)
DEFAULT_PORT=$(free_port)
tls_replica tls-trusting "$TRUSTING_PORT" -v "$TLS/ca.crt:/etc/ssl/certs/ca-certificates.crt:ro"
tls_replica tls-default "$DEFAULT_PORT"
login_via "http://127.0.0.1:$TRUSTING_PORT"
TRUSTING_LOGIN=$STATUS TRUSTING_CODE=$CODE
login_via "http://127.0.0.1:$DEFAULT_PORT"
DEFAULT_LOGIN=$STATUS DEFAULT_CODE=$CODE
check "with the test CA mounted as /etc/ssl/certs/ca-certificates.crt, the login reaches Norman over TLS: $TRUSTING_LOGIN with a code" \
    eval '[ "$TRUSTING_LOGIN" = 303 ] && [ -n "$TRUSTING_CODE" ]'
check "with the image's own roots (Debian's), the same server is refused: $DEFAULT_LOGIN, no code" \
    eval '[ "$DEFAULT_LOGIN" != 303 ] && [ -z "$DEFAULT_CODE" ]'
stop_container tls-trusting TERM
stop_container tls-default TERM

# =============================================================================================
section "8. deploy/: the Kubernetes manifest and the compose file"

# The Python tools, pinned, in a venv in the cache folder (reused while the pins are unchanged).
VENV="$CACHE/venv-deploy-$(sha256sum "$OWN/requirements.txt" | cut -c1-12)"
if [ ! -x "$VENV/bin/kubernetes-validate" ] || [ ! -x "$VENV/bin/podman-compose" ]; then
    echo "container-e2e: installing kubernetes-validate and podman-compose into $VENV (pip)"
    rm -rf "$VENV"
    { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q --disable-pip-version-check \
        -r "$OWN/requirements.txt"; } >"$DIR/pip.log" 2>&1 || die "pip install failed (see $DIR/pip.log)"
fi

MANIFEST="$ROOT/deploy/kubernetes.yaml"
"$VENV/bin/kubernetes-validate" --strict --quiet "$MANIFEST" >"$DIR/k8s.out" 2>&1
K8S_STATUS=$?
check "kubernetes-validate --strict (Kubernetes $("$VENV/bin/python" -c 'import kubernetes_validate.version as v; print(v.__version__)' 2>/dev/null || echo '?') schemas, bundled): deploy/kubernetes.yaml is valid" \
    eval '[ "$K8S_STATUS" = 0 ]' || cat "$DIR/k8s.out"
# The validator must be able to say no: a misspelt field and a wrong type.
sed 's/readOnly: true/readonly: true/; s/replicas: 3/replicas: three/' "$MANIFEST" >"$DIR/k8s-broken.yaml"
check "and it refuses a copy with a misspelt field and a wrong type" \
    eval '! "$VENV/bin/kubernetes-validate" --strict --quiet "$DIR/k8s-broken.yaml" >/dev/null 2>&1'
MANIFEST_FACTS=$("$VENV/bin/python" - "$MANIFEST" <<'PY'
import sys, yaml
docs = {d["kind"]: d for d in yaml.safe_load_all(open(sys.argv[1])) if d}
dep, svc = docs["Deployment"], docs["Service"]
pod = dep["spec"]["template"]["spec"]
c = pod["containers"][0]
mount = next(m for m in c["volumeMounts"] if m["mountPath"] == "/etc/norman-mcp")
vol = next(v for v in pod["volumes"] if v["name"] == mount["name"])
env = {e["name"]: e.get("value") for e in c["env"]}
facts = [
    dep["spec"]["replicas"] == 3,
    mount.get("readOnly") is True and "secret" in vol and "subPath" not in mount,
    env.get("NORMAN_MCP_KEYS") == "/etc/norman-mcp/keys.toml",
    c["readinessProbe"]["httpGet"]["path"] == "/healthz",
    c["livenessProbe"]["httpGet"]["path"] == "/healthz",
    pod["securityContext"]["runAsUser"] == 10001 and c["securityContext"]["readOnlyRootFilesystem"] is True,
    svc["spec"]["selector"] == dep["spec"]["selector"]["matchLabels"],
]
print(" ".join("yes" if f else "no" for f in facts))
PY
)
check "it runs 3 replicas, the keyring a Secret mounted read-only (no subPath) at NORMAN_MCP_KEYS, readiness and liveness on /healthz, uid 10001 on a read-only root, a Service selecting the pods ($MANIFEST_FACTS)" \
    eval '[ "$MANIFEST_FACTS" = "yes yes yes yes yes yes yes" ]'

# The compose file, for real: podman-compose with this script's Podman storage, the images built
# above (nginx and Redis from the fleet image instead of the official ones), and the e2e
# additions (scripts/container-e2e.d/compose.e2e.yaml): the sandbox Norman API behind TLS, whose
# test CA the replicas trust. nginx publishes on a loopback port.
printf '#!/bin/sh\nexec podman %s "$@"\n' "$(printf '%q ' "${PODMAN_ARGS[@]}")" >"$DIR/podman"
chmod +x "$DIR/podman"
COMPOSE_DIR="$DIR/compose"
install -d -m 0700 -o 10001 -g 10001 "$COMPOSE_DIR"
pm run --rm "${ONE_SHOT[@]}" --network none -v "$COMPOSE_DIR:/etc/norman-mcp" "$IMAGE" keys init >/dev/null \
    || die "keys init for the compose run failed"
COMPOSE_PORT=$(free_port)
COMPOSE_PUBLIC="http://127.0.0.1:$COMPOSE_PORT"
compose_up() { # `compose up -d`, killed after COMPOSE_UP_TIMEOUT seconds
    compose up -d &
    local pid=$! waited=0
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$waited" -ge "$COMPOSE_UP_TIMEOUT" ]; then
            echo "compose up: still waiting after ${COMPOSE_UP_TIMEOUT}s, stopped" >&2
            pkill -P "$pid" 2>/dev/null; kill "$pid" 2>/dev/null
            return 124
        fi
        sleep 1
        waited=$((waited + 1))
    done
    wait "$pid"
}
compose() {
    NORMAN_MCP_IMAGE=$IMAGE REDIS_IMAGE=$FLEET_IMAGE NGINX_IMAGE=$FLEET_IMAGE \
        NORMAN_MCP_PUBLIC_URL=$COMPOSE_PUBLIC NORMAN_MCP_HTTP_PORT="127.0.0.1:$COMPOSE_PORT" \
        NORMAN_MCP_KEYRING="$COMPOSE_DIR/keys.toml" NORMAN_API_URL=https://sandbox-tls:8443/ E2E_TLS="$TLS" E2E_SANDBOX_TLS_CONF="$OWN/sandbox-tls.conf" \
        "$VENV/bin/podman-compose" --podman-path "$DIR/podman" -p "$COMPOSE_PROJECT" \
        -f "$ROOT/deploy/compose.yaml" -f "$OWN/compose.e2e.yaml" "$@"
}
compose config >"$DIR/compose-config.out" 2>&1
CONFIG_STATUS=$?
check "podman-compose config: deploy/compose.yaml (with the e2e additions) parses and resolves" \
    eval '[ "$CONFIG_STATUS" = 0 ]' || tail -n 5 "$DIR/compose-config.out"
env -u NORMAN_MCP_PUBLIC_URL "$VENV/bin/podman-compose" --podman-path "$DIR/podman" -f "$ROOT/deploy/compose.yaml" config >/dev/null 2>&1
UNSET_STATUS=$?
check "and refuses to run without NORMAN_MCP_PUBLIC_URL" eval '[ "$UNSET_STATUS" != 0 ]'

# Bounded: podman-compose waits for each dependency to be running, for ever if one cannot start.
COMPOSE_UP_TIMEOUT=300 compose_up >"$DIR/compose-up.log" 2>&1
compose_container() { # SERVICE: its container's id
    pm ps -q --filter "label=io.podman.compose.project=$COMPOSE_PROJECT" --filter "label=io.podman.compose.service=$1"
}
compose_logs() { # SERVICE: its container's log
    pm logs "$(compose_container "$1")" 2>&1
}
# compose_log_has SERVICE PATTERN: whether its log has a line matching PATTERN (read whole
# first: `grep -q` in the pipe would end `podman logs` early, and pipefail would count that).
compose_log_has() { local log; log=$(compose_logs "$1"); grep -q -- "$2" <<<"$log"; }
# Every replica listens and finds the TLS sandbox by name within a second (the network's DNS
# can take a moment after `up`), the sandbox serves, nginx answers.
compose_ready() {
    local r
    for r in 1 2 3; do
        compose_log_has "replica-$r" 'listening' || return 1
        pm exec "$(compose_container "replica-$r")" bash -c \
            's=$EPOCHREALTIME; exec 3<>/dev/tcp/sandbox-tls/8443 && e=$EPOCHREALTIME && ((${e/./} - ${s/./} < 1000000))' \
            >/dev/null 2>&1 || return 1
    done
    compose_log_has sandbox 'sandbox Norman API on' && curl -sf -o /dev/null --max-time 1 "$COMPOSE_PUBLIC/healthz"
}
for _ in $(seq 120); do compose_ready && break; sleep 0.5; done
check "podman-compose up: three replicas (keyring as a secret), Redis and nginx, serving through nginx" compose_ready \
    || tail -n 20 "$DIR/compose-up.log"
compose_ok_flow() { # the OAuth flow and a tool call through the compose fleet's nginx
    local PUBLIC=$COMPOSE_PUBLIC
    register && authorize_page "$CLIENT_ID" && login demo@norman.finance demo-password-1 \
        && exchange "$CLIENT_ID" "$CODE" "$VERIFIER" && [ -n "$ACCESS" ] && company_call "$ACCESS"
}
compose_ok_flow
COMPOSE_ACCESS1=$ACCESS
check "through it: register, login (Norman over TLS, found by name), code exchange and a tool call: $COMPANY" \
    eval '[ -n "$COMPOSE_ACCESS1" ] && company_ok' || head -c 300 "$DIR/body"
# nginx runs a round-robin per worker process: a few more requests reach every replica.
compose_answered() {
    local r
    COMPOSE_ANSWERED=""
    for r in 1 2 3; do compose_log_has "replica-$r" "$LOGLINE" && COMPOSE_ANSWERED="$COMPOSE_ANSWERED $r"; done
    [ "$COMPOSE_ANSWERED" = " 1 2 3" ]
}
for _ in $(seq 30); do compose_answered && break; curl -s -o /dev/null "$COMPOSE_PUBLIC/healthz"; done
check "nginx spreads requests over all three compose replicas:$COMPOSE_ANSWERED" compose_answered
compose_redis() {
    local r
    for r in 1 2 3; do compose_log_has "replica-$r" "replay store reachable.*store=redis:6379" || return 1; done
}
check "the replicas reach Redis by its service name" compose_redis

# Rotation in a compose fleet: the secret is a bind-mounted file, which follows no rename, so the
# new keyring is written over it in place (README). Each replica's poll (5 s) sees it.
cp "$COMPOSE_DIR/keys.toml" "$COMPOSE_DIR/keys.next.toml"
chown 10001:10001 "$COMPOSE_DIR/keys.next.toml"
pm run --rm "${ONE_SHOT[@]}" --network none -v "$COMPOSE_DIR:/etc/norman-mcp" "$IMAGE" \
    keys rotate --keys /etc/norman-mcp/keys.next.toml --activate-in 0s >/dev/null
cat "$COMPOSE_DIR/keys.next.toml" >"$COMPOSE_DIR/keys.toml"
compose_reloaded() {
    local r
    for r in 1 2 3; do compose_log_has "replica-$r" 'keyring reloaded.*keys=\[1, 2\]' || return 1; done
}
for _ in $(seq 150); do compose_reloaded && break; sleep 0.1; done
check "keyring rewritten in place: every compose replica reloaded it, keys=[1, 2]" compose_reloaded
compose_ok_flow
COMPOSE_ACCESS2=$ACCESS
check "a new login is signed by key 2 and calls tools" \
    eval '[ "$("$BIN" token inspect "$COMPOSE_ACCESS2" --keys "$COMPOSE_DIR/keys.toml" --public-url "$COMPOSE_PUBLIC" 2>/dev/null | awk "/signed by/ {print \$4}")" = 2 ] && company_ok'
compose_all_ok() { # TOKEN: tool calls on three replicas in a row
    local PUBLIC=$COMPOSE_PUBLIC k
    for k in 1 2 3; do company_call "$1" || return 1; done
}
check "both the key-1 and the key-2 access token call tools on every compose replica" \
    eval 'compose_all_ok "$COMPOSE_ACCESS1" && compose_all_ok "$COMPOSE_ACCESS2"'

for service in replica-1 replica-2 replica-3 redis nginx sandbox sandbox-tls; do
    compose_logs "$service" >"$DIR/compose-$service.log"
done
compose down -v >"$DIR/compose-down.log" 2>&1
COMPOSE_LEFT=$(pm ps -a -q --filter "label=io.podman.compose.project=$COMPOSE_PROJECT" | wc -l)
check "podman-compose down: no container of the compose fleet is left ($COMPOSE_LEFT)" eval '[ "$COMPOSE_LEFT" = 0 ]'
