// The MCP conformance suite against norman-mcp.
//  - 0.2.0-alpha `authorization`: every authorization-server scenario. The suite prints an
//    authorization URL and waits on its own callback listener; we log in on the real form.
//  - 0.1.16 `server`: server-initialize, tools-list, ping, dns-rebinding-protection; and the
//    0.2.0-alpha `server` versions of three of them plus http-header-validation, server-stateless,
//    caching and sep-2164-resource-not-found. The suite
//    sends no Authorization header, so it talks to a small local proxy that adds a valid
//    bearer token (obtained through a full OAuth flow, refreshed when short-lived) and
//    forwards everything else unchanged, Host and Origin included.
// Each scenario is one line in $RESULTS_FILE: "PASS name" or "FAIL name: why"; each check the
// suite could not test without its own diagnostic tools one more: "N/A scenario/check: why".
//   ISSUER=http://127.0.0.1:P MCP_URL=$ISSUER/mcp CONF01=dir CONF02=dir CALLBACK_PORT=Q OUT=dir node conformance.mjs
// SUITES (default "authorization server"), SERVER01_SCENARIOS and SERVER02_SCENARIOS choose a
// subset, e.g. SUITES=server SERVER01_SCENARIOS= SERVER02_SCENARIOS=caching.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { DEMO, fail, freshToken, loginAndFollow, obtainTokens } from './lib/login.mjs';

const { ISSUER, MCP_URL, CONF01, CONF02, CALLBACK_PORT, OUT, RESULTS_FILE } = process.env;
const list = (v, dflt) => (v ?? dflt).split(/\s+/).filter(Boolean);
// 0.1.16: the four server scenarios CI requires.
const SERVER01 = list(process.env.SERVER01_SCENARIOS, 'server-initialize tools-list ping dns-rebinding-protection');
// 0.2.0-alpha: the same kind again (its checks are stricter: tool name format, wire schema), the
// 2026-07-28 header rules (SEP-2243), the stateless lifecycle (SEP-2575), the caching hints on
// list results (SEP-2549) and the resource-not-found error (SEP-2164). Its other server scenarios
// need the suite's own reference tools (test_error_handling, json_schema_2020_12_tool, ...),
// which a real server lacks.
const SERVER02 = list(
  process.env.SERVER02_SCENARIOS,
  'server-initialize tools-list dns-rebinding-protection http-header-validation server-stateless caching sep-2164-resource-not-found',
);
// Which parts run: `authorization` and/or `server` (e.g. SUITES=server to try server scenarios).
const SUITES = list(process.env.SUITES, 'authorization server');
const suite = (dir) => join(dir, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
let failed = 0;

// A second pass (another sign-in mode) names its lines apart, e.g. "-norman-oauth".
const SUFFIX = process.env.RESULT_SUFFIX ?? '';

function record(ok, name, why = '') {
  name = name.replace(/^([^ ]+)/, `$1${SUFFIX}`);
  const line = ok ? `PASS ${name}` : `FAIL ${name}: ${why}`;
  console.log(`  conformance: ${line}`);
  if (RESULTS_FILE) appendFileSync(RESULTS_FILE, line + '\n');
  if (!ok) failed++;
}

/** Run the suite, logging its output to a file; onLine sees stdout lines. */
function run(args, logFile, onLine) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '', buf = '';
    const timer = setTimeout(() => child.kill('SIGTERM'), 120000);
    child.stdout.on('data', (d) => {
      log += d; buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) { onLine?.(buf.slice(0, i)); buf = buf.slice(i + 1); }
    });
    child.stderr.on('data', (d) => { log += d; });
    child.on('exit', (code) => { clearTimeout(timer); writeFileSync(logFile, log); resolve(code); });
  });
}

/** Every check in every checks.json under dir, grouped by scenario folder. */
function readChecks(dir) {
  const out = [];
  for (const sub of readdirSync(dir)) {
    try { out.push({ scenario: sub, checks: JSON.parse(readFileSync(join(dir, sub, 'checks.json'), 'utf8')) }); } catch {}
  }
  return out;
}

/** A scenario passes when no check failed. Checks the suite marks untestable (they need its own
 *  diagnostic tools, such as test_missing_capability, which a real server does not have) are
 *  not failures and not passes: each is one "N/A" line. Checks the suite skipped are named. */
