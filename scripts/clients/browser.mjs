// A real browser on the real login page: Debian's chromium driven by playwright-core.
// It opens an authorization URL, types the demo credentials, submits, and must land on the
// client's loopback redirect URI with a code, the same state and iss. A second sign-in unticks
// "allow changes" on the German page and must get a read-only token; a third denies and must
// bring access_denied back. It also saves the login page in English and German and at phone
// width (SCREENSHOT_DIR, default docs/).
//   ISSUER=http://127.0.0.1:P MCP_URL=$ISSUER/mcp node browser.mjs
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { DEMO, callbackServer, fail, steps } from './lib/login.mjs';

const { ISSUER, MCP_URL } = process.env;
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR ?? new URL('../../docs/', import.meta.url).pathname;
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const s = steps('browser');

async function register(name, redirectUri) {
  const r = await fetch(new URL('/register', ISSUER), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: name, redirect_uris: [redirectUri], token_endpoint_auth_method: 'none' }),
  });
  if (r.status !== 201) throw new Error(`register: ${r.status} ${await r.text()}`);
  return (await r.json()).client_id;
}

function authorizationUrl(clientId, redirectUri, state) {
  return authorization(clientId, redirectUri, state).url;
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

async function redeem(clientId, redirectUri, code, verifier) {
  const r = await fetch(new URL('/token', ISSUER), {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: clientId, code_verifier: verifier, resource: MCP_URL }),
  });
  if (r.status !== 200) throw new Error(`token: ${r.status} ${await r.text()}`);
  return r.json();
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
    s.ok(`launched ${CHROMIUM} (${ctx.browser()?.version() ?? 'persistent context'})`);

    // The screenshots: the page as people see it when a hosted client (here: Claude) connects,
    // in English and in German (the browser's Accept-Language), with the consent choice.
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const hosted = await register('Claude', 'https://claude.ai/api/mcp/auth_callback');
    const shotUrl = authorizationUrl(hosted, 'https://claude.ai/api/mcp/auth_callback', 'screenshot');
    for (const [lang, headers] of [['en', ENGLISH], ['de', GERMAN]]) {
      const desk = await ctx.newPage();
      await desk.setExtraHTTPHeaders(headers);
      await desk.goto(shotUrl);
      s.check((await desk.getAttribute('html', 'lang')) === lang, `the ${lang} page says lang="${lang}"`);
      s.check(await desk.locator('#allow_write').isChecked(), `the ${lang} page offers "allow changes", ticked`);
      await desk.locator('#email').focus();
      await desk.screenshot({ path: join(SCREENSHOT_DIR, `login-${lang}.png`) });
      await desk.close();
    }
    const phone = await ctx.newPage();
    await phone.setExtraHTTPHeaders(GERMAN);
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(shotUrl);
    await phone.screenshot({ path: join(SCREENSHOT_DIR, 'login-phone.png'), fullPage: true });
    s.ok(`saved login-en.png, login-de.png (1280x900) and login-phone.png (390 wide, German) in ${SCREENSHOT_DIR}`);
    const icon = await phone.request.get(new URL('/favicon.ico', ISSUER).href);
    s.check(icon.status() === 200 && icon.headers()['content-type'] === 'image/svg+xml', `/favicon.ico answers ${icon.status()} with an icon`);
    await phone.close();

    // The login: a native client with a loopback redirect URI.
    const clientId = await register('norman-mcp browser check', cb.redirectUrl);
    const state = randomBytes(16).toString('base64url');
    const page = await ctx.newPage();
    const resp = await page.goto(authorizationUrl(clientId, cb.redirectUrl, state));
    s.check(resp.status() === 200 && (await page.title()).includes('Norman'), `the login page loaded: "${await page.title()}"`);
    await page.locator('#email').pressSequentially(DEMO.email);
    await page.locator('#password').pressSequentially(DEMO.password);
    await Promise.all([
      page.waitForURL((u) => u.href.startsWith(cb.redirectUrl), { timeout: 15000 }),
      page.locator('button[value="login"]').click(),
    ]);
    const landed = new URL(page.url());
    s.check(landed.searchParams.get('code')?.startsWith('nmc_'), `the browser arrived at ${landed.origin}${landed.pathname} with a code`);
    s.check(landed.searchParams.get('state') === state, 'with the same state');
    s.check(landed.searchParams.get('iss') === ISSUER, `with iss=${landed.searchParams.get('iss')}`);
    const got = await cb.next(5000);
    s.check(got.code === landed.searchParams.get('code'), "the client's listener received that code");
    s.check((await page.content()).includes('You can close this window'), "the browser shows the client's page");
    await page.close();

    // Read only: on the German page the person unticks "allow changes"; the token can only read.
    const readOnly = authorization(clientId, cb.redirectUrl, `${state}-ro`);
    const german = await ctx.newPage();
    await german.setExtraHTTPHeaders(GERMAN);
    await german.goto(readOnly.url);
    await german.locator('#allow_write').uncheck();
    await german.locator('#email').pressSequentially(DEMO.email);
    await german.locator('#password').pressSequentially(DEMO.password);
    await Promise.all([
      german.waitForURL((u) => u.href.startsWith(cb.redirectUrl), { timeout: 15000 }),
      german.getByRole('button', { name: 'Anmelden und erlauben' }).click(),
    ]);
    const readOnlyCode = (await cb.next(5000)).code;
    const tokens = await redeem(clientId, cb.redirectUrl, readOnlyCode, readOnly.verifier);
    s.check(tokens.scope === 'norman.read', `unticking "allow changes" granted scope=${tokens.scope}`);

    // Deny: the app gets access_denied with its state, and no code.
    await german.goto(authorizationUrl(clientId, cb.redirectUrl, `${state}-deny`));
    await Promise.all([
      german.waitForURL((u) => u.href.startsWith(cb.redirectUrl), { timeout: 15000 }),
      german.getByRole('button', { name: 'Ablehnen' }).click(),
    ]);
    const denied = await cb.next(5000);
    s.check(denied.error === 'access_denied' && denied.state === `${state}-deny` && !denied.code, `"Ablehnen" sent error=${denied.error} with the state`);
    s.done();
  } finally {
    await ctx.close();
    await cb.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

main().catch(fail);
