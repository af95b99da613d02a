// The upload link in a real browser: Debian's chromium driven by playwright-core. A client signs
// in (the login form, headless), asks the MCP tool request_file_upload for a link, and the
// browser opens it: the page in English and German (saved as upload-en.png and upload-de.png in
// SCREENSHOT_DIR, default docs/), a PDF set on the file input, the upload, the result page with
// the Norman id (upload-done.png), and then that document seen through tools/call
// list_attachments. A changed link must show the friendly "not valid" page.
//   ISSUER=http://127.0.0.1:P MCP_URL=$ISSUER/mcp node browser-upload.mjs
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { fail, freshToken, obtainTokens, steps } from './lib/login.mjs';

const { ISSUER, MCP_URL } = process.env;
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR ?? new URL('../../docs/', import.meta.url).pathname;
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const s = steps('browser-upload');

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');
const ENGLISH = { 'accept-language': 'en-US,en;q=0.9' };
const GERMAN = { 'accept-language': 'de-DE,de;q=0.9,en;q=0.8' };

/** tools/call over /mcp as an MCP client sends it; the tool's JSON. */
async function callTool(token, name, args) {
  const r = await fetch(MCP_URL, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${await token()}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }),
  });
  const body = await r.json();
  if (r.status !== 200 || body.result?.isError) throw new Error(`${name}: ${r.status} ${JSON.stringify(body).slice(0, 400)}`);
  return JSON.parse(body.result.content[0].text);
}

async function main() {
  const token = freshToken(await obtainTokens(ISSUER, MCP_URL));
  const link = await callTool(token, 'request_file_upload', { description: 'Tankquittung vom 3. März' });
  const url = link.upload_url;
  s.check(url.startsWith(`${ISSUER}/upload/nmf_`) && link.expires_in_seconds === 900, 'request_file_upload gave a link for 15 minutes');

  const profile = mkdtempSync(join(tmpdir(), 'nm-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    s.ok(`launched ${CHROMIUM}`);
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const problems = [];
    for (const [lang, headers, button] of [['de', GERMAN, 'An Norman hochladen'], ['en', ENGLISH, 'Upload to Norman']]) {
      const page = await ctx.newPage();
      page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
      await page.setExtraHTTPHeaders(headers);
      const resp = await page.goto(url);
      s.check(resp.status() === 200 && (await page.getAttribute('html', 'lang')) === lang, `the ${lang} page loaded`);
      s.check(await page.getByRole('button', { name: button }).isVisible(), `the ${lang} page offers "${button}"`);
      s.check((await page.content()).includes('Tankquittung vom 3. März'), 'it says what was asked for');
      await page.screenshot({ path: join(SCREENSHOT_DIR, `upload-${lang}.png`) });
      if (lang === 'de') { await page.close(); continue; }

      // The person picks a file and uploads it; the page says what Norman stored.
      await page.setInputFiles('#files', [{ name: 'tankquittung-maerz.pdf', mimeType: 'application/pdf', buffer: PDF }]);
      const [posted] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST', { timeout: 15000 }),
        page.getByRole('button', { name: button }).click(),
      ]);
      s.check(posted.status() === 200, `the upload answered ${posted.status()}`);
      await page.getByRole('heading', { name: 'Uploaded to Norman' }).waitFor({ timeout: 15000 });
      const id = (await page.locator('code.norman-id').first().textContent()).trim();
      s.check(/^att_/.test(id) && (await page.content()).includes('tankquittung-maerz.pdf'), `the page shows the stored file with its Norman id ${id}`);
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'upload-done.png') });
      s.ok(`saved upload-en.png, upload-de.png and upload-done.png in ${SCREENSHOT_DIR}`);
      s.check(problems.length === 0, `no console errors (CSP blocked nothing): ${problems.join(' | ')}`);

      const list = await callTool(token, 'list_attachments', {});
      const found = list.results.find((a) => a.publicId === id);
      s.check(found && found.fileName === 'tankquittung-maerz.pdf', `tools/call list_attachments lists ${id}`);
      const linked = await callTool(token, 'upload_bulk_attachments', { file_refs: [id] });
      s.check(linked.count === 1, 'upload_bulk_attachments takes the id as a file_ref, without uploading again');

      // A changed link: the friendly page, no stack trace.
      const broken = await page.goto(url.slice(0, -2) + (url.endsWith('AA') ? 'BB' : 'AA'));
      s.check(broken.status() === 404 && (await page.content()).includes('This upload link is not valid'), 'a changed link shows "This upload link is not valid"');
      await page.close();
    }
    s.done();
  } finally {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

main().catch(fail);
