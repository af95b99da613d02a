// The official TypeScript SDK's stdio client (@modelcontextprotocol/sdk) against
// `norman-mcp stdio`, as Claude Desktop or Cursor start it: the SDK starts the command, signs in
// with the demo login from the environment, lists the tools and calls a read and a write tool;
// a wrong password ends the command before anything is served.
//   NORMAN_MCP_BIN=/path/to/norman-mcp SANDBOX_URL=http://127.0.0.1:P/ node ts-stdio.mjs
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { DEMO, fail, steps } from './lib/login.mjs';

const BIN = process.env.NORMAN_MCP_BIN;
const SANDBOX_URL = process.env.SANDBOX_URL;
const s = steps('ts-stdio');

function transport(password) {
  const t = new StdioClientTransport({
    command: BIN,
    args: ['stdio', '--norman-api-url', SANDBOX_URL],
    // Only what the command needs: the SDK passes a minimal environment plus this.
    env: { NORMAN_EMAIL: DEMO.email, NORMAN_PASSWORD: password, NORMAN_MCP_LOG: 'info' },
    stderr: 'pipe',
  });
  const stderr = [];
  t.stderr.on('data', (chunk) => stderr.push(chunk));
  return { t, stderr: () => Buffer.concat(stderr).toString() };
}

const json = (result) => {
  if (result.isError) throw new Error(`tool error: ${JSON.stringify(result.content)}`);
  return JSON.parse(result.content[0].text);
};

async function main() {
  const { t, stderr } = transport(DEMO.password);
  const client = new Client({ name: 'norman-mcp-ts-stdio-check', version: '1.0.0' });
  await client.connect(t);
  s.check(client.getServerVersion()?.name === 'norman-mcp', `initialized (${client.getServerVersion()?.name} ${client.getServerVersion()?.version})`);

  const { tools } = await client.listTools();
  const names = tools.map((tool) => tool.name);
  s.check(names.includes('get_company_details') && names.includes('create_client'), `listed ${tools.length} tools`);

  const company = json(await client.callTool({ name: 'get_company_details', arguments: {} }));
  s.check(company.name === DEMO.company, `get_company_details: ${company.name}`);

  const created = json(await client.callTool({ name: 'create_client', arguments: { name: 'Stdio Check GmbH' } }));
  const listed = json(await client.callTool({ name: 'list_clients', arguments: {} }));
  s.check(listed.results.some((c) => c.publicId === created.publicId), `create_client then list_clients: ${created.publicId}`);

  const pid = t.pid;
  await client.close();
  await new Promise((r) => setTimeout(r, 300));
  let alive = true;
  try { process.kill(pid, 0); } catch { alive = false; }
  s.check(!alive, 'the command ended when the client closed');
  s.check(!stderr().includes(DEMO.password) && stderr().includes('signed in to Norman'), 'stderr has the log and no password');

  // A wrong password: the command says so on stderr and exits before serving.
  const wrong = transport('not-the-password');
  const refused = new Client({ name: 'norman-mcp-ts-stdio-check', version: '1.0.0' });
  const outcome = await refused.connect(wrong.t).then(() => 'connected', (e) => e);
  s.check(outcome !== 'connected', `a wrong password does not connect (${outcome?.message ?? outcome})`);
  await new Promise((r) => setTimeout(r, 300));
  s.check(wrong.stderr().includes('refused the email and password') && !wrong.stderr().includes('not-the-password'), `stderr: ${wrong.stderr().trim()}`);
  s.done();
}

main().catch(fail);
