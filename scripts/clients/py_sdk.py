"""The official Python SDK (PyPI `mcp` 2.x, OAuthClientProvider) against norman-mcp.

Discovery, dynamic registration, PKCE, a headless login on the real form (the 303 followed to a
loopback listener, as a native app runs one), the SDK's own RFC 9207 `iss` check, tools/list,
a tool call, a refresh, and a call with the refreshed token.

    MCP_URL=http://127.0.0.1:P/mcp ISSUER=http://127.0.0.1:P python py_sdk.py
"""

import asyncio
import html
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urljoin, urlparse

import httpx2
from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

MCP_URL = os.environ["MCP_URL"]
ISSUER = os.environ["ISSUER"]
EMAIL, PASSWORD, COMPANY = "demo@norman.finance", "demo-password-1", "Muster Design GmbH"
# "password": the form's email and password; "norman-oauth": "Sign in with Norman", approved on
# Norman's (the sandbox's) page.
LOGIN_MODE = os.environ.get("LOGIN_MODE", "password")

n_steps = 0
t0 = time.monotonic()


def check(cond: bool, msg: str) -> None:
    global n_steps
    if not cond:
        raise SystemExit(f"FAILED: py-sdk: {msg}")
    n_steps += 1
    print(f"  py-sdk: ok {n_steps} - {msg}", flush=True)


class Callbacks(BaseHTTPRequestHandler):
    """The client's loopback redirect URI: records each callback's query parameters."""

    received: list[dict[str, str]] = []

    def do_GET(self) -> None:  # noqa: N802
        u = urlparse(self.path)
        if u.path != "/callback":
            self.send_response(404)
            self.end_headers()
            return
        Callbacks.received.append({k: v[0] for k, v in parse_qs(u.query).items()})
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.end_headers()
        self.wfile.write(b"<p>You can close this window.</p>")

    def log_message(self, *args: object) -> None:
        pass


class MemoryStorage:
    def __init__(self) -> None:
        self.tokens: list[OAuthToken] = []
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens[-1] if self.tokens else None

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens.append(tokens)

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


async def headless_login(authorization_url: str) -> None:
    """What the person does in the browser: GET the page, POST the form, follow the 303."""
    async with httpx2.AsyncClient(follow_redirects=False) as http:
        page = await http.get(authorization_url)
        check(page.status_code == 200, f"GET /authorize shows the login page ({page.status_code})")
        m = re.search(r'name="login_request"\s+value="([^"]+)"', page.text)
        action = re.search(r'<form[^>]*method="post"[^>]*action="([^"]+)"', page.text, re.I)
        cookies = {k: v for k, v in page.cookies.items() if re.match(r"^(__Host-)?nm_login_", k)}
        check(bool(m and action and cookies), "the page has the login_request field, a form action and the CSRF cookie")
        post_url = urljoin(authorization_url, html.unescape(action.group(1)))
        res = await http.post(
            post_url,
            data={"login_request": html.unescape(m.group(1)), "email": EMAIL, "password": PASSWORD, "action": "login"},
            headers={
                "cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
                "origin": f"{urlparse(post_url).scheme}://{urlparse(post_url).netloc}",
            },
        )
        check(res.status_code == 303, f"POST /authorize answers 303 ({res.status_code})")
        back = await http.get(res.headers["location"])
        check(back.status_code == 200, "the 303 leads to the client's redirect URI")


