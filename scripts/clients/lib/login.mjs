// A headless login on norman-mcp's real login page, as a person's browser would do it:
// GET the authorization URL, read the hidden `login_request` field and the CSRF cookie,
// POST the form with email and password, and return the 303's Location (the client's
// redirect URI with code, state and iss). Nothing here knows the server's internals.

export const DEMO = { email: 'demo@norman.finance', password: 'demo-password-1', company: 'Muster Design GmbH' };
export const SECOND = { email: 'second@norman.finance', password: 'demo-password-2', company: 'Zweite Werkstatt UG' };

function attr(html, re, what) {
  const m = html.match(re);
  if (!m) throw new Error(`login page: no ${what} found`);
  return m[1].replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#x27;|&#39;/g, "'");
}

/** Returns { location: URL, params: {code, state, iss, error} } for the login's redirect. */
export async function headlessLogin(authorizationUrl, { email, password } = DEMO) {
  const url = new URL(authorizationUrl);
  const page = await fetch(url, { redirect: 'manual' });
  const html = await page.text();
  if (page.status !== 200) throw new Error(`GET ${url.pathname}: ${page.status} ${html.slice(0, 300)}`);
  const loginRequest = attr(html, /name="login_request"\s+value="([^"]+)"/, 'login_request field');
  const action = new URL(attr(html, /<form[^>]*method="post"[^>]*action="([^"]+)"/i, 'form action'), url);
  const cookies = page.headers.getSetCookie().map((c) => c.split(';')[0]).filter((c) => /^(__Host-)?nm_login_/.test(c));
  if (cookies.length === 0) throw new Error('login page: no nm_login_ CSRF cookie was set');

  const form = new URLSearchParams({ login_request: loginRequest, email, password, action: 'login' });
  const res = await fetch(action, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies.join('; '), origin: action.origin },
    body: form,
  });
  if (res.status !== 303) throw new Error(`POST ${action.pathname}: expected 303, got ${res.status} ${(await res.text()).slice(0, 300)}`);
  const location = new URL(res.headers.get('location'));
  const p = location.searchParams;
  return { location, params: { code: p.get('code'), state: p.get('state'), iss: p.get('iss'), error: p.get('error') } };
}

// A tiny step reporter shared by the checks: every step prints one line; the first failure exits 1.
export function steps(name) {
  let n = 0;
  const t0 = Date.now();
  return {
    ok(msg) { n++; console.log(`  ${name}: ok ${n} - ${msg}`); },
    check(cond, msg) { if (!cond) throw new Error(`${name}: ${msg}`); this.ok(msg); },
    done() { console.log(`  ${name}: ${n} steps in ${((Date.now() - t0) / 1000).toFixed(1)} s`); },
  };
}

export function fail(err) {
  console.error(`FAILED: ${err?.stack ?? err}`);
  process.exit(1);
}

import http from 'node:http';

/** A loopback redirect URI with a listener, as a native client runs one: it records each callback's query. */
export async function callbackServer(path = '/callback') {
  const waiting = [];
  const got = [];
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://127.0.0.1');
    if (u.pathname !== path) { res.writeHead(404).end(); return; }
    const params = Object.fromEntries(u.searchParams);
    res.writeHead(200, { 'content-type': 'text/html' }).end('<p>You can close this window.</p>');
    const w = waiting.shift();
    if (w) w(params); else got.push(params);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const redirectUrl = `http://127.0.0.1:${server.address().port}${path}`;
  return {
    redirectUrl,
    /** The next callback's query parameters. */
    next: (ms = 30000) => new Promise((resolve, reject) => {
      if (got.length) { resolve(got.shift()); return; }
      const t = setTimeout(() => reject(new Error(`no callback at ${redirectUrl} within ${ms} ms`)), ms);
      waiting.push((p) => { clearTimeout(t); resolve(p); });
    }),
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
  };
}

/** headlessLogin, then follow the 303 to the redirect URI (a GET, as the browser would). */
export async function loginAndFollow(authorizationUrl, user = DEMO) {
  const out = await headlessLogin(authorizationUrl, user);
  const res = await fetch(out.location);
  await res.text();
  if (res.status !== 200) throw new Error(`GET redirect URI ${out.location.origin}${out.location.pathname}: ${res.status}`);
  return out;
}
