import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';

// A headless login on norman-mcp's real login page, as a person's browser would do it:
// GET the authorization URL, read the hidden `login_request` field and the CSRF cookie,
// POST the form with email and password, and return the 303's Location (the client's
// redirect URI with code, state and iss). A login with more than one company gets the company
// choice page instead: a user's `companyId` goes with the credentials (the server checks it
// against the person's companies), or the choice page is answered with the company it ticks
// (the default). Nothing here knows the server's internals.
// With LOGIN_MODE=norman-oauth it clicks "Sign in with Norman" instead, approves on Norman's
// (the sandbox's) page and follows Norman's redirect back to norman-mcp's /oauth/callback.

export const DEMO = { email: 'demo@norman.finance', password: 'demo-password-1', company: 'Muster Design GmbH' };
export const SECOND = { email: 'second@norman.finance', password: 'demo-password-2', company: 'Zweite Werkstatt UG' };
/** Two companies of their own: the sign-in asks which. */
export const ZWEI = {
  email: 'zwei@norman.finance', password: 'demo-password-3', company: 'Studio Lindner',
  companies: [
    { id: 'cmp_5LnD8wKq2TzR7hBv', name: 'Studio Lindner' },
    { id: 'cmp_9GbR4xPm6NcW1sLj', name: 'Lindner Immobilien GbR' },
  ],
};

function attr(html, re, what) {
  const m = html.match(re);
  if (!m) throw new Error(`login page: no ${what} found`);
  return m[1].replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#x27;|&#39;/g, "'");
}

export const LOGIN_MODE = process.env.LOGIN_MODE ?? 'password';

/** Returns { location: URL, params: {code, state, iss, error} } for the login's redirect. */
export async function headlessLogin(authorizationUrl, user = DEMO) {
  return LOGIN_MODE === 'norman-oauth' ? normanLogin(authorizationUrl, user) : passwordLogin(authorizationUrl, user);
}

function redirected(res) {
  const location = new URL(res.headers.get('location'));
  const p = location.searchParams;
  return { location, params: { code: p.get('code'), state: p.get('state'), iss: p.get('iss'), error: p.get('error') } };
}

/** "Sign in with Norman": our page's button, Norman's approval page, our callback. */
async function normanLogin(authorizationUrl, { email, password }) {
  const url = new URL(authorizationUrl);
  const page = await fetch(url, { redirect: 'manual' });
  const html = await page.text();
  if (page.status !== 200) throw new Error(`GET ${url.pathname}: ${page.status} ${html.slice(0, 300)}`);
  if (!/value="norman"/.test(html)) throw new Error('login page: no "Sign in with Norman" button');
  const loginRequest = attr(html, /name="login_request"\s+value="([^"]+)"/, 'login_request field');
  const action = new URL(attr(html, /<form[^>]*method="post"[^>]*action="([^"]+)"/i, 'form action'), url);
  const cookies = page.headers.getSetCookie().map((c) => c.split(';')[0]).filter((c) => /^(__Host-)?nm_login_/.test(c));
  const form = new URLSearchParams({ login_request: loginRequest, consent: '1', allow_write: '1', action: 'norman' });
  const leave = await fetch(action, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies.join('; '), origin: action.origin },
    body: form,
  });
  if (leave.status !== 303) throw new Error(`POST ${action.pathname} (Sign in with Norman): expected 303, got ${leave.status}`);
  const stateCookies = leave.headers.getSetCookie().map((c) => c.split(';')[0]).filter((c) => /^(__Host-)?nm_norman_/.test(c));
  if (stateCookies.length === 0) throw new Error('Sign in with Norman: no nm_norman_ cookie was set');
  const norman = new URL(leave.headers.get('location'));
  const approval = await fetch(norman, { redirect: 'manual' });
  const approvalHtml = await approval.text();
  if (approval.status !== 200) throw new Error(`GET Norman's ${norman.pathname}: ${approval.status}`);
  const answer = new URLSearchParams({ email, password, action: 'approve' });
  for (const m of approvalHtml.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    answer.set(m[1], m[2].replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
  }
  const approved = await fetch(new URL(attr(approvalHtml, /<form[^>]*action="([^"]+)"/i, "Norman's form action"), norman), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: answer,
  });
  if (approved.status !== 302) throw new Error(`POST Norman's approval: expected 302, got ${approved.status}`);
  const callback = new URL(approved.headers.get('location'));
  let back = await fetch(callback, { redirect: 'manual', headers: { cookie: stateCookies.join('; ') } });
  if (back.status === 200) back = await answerChoice(back, callback, cookies);
  if (back.status !== 303) throw new Error(`GET ${callback.pathname}: expected 303, got ${back.status} ${(await back.text()).slice(0, 300)}`);
  return redirected(back);
}

