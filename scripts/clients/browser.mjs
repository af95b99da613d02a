// A real browser on the real login page: Debian's chromium driven by playwright-core.
// It opens an authorization URL, types the demo credentials, submits, and must land on the
// client's loopback redirect URI with a code, the same state and iss. It also saves the login
// page at desktop and phone widths (SCREENSHOT_DIR, default docs/).
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
  const u = new URL('/authorize', ISSUER);
  const verifier = randomBytes(32).toString('base64url');
  for (const [k, v] of Object.entries({
    response_type: 'code', client_id: clientId, redirect_uri: redirectUri, state, resource: MCP_URL, scope: 'norman.read norman.write',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  })) u.searchParams.set(k, v);
  return u.href;
}

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

    // The screenshots: the page as people see it when a hosted client (here: Claude) connects.
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const hosted = await register('Claude', 'https://claude.ai/api/mcp/auth_callback');
    const shotUrl = authorizationUrl(hosted, 'https://claude.ai/api/mcp/auth_callback', 'screenshot');
    const desk = await ctx.newPage();
    await desk.goto(shotUrl);
    await desk.locator('#email').focus();
    await desk.screenshot({ path: join(SCREENSHOT_DIR, 'login-desktop.png') });
    const phone = await ctx.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(shotUrl);
    await phone.screenshot({ path: join(SCREENSHOT_DIR, 'login-phone.png') });
    s.ok(`saved login-desktop.png (1280x900) and login-phone.png (390x844) in ${SCREENSHOT_DIR}`);
    await phone.close();
    await desk.close();

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
    s.done();
  } finally {
    await ctx.close();
    await cb.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

main().catch(fail);
