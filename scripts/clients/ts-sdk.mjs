// The official TypeScript SDK client (@modelcontextprotocol/sdk 1.32) against norman-mcp:
// discovery, dynamic registration, PKCE, a headless login on the real form, finishAuth,
// tools/list, a tool call (its structured result checked by the SDK against the tool's output
// schema), prompts and resources, a refresh, and a call with the refreshed token.
//   MCP_URL=http://127.0.0.1:P/mcp ISSUER=http://127.0.0.1:P node ts-sdk.mjs
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError, auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { DEMO, callbackServer, fail, loginAndFollow, steps } from './lib/login.mjs';

const MCP_URL = new URL(process.env.MCP_URL);
const ISSUER = process.env.ISSUER;
const s = steps('ts-sdk');

class MemoryProvider {
  constructor(redirectUrl) {
    this._redirectUrl = redirectUrl;
    this.client = undefined;
    this.saved = [];           // every token response saved, in order
    this.authorizationUrl = undefined;
    this._state = 'st-' + Math.random().toString(36).slice(2);
  }
  get redirectUrl() { return this._redirectUrl; }
  get clientMetadata() {
    return {
      client_name: 'norman-mcp ts-sdk check',
      redirect_uris: [this._redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  state() { return this._state; }
  clientInformation() { return this.client; }
  saveClientInformation(info) { this.client = info; }
  tokens() { return this.saved.at(-1); }
  saveTokens(t) { this.saved.push(t); }
  redirectToAuthorization(url) { this.authorizationUrl = url; }
  saveCodeVerifier(v) { this.verifier = v; }
  codeVerifier() { return this.verifier; }
}

// Every HTTP request the SDK makes, for the assertions below.
const log = [];
const recordingFetch = async (input, init = {}) => {
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
  const body = typeof init.body === 'string' ? init.body : init.body instanceof URLSearchParams ? init.body.toString() : '';
  const auth = new Headers(init.headers).get('authorization');
  const res = await fetch(input, init);
  log.push({ method: init.method ?? 'GET', path: url.pathname, status: res.status, body, auth });
  return res;
};

async function connect(provider) {
  const transport = new StreamableHTTPClientTransport(MCP_URL, { authProvider: provider, fetch: recordingFetch });
  const client = new Client({ name: 'norman-mcp-ts-sdk-check', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

async function main() {
  const cb = await callbackServer();
  const provider = new MemoryProvider(cb.redirectUrl);
  try {
    // 1. Unauthenticated connect: the SDK discovers, registers and asks us to open the login page.
    let transport;
    try {
      ({ transport } = await connect(provider));
      throw new Error('connect without a token succeeded');
    } catch (e) {
      if (!(e instanceof UnauthorizedError)) throw e;
    }
    const paths = log.map((r) => `${r.method} ${r.path} ${r.status}`);
    s.check(paths.some((p) => p.startsWith('GET /.well-known/oauth-protected-resource')), 'discovered the protected resource metadata');
    s.check(paths.some((p) => p.startsWith('GET /.well-known/oauth-authorization-server')), 'discovered the authorization server metadata');
    s.check(provider.client?.client_id?.startsWith('nmi_'), `registered dynamically (${paths.find((p) => p.includes('/register'))})`);
    const authUrl = provider.authorizationUrl;
    s.check(authUrl && authUrl.searchParams.get('code_challenge_method') === 'S256' && authUrl.searchParams.get('code_challenge'), 'built an authorization URL with PKCE S256');
    s.check(authUrl.searchParams.get('resource') === MCP_URL.href, `resource=${authUrl.searchParams.get('resource')}`);

    // 2. The person logs in on the real form; the 303 lands on the client's loopback listener.
    await loginAndFollow(authUrl, DEMO);
    const cbp = await cb.next();
    s.check(cbp.code?.startsWith('nmc_'), 'redirect carried a code');
    s.check(cbp.state === provider._state, 'redirect carried the same state');
    s.check(cbp.iss === ISSUER, `redirect carried iss=${cbp.iss}`);

    // 3. finishAuth exchanges the code (PKCE verifier) for tokens.
    transport = new StreamableHTTPClientTransport(MCP_URL, { authProvider: provider, fetch: recordingFetch });
    await transport.finishAuth(cbp.code);
    const first = provider.tokens();
    s.check(first?.access_token?.startsWith('nma_') && first.refresh_token?.startsWith('nmr_'), `finishAuth got tokens (expires_in ${first?.expires_in})`);
    const tokenReq = log.find((r) => r.path === '/token' && r.body.includes('grant_type=authorization_code'));
    s.check(tokenReq?.body.includes('code_verifier='), 'the code exchange sent the PKCE verifier');

    // 4. tools/list and a tool call.
    let { client } = await connect(provider);
    const tools = await client.listTools();
    s.check(tools.tools.some((t) => t.name === 'get_company_details'), `tools/list: ${tools.tools.length} tools, get_company_details among them`);
    let r = await client.callTool({ name: 'get_company_details', arguments: {} });
    s.check(!r.isError && JSON.stringify(r.content).includes(DEMO.company), `get_company_details answers ${DEMO.company}`);
    s.check(r.structuredContent?.name === DEMO.company, 'its structuredContent is the company (validated by the SDK against the output schema)');
    r = await client.callTool({ name: 'list_clients', arguments: {} });
    s.check(!r.isError && Array.isArray(r.structuredContent?.results) && r.structuredContent.results.length > 0, `list_clients: ${r.structuredContent?.results?.length} clients under structuredContent.results`);
    // One tool of every other tool set, each result checked by the SDK against its output schema.
    for (const [set, name] of [['bookkeeping', 'list_vendors'], ['documents', 'list_attachments'], ['taxes', 'list_tax_reports'], ['founding', 'get_incorporation']]) {
      r = await client.callTool({ name, arguments: {} });
      s.check(!r.isError && typeof r.structuredContent === 'object' && r.structuredContent !== null, `${set}: ${name} answers with structuredContent`);
    }
    r = await client.callTool({ name: 'list_tax_advisor_clients', arguments: {} });
    s.check(r.isError && JSON.stringify(r.content).includes('not a tax advisor'), 'tax-advisor: list_tax_advisor_clients tells a person who is no tax advisor so');
    const { prompts } = await client.listPrompts();
    const prompt = await client.getPrompt({ name: 'create_invoice', arguments: { user_input: 'Rechnung an Müller' } });
    s.check(prompts.length >= 23 && prompt.messages[0]?.content?.text?.includes('Rechnung an Müller'), `prompts/list: ${prompts.length} prompts; create_invoice fetched with its argument`);
    const { resources } = await client.listResources();
    const { resourceTemplates } = await client.listResourceTemplates();
    const company = await client.readResource({ uri: 'company://current' });
    s.check(resources.length === 4 && resourceTemplates.length === 5 && company.contents[0]?.text?.includes(DEMO.company), `resources: ${resources.length} and ${resourceTemplates.length} templates; company://current read`);

    // 5. A refresh. With a short-lived access token (sandbox --access-ttl) it expires on its own
    //    and the SDK refreshes on the 401, as in real use; with a long-lived one we call the
    //    SDK's auth(), which refreshes whenever a refresh token is held.
    const ttl = Number(first.expires_in ?? 3600);
    if (ttl <= 90) {
      console.log(`  ts-sdk: waiting ${ttl + 1} s for the access token to expire`);
      await new Promise((res) => setTimeout(res, (ttl + 1) * 1000));
      r = await client.callTool({ name: 'get_company_details', arguments: {} });
      s.check(log.some((x) => x.path === '/mcp' && x.status === 401 && x.auth === `Bearer ${first.access_token}`), 'the expired token got 401');
    } else {
      s.check((await auth(provider, { serverUrl: MCP_URL, fetchFn: recordingFetch })) === 'AUTHORIZED', 'auth() refreshed');
    }
    const refreshed = provider.tokens();
    s.check(log.some((x) => x.path === '/token' && x.status === 200 && x.body.includes('grant_type=refresh_token')), 'POST /token grant_type=refresh_token answered 200');
    s.check(refreshed.access_token !== first.access_token && refreshed.refresh_token !== first.refresh_token, 'the refresh rotated both tokens');

    // 6. A call with the refreshed token.
    await client.close();
    ({ client } = await connect(provider));
    const before = log.length;
    r = await client.callTool({ name: 'get_company_details', arguments: {} });
    s.check(!r.isError && JSON.stringify(r.content).includes(DEMO.company), 'the refreshed token calls get_company_details');
    s.check(log.slice(before).every((x) => x.path !== '/mcp' || x.auth === `Bearer ${refreshed.access_token}`), 'that call carried the refreshed access token');
    await client.close();
    s.done();
  } finally {
    await cb.close();
  }
}

main().catch(fail);