function judge(name, checks, logFile) {
  const untestable = (c) => c.status === 'FAILURE' && c.details?.untestable === true;
  const bad = checks.filter((c) => c.status === 'FAILURE' && !untestable(c));
  const passed = checks.filter((c) => c.status === 'SUCCESS').length;
  const warn = checks.filter((c) => c.status === 'WARNING').map((c) => c.id);
  const skipped = checks.filter((c) => c.status === 'SKIPPED').map((c) => c.id);
  if (checks.length === 0) record(false, name, `no checks recorded (see ${logFile})`);
  else if (bad.length) record(false, name, bad.map((c) => `${c.id}: ${c.errorMessage ?? c.description}${c.details ? ' ' + JSON.stringify(c.details) : ''}`).join('; '));
  else record(true, `${name} (${passed} checks passed${warn.length ? ', warnings: ' + warn.join(',') : ''}${skipped.length ? ', skipped by the suite: ' + skipped.join(',') : ''})`);
  for (const id of new Set(checks.filter(untestable).map((c) => c.id))) notApplicable(`${name}/${id}`);
}

function notApplicable(name) {
  const line = `N/A ${name}: needs the suite's own diagnostic tools`;
  console.log(`  conformance: ${line}`);
  if (RESULTS_FILE) appendFileSync(RESULTS_FILE, line + '\n');
}

async function authorizationSuite() {
  // The suite needs a client id whose redirect URI is its own callback listener.
  const redirect = `http://127.0.0.1:${CALLBACK_PORT}/callback`;
  const reg = await fetch(new URL('/register', ISSUER), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'MCP conformance suite', redirect_uris: [redirect], token_endpoint_auth_method: 'none' }),
  });
  const { client_id } = await reg.json();
  const out = join(OUT, 'authorization');
  mkdirSync(out, { recursive: true });
  let grab = false, login;
  const code = await run(
    [suite(CONF02), 'authorization', '--url', ISSUER, '--client-id', client_id, '--resource', MCP_URL, '--port', CALLBACK_PORT, '-o', out],
    join(OUT, 'authorization.log'),
    (line) => {
      if (grab && /^https?:\/\//.test(line)) { grab = false; login = loginAndFollow(line.trim(), DEMO).catch((e) => e); }
      if (line.includes('Access the following URL')) grab = true;
    },
  );
  const loginErr = login && (await login);
  const results = readChecks(out);
  if (results.length === 0) record(false, 'authorization', `the suite wrote no results (exit ${code}, see ${join(OUT, 'authorization.log')})`);
  for (const { scenario, checks } of results) {
    const name = 'authorization/' + scenario.replace(/^authorization-server-/, '').replace(/-\d{4}-\d\d-\d\dT.*$/, '');
    judge(name, checks, join(OUT, 'authorization.log'));
  }
  if (loginErr instanceof Error) console.log(`  conformance: the headless login failed: ${loginErr.message}`);
}

/** Forwards every request to the server unchanged (Host and Origin too), adding a bearer token.
 *  The request body is only piped once the token is at hand (a refresh may come first). */
async function bearerProxy(target, token) {
  const t = new URL(target);
  const server = http.createServer(async (req, res) => {
    let bearer;
    try { bearer = await token(); } catch (e) { res.writeHead(502).end(String(e)); return; }
    const headers = { ...req.headers, authorization: `Bearer ${bearer}` };
    const up = http.request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers }, (ur) => {
      res.writeHead(ur.statusCode, ur.headers);
      ur.pipe(res);
    });
    up.on('error', (e) => { res.writeHead(502).end(String(e)); });
    req.pipe(up);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}${t.pathname}`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

async function serverSuite() {
  const tokens = await obtainTokens(ISSUER, MCP_URL, DEMO);
  const proxy = await bearerProxy(MCP_URL, freshToken(tokens)); // refreshed when short-lived
  try {
    for (const [version, dir, scenarios] of [['0.1', CONF01, SERVER01], ['0.2', CONF02, SERVER02]]) {
      for (const scenario of scenarios) {
        const out = join(OUT, `server-${version}-${scenario}`);
        mkdirSync(out, { recursive: true });
        const logFile = `${out}.log`;
        await run([suite(dir), 'server', '--url', proxy.url, '--scenario', scenario, '-o', out], logFile);
        judge(`server-${version}/${scenario}`, readChecks(out).flatMap((r) => r.checks), logFile);
      }
    }
  } finally {
    await proxy.close();
  }
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  if (SUITES.includes('authorization')) await authorizationSuite();
  if (SUITES.includes('server')) await serverSuite();
  process.exit(failed ? 1 : 0);
}

main().catch(fail);
