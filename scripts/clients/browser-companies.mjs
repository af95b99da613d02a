// The company choice in a real browser (Debian's chromium driven by playwright-core): a person
// with two companies (zwei@norman.finance) signs in, gets the company choice page instead of
// the redirect, picks the second company and must land on the client's loopback redirect URI
// with a code whose tokens act on that company (checked with a tool call over /mcp). A second
// sign-in on the German page cancels the choice and must bring access_denied back. It saves
// the choice page in English and German (SCREENSHOT_DIR, default docs/).
//   ISSUER=http://127.0.0.1:P MCP_URL=$ISSUER/mcp node browser-companies.mjs
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ZWEI, callbackServer, fail, steps } from './lib/login.mjs';

const { ISSUER, MCP_URL } = process.env;
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR ?? new URL('../../docs/', import.meta.url).pathname;
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const s = steps('browser-companies');
const ENGLISH = { 'accept-language': 'en-US,en;q=0.9' };
const GERMAN = { 'accept-language': 'de-DE,de;q=0.9,en;q=0.8' };

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

async function redeem(clientId, redirectUri, code, verifier) {
  const r = await fetch(new URL('/token', ISSUER), {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: clientId, code_verifier: verifier, resource: MCP_URL }),
  });
  if (r.status !== 200) throw new Error(`token: ${r.status} ${await r.text()}`);
  return r.json();
}

/** One tool call over /mcp (stateless: no session); the tool's JSON answer. */
async function tool(token, name, args) {
  const r = await fetch(MCP_URL, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`, 'content-type': 'application/json',
      accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }),
  });
  if (r.status !== 200) throw new Error(`tools/call ${name}: ${r.status} ${await r.text()}`);
  const { result } = await r.json();
  if (!result || result.isError) throw new Error(`tools/call ${name}: ${JSON.stringify(result)}`);
  return JSON.parse(result.content[0].text);
}

/** Signs in as ZWEI on the login page of `url`: the page must become the company choice. */
async function signInToChoice(page, url) {
  await page.goto(url);
  await page.locator('#email').pressSequentially(ZWEI.email);
  await page.locator('#password').pressSequentially(ZWEI.password);
  await page.locator('button[value="login"]').click();
  await page.locator('input[name="company_id"]').first().waitFor({ timeout: 15000 });
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
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const clientId = await register('Claude', cb.redirectUrl);

    // English: the choice page lists both companies, the first ticked; the second is chosen.
    const state = randomBytes(16).toString('base64url');
    const en = authorization(clientId, cb.redirectUrl, state);
    const page = await ctx.newPage();
    await page.setExtraHTTPHeaders(ENGLISH);
    await signInToChoice(page, en.url);
    s.check((await page.title()).startsWith('Choose the company'), `after the sign-in the company choice page: "${await page.title()}"`);
    const radios = page.locator('input[name="company_id"]');
    s.check((await radios.count()) === ZWEI.companies.length, `it offers ${await radios.count()} companies`);
    for (const company of ZWEI.companies) {
      s.check(await page.getByText(company.name, { exact: true }).isVisible(), `"${company.name}" is shown`);
    }
    s.check(await radios.first().isChecked(), 'the first company is ticked');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'company-choice-en.png') });
    const second = ZWEI.companies[1];
    await page.getByLabel(second.name).check();
    await Promise.all([
      page.waitForURL((u) => u.href.startsWith(cb.redirectUrl), { timeout: 15000 }),
      page.getByRole('button', { name: 'Continue' }).click(),
    ]);
    const landed = new URL(page.url());
    s.check(landed.searchParams.get('code')?.startsWith('nmc_') && landed.searchParams.get('state') === state, 'choosing brought the browser back to the app with a code and the state');
    const got = await cb.next(5000);
    const tokens = await redeem(clientId, cb.redirectUrl, got.code, en.verifier);
    const details = await tool(tokens.access_token, 'get_company_details', {});
    s.check(details.publicId === second.id, `the tokens act on the chosen company (${details.name})`);
    const listed = await tool(tokens.access_token, 'list_companies', {});
    s.check(listed.signedInCompanyId === second.id && listed.count === 2, 'list_companies names it as the signed-in one of two');
    const first = await tool(tokens.access_token, 'get_company_details', { company_id: ZWEI.companies[0].id });
    s.check(first.publicId === ZWEI.companies[0].id, 'company_id reaches the other own company');
    await page.close();

    // German: the same page in German; "Abbrechen" sends access_denied with the state.
    const german = await ctx.newPage();
    await german.setExtraHTTPHeaders(GERMAN);
    const de = authorization(clientId, cb.redirectUrl, `${state}-de`);
    await signInToChoice(german, de.url);
    s.check((await german.getAttribute('html', 'lang')) === 'de', 'the German choice page says lang="de"');
    await german.screenshot({ path: join(SCREENSHOT_DIR, 'company-choice-de.png') });
    s.ok(`saved company-choice-en.png and company-choice-de.png (1280x900) in ${SCREENSHOT_DIR}`);
    await Promise.all([
      german.waitForURL((u) => u.href.startsWith(cb.redirectUrl), { timeout: 15000 }),
      german.getByRole('button', { name: 'Abbrechen' }).click(),
    ]);
    const denied = await cb.next(5000);
    s.check(denied.error === 'access_denied' && denied.state === `${state}-de` && !denied.code, `"Abbrechen" sent error=${denied.error} with the state`);
    s.done();
  } finally {
    await ctx.close();
    await cb.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

main().catch(fail);
