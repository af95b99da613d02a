// MCP Inspector (CLI, 2.12) against norman-mcp. The Inspector runs its own OAuth (discovery,
// registration, PKCE, its own loopback callback listener); we play the person: read the
// authorization URL it prints, log in on the real form, follow the 303 to its listener.
// Then tools/list, and a tools/call in a second run that uses the stored tokens only and
// negotiates the modern protocol era.
//   MCP_URL=http://127.0.0.1:P/mcp CALLBACK_PORT=Q node inspector.mjs
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DEMO, fail, loginAndFollow, steps } from './lib/login.mjs';

const MCP_URL = process.env.MCP_URL;
const CALLBACK = `http://127.0.0.1:${process.env.CALLBACK_PORT}/oauth/callback`;
const require = createRequire(import.meta.url);
const LAUNCHER = join(dirname(require.resolve('@modelcontextprotocol/inspector/package.json')), 'clients/launcher/build/index.js');
const s = steps('inspector');

// The Inspector keeps its catalog and OAuth state under $HOME/.mcp-inspector: give it a fresh one.
const home = mkdtempSync(join(tmpdir(), 'nm-inspector-'));
const env = {
  ...process.env,
  HOME: home,
  MCP_AUTO_OPEN_ENABLED: 'true', // print the authorization URL without a TTY ...
  BROWSER: '/bin/true',          // ... and open no browser: we are the browser
  MCP_INSPECTOR_SECRET_STORE: 'file',
  NO_COLOR: '1',
};

function inspector(args, { onStderrLine } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LAUNCHER, '--cli', MCP_URL, '--transport', 'http', '--callback-url', CALLBACK, '--format', 'json', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '', buf = '';
    const timer = setTimeout(() => { child.kill('SIGTERM'); reject(new Error(`inspector ${args.join(' ')} timed out\n${err}`)); }, 60000);
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => {
      err += d; buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) { const line = buf.slice(0, i); buf = buf.slice(i + 1); onStderrLine?.(line); }
    });
    child.on('error', reject);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, out, err }); });
  });
}

async function main() {
  try {
    let login;
    const r1 = await inspector(['--method', 'tools/list'], {
      onStderrLine(line) {
        const m = line.match(/Please navigate to: (\S+)/);
        if (m && !login) login = loginAndFollow(m[1], DEMO);
      },
    });
    s.check(login, 'the Inspector printed an authorization URL');
    const { params } = await login;
    s.check(params.code?.startsWith('nmc_') && params.state && params.iss, `the login redirected to the Inspector's listener with code, state, iss=${params.iss}`);
    s.check(r1.code === 0, `tools/list exited 0 (exit ${r1.code}${r1.code ? ': ' + r1.err.slice(-800) : ''})`);
    const tools = JSON.parse(r1.out).result?.tools ?? [];
    s.check(tools.some((t) => t.name === 'get_company_details'), `tools/list: ${tools.length} tools, get_company_details among them`);

    // With short-lived tokens (INSPECTOR_PAUSE = their lifetime) the stored access token has
    // expired by the second run: it can only succeed by refreshing on its own (no login possible).
    const pause = Number(process.env.INSPECTOR_PAUSE ?? 0);
    if (pause > 0) {
      console.log(`  inspector: waiting ${pause} s for the stored access token to expire`);
      await new Promise((r) => setTimeout(r, pause * 1000));
    }
    // The second run negotiates the newest protocol revision (2026-07-28, stateless) instead.
    const r2 = await inspector(['--stored-auth-only', '--protocol-era', 'modern', '--method', 'tools/call', '--tool-name', 'get_company_details']);
    s.check(r2.code === 0, `tools/call (protocol era modern) with the stored tokens only${pause > 0 ? ', refreshing the expired one,' : ''} exited 0 (exit ${r2.code}${r2.code ? ': ' + r2.err.slice(-800) : ''})`);
    s.check(r2.out.includes(DEMO.company) && !JSON.parse(r2.out).result?.isError, `tools/call get_company_details answers ${DEMO.company}`);
    s.done();
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

main().catch(fail);