async def headless_norman_login(authorization_url: str) -> None:
    """"Sign in with Norman" in the browser: the button, Norman's approval, our callback, the 303."""
    async with httpx2.AsyncClient(follow_redirects=False) as http:
        page = await http.get(authorization_url)
        check(page.status_code == 200 and 'value="norman"' in page.text, "the login page offers Sign in with Norman")
        m = re.search(r'name="login_request"\s+value="([^"]+)"', page.text)
        action = re.search(r'<form[^>]*method="post"[^>]*action="([^"]+)"', page.text, re.I)
        post_url = urljoin(authorization_url, html.unescape(action.group(1)))
        leave = await http.post(
            post_url,
            data={"login_request": html.unescape(m.group(1)), "consent": "1", "allow_write": "1", "action": "norman"},
        )
        check(leave.status_code == 303, f"the button sends the browser to Norman ({leave.status_code})")
        norman_url = leave.headers["location"]
        approval = await http.get(norman_url)
        check(approval.status_code == 200, "Norman shows its approval page")
        form = {k: html.unescape(v) for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', approval.text)}
        form.update({"email": EMAIL, "password": PASSWORD, "action": "approve"})
        target = re.search(r'<form[^>]*action="([^"]+)"', approval.text, re.I).group(1)
        approved = await http.post(urljoin(norman_url, target), data=form)
        check(approved.status_code == 302, f"approving sends the browser back to norman-mcp ({approved.status_code})")
        back = await http.get(approved.headers["location"])
        check(back.status_code == 303, f"the callback answers 303 to the client ({back.status_code})")
        done = await http.get(back.headers["location"])
        check(done.status_code == 200, "the 303 leads to the client's redirect URI")


async def main() -> None:
    server = HTTPServer(("127.0.0.1", 0), Callbacks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    redirect_uri = f"http://127.0.0.1:{server.server_address[1]}/callback"

    async def redirect_handler(url: str) -> None:
        q = parse_qs(urlparse(url).query)
        check(q.get("code_challenge_method") == ["S256"] and bool(q.get("code_challenge")), "authorization URL uses PKCE S256")
        check(q.get("resource") == [MCP_URL], f"authorization URL names resource={q.get('resource')}")
        await (headless_norman_login(url) if LOGIN_MODE == "norman-oauth" else headless_login(url))

    async def callback_handler() -> AuthorizationCodeResult:
        p = Callbacks.received.pop(0)
        check(p.get("code", "").startswith("nmc_") and bool(p.get("state")), "the redirect carried code and state")
        check(p.get("iss") == ISSUER, f"the redirect carried iss={p.get('iss')} (exactly the issuer)")
        # The SDK itself compares state and, per RFC 9207, iss against the metadata's issuer.
        return AuthorizationCodeResult(code=p["code"], state=p.get("state"), iss=p.get("iss"))

    storage = MemoryStorage()
    provider = OAuthClientProvider(
        server_url=MCP_URL,
        client_metadata=OAuthClientMetadata(
            client_name="norman-mcp py-sdk check",
            redirect_uris=[redirect_uri],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            # No token_endpoint_auth_method, as many clients register: the server then picks
            # client_secret_basic (RFC 7591's default) and issues a secret. (ts-sdk covers "none".)
        ),
        storage=storage,
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
    )

    seen: list[tuple[str, str, int, str]] = []

    async def on_response(r: httpx2.Response) -> None:
        body = r.request.content.decode(errors="replace") if r.request.content else ""
        seen.append((r.request.method, r.request.url.path, r.status_code, body, r.request.headers.get("authorization", "")))

    async with httpx2.AsyncClient(auth=provider, event_hooks={"response": [on_response]}, timeout=30) as http:
        async with streamable_http_client(MCP_URL, http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                check(any(p.startswith("/.well-known/oauth-protected-resource") for _, p, *_ in seen), "discovered the protected resource metadata")
                check(any(p == "/.well-known/oauth-authorization-server" for _, p, *_ in seen), "discovered the authorization server metadata")
                check(storage.client is not None and storage.client.client_id.startswith("nmi_"), "registered dynamically")
                method = storage.client.token_endpoint_auth_method
                check(method == "client_secret_basic" and bool(storage.client.client_secret), f"registered as a confidential client ({method}, with a secret)")
                check(str(provider.context.oauth_metadata.issuer) == ISSUER, f"the metadata's issuer is exactly {ISSUER}")
                first = storage.tokens[-1]
                check(first.access_token.startswith("nma_") and (first.refresh_token or "").startswith("nmr_"), f"code exchanged for tokens (expires_in {first.expires_in})")

                tools = await session.list_tools()
                check(any(t.name == "get_company_details" for t in tools.tools), f"tools/list: {len(tools.tools)} tools, get_company_details among them")
                r = await session.call_tool("get_company_details", {})
                check(not r.is_error and COMPANY in str(r.content), f"get_company_details answers {COMPANY}")

                # A refresh: with a short-lived token (sandbox --access-ttl) wait for it to expire;
                # otherwise mark it expired, which is exactly what the SDK checks before each request.
                ttl = int(first.expires_in or 3600)
                if ttl <= 90:
                    print(f"  py-sdk: waiting {ttl + 1} s for the access token to expire", flush=True)
                    await asyncio.sleep(ttl + 1)
                else:
                    provider.context.token_expiry_time = time.time() - 1
                before = len(seen)
                r = await session.call_tool("get_company_details", {})
                refreshed = storage.tokens[-1]
                check(any(p == "/token" and s == 200 and "grant_type=refresh_token" in b and a.startswith("Basic ") for _, p, s, b, a in seen[before:]), "POST /token grant_type=refresh_token (client_secret_basic) answered 200")
                check(refreshed.access_token != first.access_token and refreshed.refresh_token != first.refresh_token, "the refresh rotated both tokens")
                check(not r.is_error and COMPANY in str(r.content), "the refreshed token calls get_company_details")
                check(all(a == f"Bearer {refreshed.access_token}" for _, p, _, _, a in seen[before:] if p == "/mcp"), "that call carried the refreshed access token")
    server.shutdown()
    print(f"  py-sdk: {n_steps} steps in {time.monotonic() - t0:.1f} s")


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except SystemExit:
        raise
    except BaseException as e:  # noqa: BLE001
        import traceback

        traceback.print_exc()
        sys.exit(f"FAILED: py-sdk: {e!r}")