function postForm(target, cookies, body) {
  return fetch(target, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies.join('; '), origin: target.origin },
    body,
  });
}

/** The company choice page: answered with the company it ticks. */
async function answerChoice(res, url, cookies) {
  const choice = await res.text();
  const sealed = attr(choice, /name="company_choice"\s+value="([^"]+)"/, 'company_choice field');
  const chosen = attr(choice, /name="company_id"\s+value="([^"]+)"\s+type="radio"\s+checked/, 'ticked company');
  const target = new URL(attr(choice, /<form[^>]*method="post"[^>]*action="([^"]+)"/i, 'choice form action'), url);
  return postForm(target, cookies, new URLSearchParams({ company_choice: sealed, company_id: chosen, action: 'choose' }));
}

async function passwordLogin(authorizationUrl, { email, password, companyId }) {
  const url = new URL(authorizationUrl);
  const page = await fetch(url, { redirect: 'manual' });
  const html = await page.text();
  if (page.status !== 200) throw new Error(`GET ${url.pathname}: ${page.status} ${html.slice(0, 300)}`);
  const loginRequest = attr(html, /name="login_request"\s+value="([^"]+)"/, 'login_request field');
  const action = new URL(attr(html, /<form[^>]*method="post"[^>]*action="([^"]+)"/i, 'form action'), url);
  const cookies = page.headers.getSetCookie().map((c) => c.split(';')[0]).filter((c) => /^(__Host-)?nm_login_/.test(c));
  if (cookies.length === 0) throw new Error('login page: no nm_login_ CSRF cookie was set');

  const form = new URLSearchParams({ login_request: loginRequest, email, password, action: 'login' });
  if (companyId) form.set('company_id', companyId);
  let res = await postForm(action, cookies, form);
  if (res.status === 200) res = await answerChoice(res, url, cookies);
  if (res.status !== 303) throw new Error(`POST ${action.pathname}: expected 303, got ${res.status} ${(await res.text()).slice(0, 300)}`);
  return redirected(res);
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
  // A client may print its URL a moment before its listener is up: retry a refused connection briefly.
  let res;
  for (let i = 0; ; i++) {
    try { res = await fetch(out.location); break; } catch (e) {
      if (i >= 20) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await res.text();
  if (res.status !== 200) throw new Error(`GET redirect URI ${out.location.origin}${out.location.pathname}: ${res.status}`);
  return out;
}


/** A plain OAuth 2.1 client (no SDK): register, PKCE, log in on the form, exchange the code.
 *  Returns the token response. Used where a suite needs a token it cannot get itself. */
export async function obtainTokens(issuer, resource, user = DEMO) {
  const meta = await (await fetch(new URL('/.well-known/oauth-authorization-server', issuer))).json();
  const cb = await callbackServer();
  try {
    const reg = await fetch(meta.registration_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'norman-mcp token helper', redirect_uris: [cb.redirectUrl], token_endpoint_auth_method: 'none' }),
    });
    if (reg.status !== 201) throw new Error(`register: ${reg.status}`);
    const { client_id } = await reg.json();
    const verifier = randomBytes(32).toString('base64url');
    const state = randomBytes(16).toString('base64url');
    const u = new URL(meta.authorization_endpoint);
    for (const [k, v] of Object.entries({
      response_type: 'code', client_id, redirect_uri: cb.redirectUrl, state, resource,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
    })) u.searchParams.set(k, v);
    await loginAndFollow(u, user);
    const p = await cb.next();
    if (p.state !== state || !p.code) throw new Error(`callback: ${JSON.stringify(p)}`);
    const tok = await fetch(meta.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: p.code, redirect_uri: cb.redirectUrl, code_verifier: verifier, client_id, resource }),
    });
    if (tok.status !== 200) throw new Error(`token: ${tok.status} ${await tok.text()}`);
    return { ...(await tok.json()), client_id, token_endpoint: meta.token_endpoint, resource };
  } finally {
    await cb.close();
  }
}

/** Keeps an access token fresh: refreshes (rotating) shortly before it expires. */
export function freshToken(tokens) {
  let cur = tokens;
  let expiresAt = Date.now() + (tokens.expires_in ?? 3600) * 1000;
  let pending = null;
  return async () => {
    if (Date.now() < expiresAt - 5000) return cur.access_token;
    pending ??= (async () => {
      const r = await fetch(tokens.token_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: cur.refresh_token, client_id: tokens.client_id, resource: tokens.resource }),
      });
      if (r.status !== 200) throw new Error(`refresh: ${r.status} ${await r.text()}`);
      const t = await r.json();
      cur = { ...cur, ...t };
      expiresAt = Date.now() + (t.expires_in ?? 3600) * 1000;
    })().finally(() => { pending = null; });
    await pending;
    return cur.access_token;
  };
}
