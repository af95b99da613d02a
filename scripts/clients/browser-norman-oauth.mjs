// "Sign in with Norman" in a real browser (Debian's chromium driven by playwright-core),
// against a server started with --login norman-oauth and the sandbox as Norman's
// authorization server. It opens an authorization URL, checks that the page offers only the
// Norman button and the consent box, clicks the button, signs in and approves on Norman's
// page, and must land on the client's loopback redirect URI with a code, the same state and
// iss; the code must buy a token. A second run denies at Norman and must bring access_denied
// back to the client. It saves the login page with the button in English and German
// (SCREENSHOT_DIR, default docs/: login-norman-en.png, login-norman-de.png).
//   ISSUER=http://127.0.0.1:P MCP_URL=$ISSUER/mcp node browser-norman-oauth.mjs
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { DEMO, callbackServer, fail, steps } from './lib/login.mjs';

const { ISSUER, MCP_URL } = process.env;
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR ?? new URL('../../docs/', import.meta.url).pathname;
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const s = steps('browser-norman-oauth');

async function register(name, redirectUri) {
  const r = await fetch(new URL('/register', ISSUER), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: name, redirect_uris: [redirectUri], token_endpoint_auth_method: 'none' }),
  });
  if (r.status !== 201) throw new Error(`register: ${r.status} ${await r.text()}`);
  return (await r.json()).client_id;
}

/** An authorization URL asking for read and write, and the PKCE verifier that redeems its code. */
function authorization(clientId, redirectUri, state) {
  const u = new URL('/authorize', ISSUER);
  const verifier = randomBytes(32).toString('base64url');
  for (const [k, v] of Object.entries({
    response_type: 'code', client_id: clientId, redirect_uri: redirectUri, state, resource: MCP_URL, scope: 'norman.read norman.write',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  })) u.searchParams.set(k, v);
  return { url: u.href, verifier };
}

const ENGLISH = { 'accept-language': 'en-US,en;q=0.9' };
const GERMAN = { 'accept-language': 'de-DE,de;q=0.9,en;q=0.8' };

async function main() {
  const cb = await callbackServer();
  const profile = mkdtempSync(join(tmpdir(), 'nm-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    // The screenshots: the page a hosted client's person sees, in English and German.
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const hosted = await register('Claude', 'https://claude.ai/api/mcp/auth_callback');
    const shotUrl = authorization(hosted, 'https://claude.ai/api/mcp/auth_callback', 'screenshot').url;
    for (const [lang, headers, label] of [['en', ENGLISH, 'Sign in with Norman'], ['de', GERMAN, 'Mit Norman anmelden']]) {
      const desk = await ctx.newPage();
      await desk.setExtraHTTPHeaders(headers);
      await desk.goto(shotUrl);
      s.check(await desk.getByRole('button', { name: label }).isVisible(), `the ${lang} page shows "${label}"`);
      s.check((await desk.locator('#password').count()) === 0, `the ${lang} page asks for no password (--login norman-oauth)`);
      s.check(await desk.locator('#allow_write').isChecked(), `the ${lang} page offers "allow changes", ticked`);
      await desk.screenshot({ path: join(SCREENSHOT_DIR, `login-norman-${lang}.png`) });
      await desk.close();
    }
    s.ok(`saved login-norman-en.png and login-norman-de.png in ${SCREENSHOT_DIR}`);

    // The sign-in: our button, Norman's page, back through /oauth/callback to the client.
    const clientId = await register('norman-mcp browser check (Norman)', cb.redirectUrl);
    const state = randomBytes(16).toString('base64url');
    const { url, verifier } = authorization(clientId, cb.redirectUrl, state);
    const page = await ctx.newPage();
    await page.setExtraHTTPHeaders(ENGLISH);
    await page.goto(url);
    await Promise.all([
      page.waitForURL((u) => u.pathname === '/api/v1/oauth/authorize/', { timeout: 15000 }),
      page.getByRole('button', { name: 'Sign in with Norman' }).click(),
    ]);
    s.check(new URL(page.url()).searchParams.get('scope') === 'read write', `the browser is at Norman's ${new URL(page.url()).pathname}`);
    await page.locator('#email').pressSequentially(DEMO.email);
    await page.locator('#password').pressSequentially(DEMO.password);
    await Promise.all([
      page.waitForURL((u) => u.href.startsWith(cb.redirectUrl), { timeout: 15000 }),
      page.locator('#approve').click(),
    ]);
    const landed = new URL(page.url());
    s.check(landed.searchParams.get('code')?.startsWith('nmc_'), `approving at Norman brought the browser to ${landed.origin}${landed.pathname} with a code`);
    s.check(landed.searchParams.get('state') === state, 'with the same state');
    s.check(landed.searchParams.get('iss') === ISSUER, `with iss=${landed.searchParams.get('iss')}`);
    const got = await cb.next(5000);
    const r = await fetch(new URL('/token', ISSUER), {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', code: got.code, redirect_uri: cb.redirectUrl, client_id: clientId, code_verifier: verifier, resource: MCP_URL }),
    });
    const tokens = await r.json();
    s.check(r.status === 200 && tokens.scope === 'norman.read norman.write', `the code bought a token (scope=${tokens.scope})`);

    // Deny at Norman: the client gets access_denied with its state.
    const denial = authorization(clientId, cb.redirectUrl, `${state}-deny`);
    await page.goto(denial.url);
    await Promise.all([
      page.waitForURL((u) => u.pathname === '/api/v1/oauth/authorize/', { timeout: 15000 }),
      page.getByRole('button', { name: 'Sign in with Norman' }).click(),
    ]);
    await Promise.all([
      page.waitForURL((u) => u.href.startsWith(cb.redirectUrl), { timeout: 15000 }),
      page.locator('#deny').click(),
    ]);
    const denied = await cb.next(5000);
    s.check(denied.error === 'access_denied' && denied.state === `${state}-deny` && !denied.code, `"Deny" at Norman sent error=${denied.error} with the state`);
    await page.close();
    s.done();
  } finally {
    await ctx.close();
    await cb.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

main().catch(fail);
