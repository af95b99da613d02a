//! Entry points for the fuzz targets in `fuzz/` (cargo-fuzz), built only with the `fuzzing`
//! feature. Each runs the server's own parsing of one kind of untrusted input, with a fixed
//! keyring and clock so that a crashing input reproduces, and asserts what must hold for any
//! input: a failed assertion is a crash the fuzzer reports.

use std::path::Path;
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::FutureExt as _;
use rmcp::model::JsonObject;
use time::OffsetDateTime;
use time::macros::datetime;

use crate::keyring::{KeyFile, Keyring};
use crate::mcp::bearer::lacks_scope;
use crate::mcp::catalogue::Catalogue;
use crate::norman::oauth::SignInMethod;
use crate::oauth::cimd::{self, CimdConfig, CimdFetcher};
use crate::oauth::client::{Clients, Requester};
use crate::oauth::client_auth::PresentedClient;
use crate::oauth::pkce;
use crate::oauth::register::{self, RegistrationRequest};
use crate::oauth::resource::names_resource;
use crate::oauth::token::FormParams;
use crate::redirect::RedirectUri;
use crate::scope::{Scope, Scopes};
use crate::seal::{self, Expiry, OpenError, Purpose, Sealed};
use crate::tokens::access::{self, Verifier, VerifyError};
use crate::tokens::client::RegisteredClient;
use crate::tokens::code::AuthorizationCode;
use crate::tokens::company_choice::CompanyChoice;
use crate::tokens::login::LoginRequest;
use crate::tokens::norman_state::NormanState;
use crate::tokens::refresh::RefreshToken;
use crate::tokens::upload_link::UploadLink;
use crate::tokens::upstream::UpstreamCredentials;

/// The clock of every target: seeds minted for it stay valid however old they get.
pub const NOW: OffsetDateTime = datetime!(2026-12-01 12:00:00 UTC);
/// The deployment the keyring is bound to, and the MCP endpoint access tokens are for.
pub const ISSUER: &str = "https://mcp.norman.example";
pub const AUDIENCE: &str = "https://mcp.norman.example/mcp";
/// The company the tool arguments are checked for.
pub const COMPANY_ID: &str = "cmp_7QxKp2Lm9RzT";

/// Two keys, the second sealing: envelopes and tokens name either, and an unknown id is
/// one digit away.
const KEY_FILE: &str = r#"
highest_id = 2

[[key]]
id = 1
secret = "3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
created_at = "2026-11-01T09:00:00Z"
active_from = "2026-11-01T09:00:00Z"

[[key]]
id = 2
secret = "u7v_3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
created_at = "2026-11-27T09:00:00Z"
active_from = "2026-11-27T09:10:00Z"
"#;

/// The fixed keyring of every target (and of the seed corpus).
pub fn keyring() -> &'static Keyring {
    static KEYRING: OnceLock<Keyring> = OnceLock::new();
    KEYRING.get_or_init(|| {
        let file = KeyFile::parse(KEY_FILE, Path::new("fuzzing")).expect("the fuzzing key file is valid");
        Keyring::from_file(&file).bound_to(ISSUER)
    })
}

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(Catalogue::default)
}

fn clients() -> &'static Clients {
    static CLIENTS: OnceLock<Clients> = OnceLock::new();
    CLIENTS.get_or_init(|| Clients::new(CimdFetcher::new(CimdConfig::default())))
}

/// An envelope as it arrives (a code, refresh token, client id, login form field, or the
/// envelope inside an access token), opened as every purpose and payload type.
pub fn open_envelope(text: &str) {
    let keyring = keyring();
    for purpose in Purpose::ALL {
        let opened = seal::open_bytes(keyring, purpose, text);
        if opened.is_ok() {
            assert!(text.starts_with(purpose.prefix()), "an envelope opened under another prefix");
        }
    }
    open_as::<LoginRequest>(text);
    open_as::<AuthorizationCode>(text);
    open_as::<RefreshToken>(text);
    open_as::<RegisteredClient>(text);
    open_as::<UpstreamCredentials>(text);
    open_as::<CompanyChoice>(text);
    open_as::<NormanState>(text);
    open_as::<UploadLink>(text);
}

/// A plaintext (`expires_at:i64 BE | JSON payload`) sealed for the purpose chosen by
/// `purpose`, then opened: the payload layer behind a valid tag, which only the server writes
/// but which a payload type change or a bug could make unreadable.
pub fn seal_and_open(purpose: u8, plaintext: &[u8]) {
    let keyring = keyring();
    let purpose = Purpose::ALL[usize::from(purpose) % Purpose::ALL.len()];
    let envelope = seal::seal_bytes(keyring, purpose, plaintext, NOW).expect("the fuzzing keyring seals");
    let opened = seal::open_bytes(keyring, purpose, &envelope).expect("a fresh envelope opens");
    assert_eq!(opened.as_slice(), plaintext, "an envelope opened to other bytes");
    for other in Purpose::ALL.into_iter().filter(|&p| p != purpose) {
        assert_eq!(seal::open_bytes(keyring, other, &envelope), Err(OpenError::WrongPurpose));
    }
    open_as::<LoginRequest>(&envelope);
    open_as::<AuthorizationCode>(&envelope);
    open_as::<RefreshToken>(&envelope);
    open_as::<RegisteredClient>(&envelope);
    open_as::<UpstreamCredentials>(&envelope);
    open_as::<CompanyChoice>(&envelope);
    open_as::<NormanState>(&envelope);
    open_as::<UploadLink>(&envelope);
}

/// Opens `text` as a `T`; what opens must seal again and open to the same value, unless its
/// own expiry has passed (a plaintext whose header and payload disagree on the expiry, which
/// `seal` never writes, opens by its header).
fn open_as<T: Sealed + PartialEq + std::fmt::Debug>(text: &str) {
    let keyring = keyring();
    let Ok(value) = seal::open::<T>(keyring, text, NOW) else {
        return;
    };
    assert!(text.starts_with(T::PURPOSE.prefix()));
    let again = seal::seal(keyring, &value, NOW).expect("an opened value seals again");
    let reopened = seal::open::<T>(keyring, &again, NOW);
    match value.expiry() {
        Expiry::At(at) if at <= NOW => assert_eq!(reopened, Err(OpenError::Expired)),
        _ => assert_eq!(reopened, Ok(value), "a value changed in a round trip"),
    }
}

/// An access token's Biscuit bytes (`nma_` and base64url are added here, so the fuzzer
/// mutates the protobuf), verified cold (the shape `mint` writes, or biscuit-auth for
/// attenuated tokens), then warm from the cache, inspected, and attenuated.
pub fn verify_access(raw: &[u8]) {
    let keyring = keyring();
    let token = format!("{}{}", access::ACCESS_PREFIX, URL_SAFE_NO_PAD.encode(raw));
    let verifier = Verifier::new(4);
    let cold = verifier.verify(keyring, &token, AUDIENCE, NOW);
    let report = access::inspect(keyring, &token, NOW);
    let Ok(principal) = cold else {
        assert_eq!(verifier.cache_len(), 0, "a failure was cached");
        return;
    };
    let warm = verifier.verify(keyring, &token, AUDIENCE, NOW).expect("a verified token verifies again");
    assert_eq!(verifier.cache_hits(), 1);
    assert_eq!(warm.scopes, principal.scopes);
    assert_eq!(warm.expires_at, principal.expires_at);
    assert!(NOW < principal.expires_at);
    assert!(!principal.scopes.is_empty());
    let report = report.expect("a verified token can be inspected");
    assert_eq!(report.status, Ok(()), "inspect disagrees with verify");
    assert_eq!(report.effective, principal.scopes, "inspect disagrees with verify");
    assert_eq!(
        verifier.verify(keyring, &token, "https://other.example/mcp", NOW).map(|_| ()),
        Err(VerifyError::WrongAudience)
    );
    if let Ok(narrower) = access::attenuate(&token, true, None, NOW) {
        let read = principal.scopes.intersection(Scopes::READ);
        match Verifier::new(1).verify(keyring, &narrower, AUDIENCE, NOW) {
            Ok(attenuated) => assert_eq!(attenuated.scopes, read, "attenuation widened or lost scopes"),
            Err(error) => assert!(
                error == VerifyError::Denied && read.is_empty(),
                "an attenuated token was refused: {error:?}"
            ),
        }
    }
}

/// A client id as a request names it, and a redirect URI the request asks for: an `nmi_`
/// envelope is resolved as `/authorize` resolves it; a URL is checked as a metadata document
/// URL (fetching it is not the fuzzer's business).
pub fn resolve_client_id(client_id: &str, requested_redirect: Option<&str>) {
    if CimdFetcher::is_cimd_client_id(client_id) {
        if let Ok(url) = cimd::validate_url(client_id) {
            assert_eq!(url.as_str(), client_id, "a metadata document URL is not in normal form");
        }
        return;
    }
    let resolved = clients()
        .resolve(keyring(), client_id, Requester::Address([127, 0, 0, 1].into()), NOW)
        .now_or_never()
        .expect("a client id that is no URL resolves without waiting");
    let Ok(client) = resolved else {
        return;
    };
    client.display_name();
    if let Ok(uri) = client.redirect_for(requested_redirect) {
        assert!(
            client.redirect_uris.iter().any(|registered| registered.matches(&uri)),
            "a redirect URI was accepted that the client did not register"
        );
    }
}

/// A Client ID Metadata Document fetched from `client_id`.
pub fn parse_metadata_document(client_id: &str, body: &[u8]) {
    let Ok(document) = cimd::parse_document(client_id, body) else {
        return;
    };
    assert_eq!(document.client_id, client_id);
    assert!(!document.redirect_uris.is_empty());
    for uri in &document.redirect_uris {
        assert_eq!(RedirectUri::parse(uri.as_str()).as_ref(), Ok(uri), "a redirect URI changed on reading");
    }
}

/// A dynamic client registration body (RFC 7591): what registers must resolve to the same
/// client.
pub fn register_client(body: &[u8]) {
    let keyring = keyring();
    let Ok(request) = serde_json::from_slice::<RegistrationRequest>(body) else {
        return;
    };
    let Ok(registered) = register::register(keyring, request, NOW) else {
        return;
    };
    let client = clients()
        .resolve(keyring, &registered.client_id, Requester::SealedGrant, NOW)
        .now_or_never()
        .expect("a registered client id resolves without waiting")
        .expect("a registered client id resolves");
    let uris: Vec<&str> = client.redirect_uris.iter().map(RedirectUri::as_str).collect();
    assert_eq!(uris, registered.redirect_uris, "a registration changed on sealing");
    if let Some(secret) = &registered.client_secret {
        assert!(client.secret_matches(keyring, secret));
    }
}

/// A `/token` request: the form body and the Authorization header, read as the token
/// endpoint reads them before it opens any grant.
pub fn token_request(authorization: Option<&str>, body: &[u8]) {
    let params = match FormParams::parse(body) {
        Ok(params) => params,
        Err(error) => return render(error),
    };
    if let Err(error) = PresentedClient::from_request(authorization, &params) {
        render(error);
    }
    if let Some(resource) = params.get("resource") {
        names_resource(resource, AUDIENCE);
    }
    if let (Some(verifier), Some(challenge)) = (params.get("code_verifier"), params.get("code_challenge")) {
        pkce::verifier_matches(verifier, challenge);
    }
    pkce::check_challenge(params.get("code_challenge"), params.get("code_challenge_method")).ok();
    Scopes::parse_lenient(params.get("scope").unwrap_or_default());
}

fn render<E: axum::response::IntoResponse>(error: E) {
    drop(error.into_response());
}

/// An `/mcp` request body as the bearer layer reads it before rmcp, for a token holding the
/// scopes chosen by `scopes`: a token with every scope is never refused, and a refusal names
/// a tool that needs a scope the token lacks.
pub fn probe_mcp_body(scopes: u8, body: &[u8]) {
    let catalogue = catalogue();
    let scopes = Scope::ALL
        .into_iter()
        .enumerate()
        .filter(|(i, _)| scopes & (1 << i) != 0)
        .fold(Scopes::EMPTY, |all, (_, scope)| all.with(scope));
    assert!(!lacks_scope(catalogue, Scopes::ALL, body), "a token with every scope was refused");
    lacks_scope(catalogue, scopes, body);
}

/// A `tools/call`'s arguments for the tool chosen by `tool`: checked, then turned into the
/// pieces of the Norman request.
pub fn tool_arguments(tool: u8, arguments: &[u8]) {
    let catalogue = catalogue();
    let tools = catalogue.tools();
    let name = &tools[usize::from(tool) % tools.len()].name;
    let Ok(arguments) = serde_json::from_slice::<Option<JsonObject>>(arguments) else {
        return;
    };
    catalogue.prepare(name, arguments, COMPANY_ID).expect("every listed tool is in the catalogue").ok();
}

/// The seed inputs of one target, from values the server itself writes: `(target, inputs)`.
pub fn seeds() -> Vec<(&'static str, Vec<Vec<u8>>)> {
    seed::all()
}

mod seed {
    use super::*;
    use crate::tokens::NormanToken;
    use crate::tokens::access::{AccessGrant, DEFAULT_ACCESS_LIFETIME};
    use crate::tokens::client::ClientAuthMethod;

    pub(super) fn all() -> Vec<(&'static str, Vec<Vec<u8>>)> {
        let keyring = keyring();
        let client_id = registered();
        let code = AuthorizationCode {
            code_id: "cd_4bT9".into(),
            client_id: client_id.clone(),
            redirect_uri: "http://127.0.0.1:6276/oauth/callback".into(),
            redirect_uri_given: true,
            code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
            scope: Scopes::ALL,
            resource: Some(AUDIENCE.into()),
            norman_access: NormanToken::new("not-a-jwt".into()),
            norman_refresh: NormanToken::new("not-a-jwt-either".into()),
            company_id: Some(COMPANY_ID.into()),
            method: SignInMethod::NormanOauth,
            expires_at: NOW + time::Duration::seconds(60),
        };
        let refresh = RefreshToken {
            token_id: "rt_8Hq2".into(),
            family_id: "cd_4bT9".into(),
            client_id: client_id.clone(),
            scope: Scopes::READ,
            resource: None,
            norman_refresh: NormanToken::new("not-a-jwt-either".into()),
            company_id: None,
            method: SignInMethod::NormanOauth,
            expires_at: NOW + time::Duration::days(30),
        };
        let login = LoginRequest {
            client_id: client_id.clone(),
            client_name: "Claude".into(),
            redirect_uri: "https://claude.ai/api/mcp/auth_callback".into(),
            redirect_uri_given: false,
            state: Some("xyz".into()),
            code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
            scope: Scopes::ALL,
            resource: None,
            csrf_nonce: "n0nce".into(),
            expires_at: NOW + time::Duration::minutes(10),
        };
        let upstream = UpstreamCredentials {
            norman_access: NormanToken::new("not-a-jwt".into()),
            company_id: Some(COMPANY_ID.into()),
            family_id: Some("cd_4bT9".into()),
            expires_at: NOW + time::Duration::hours(1),
        };
        let norman_state = NormanState {
            request: login.clone(),
            scope: Scopes::READ,
            nonce: "st4te".into(),
            expires_at: NOW + time::Duration::minutes(10),
        };
        let envelopes = vec![
            sealed(&code),
            sealed(&refresh),
            sealed(&login),
            sealed(&upstream),
            sealed(&norman_state),
            client_id.clone(),
            "nmc_AgAAAAI".into(),
        ];
        let payloads = vec![
            payload(0, &login),
            payload(1, &code),
            payload(2, &refresh),
            payload(3, &client(ClientAuthMethod::ClientSecretBasic)),
            payload(4, &upstream),
            payload(5, &norman_state),
        ];

        let minted = |scopes: Scopes| {
            let grant = AccessGrant {
                client_id: client_id.clone(),
                scopes,
                audience: AUDIENCE.into(),
                norman_access: NormanToken::new("not-a-jwt".into()),
                company_id: Some(COMPANY_ID.into()),
                family_id: Some("cd_4bT9".into()),
                lifetime: DEFAULT_ACCESS_LIFETIME,
            };
            access::mint(keyring, &grant, NOW).expect("the fuzzing keyring mints").token
        };
        let all = minted(Scopes::ALL);
        let read_only = access::attenuate(&all, true, None, NOW).expect("a minted token attenuates");
        let shortened =
            access::attenuate(&read_only, false, Some(time::Duration::minutes(5)), NOW).expect("attenuates");
        // Seeds that verify, so the fuzzer starts on both paths to success (the minted shape,
        // and attenuated tokens through biscuit-auth) rather than only on refusals.
        let read = minted(Scopes::READ);
        let tokens =
            [(all, Scopes::ALL), (read, Scopes::READ), (read_only, Scopes::READ), (shortened, Scopes::READ)]
                .into_iter()
                .map(|(token, scopes)| {
                    let principal =
                        Verifier::new(1).verify(keyring, &token, AUDIENCE, NOW).expect("a seed verifies");
                    assert_eq!(principal.scopes, scopes);
                    URL_SAFE_NO_PAD.decode(&token[access::ACCESS_PREFIX.len()..]).expect("base64url")
                })
                .collect();

        let client_ids = vec![
            client_id.clone().into_bytes(),
            format!("{client_id}\nhttp://127.0.0.1:49152/oauth/callback").into_bytes(),
            b"https://app.example.com/oauth/client-metadata.json".to_vec(),
            b"https://app.example.com/a/../b.json".to_vec(),
        ];
        let document = serde_json::json!({
            "client_id": "https://app.example.com/client.json",
            "client_name": "Example",
            "redirect_uris": ["https://app.example.com/callback", "http://localhost/cb", "cursor://anysphere/cb"],
            "token_endpoint_auth_method": "none",
            "client_uri": "https://app.example.com",
            "logo_uri": "https://app.example.com/logo.png",
        });
        let registration = serde_json::json!({
            "redirect_uris": ["http://127.0.0.1:6276/oauth/callback", "https://example.com/cb"],
            "client_name": "MCP Inspector",
            "token_endpoint_auth_method": "client_secret_post",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "application_type": "native",
            "scope": "norman.read norman.write offline_access",
        });
        let metadata = vec![
            format!("https://app.example.com/client.json\n{document}").into_bytes(),
            format!("\n{registration}").into_bytes(),
            b"\n{\"redirect_uris\":[\"http://localhost:3000/callback\"],\"token_endpoint_auth_method\":\"none\"}"
                .to_vec(),
        ];

        let code_text = sealed(&code);
        let refresh_text = sealed(&refresh);
        let token_forms = vec![
            format!(
                "\ngrant_type=authorization_code&code={code_text}&redirect_uri=http%3A%2F%2F127.0.0.1%3A6276%2Foauth%2Fcallback&code_verifier=dBjftJeZ4CVP-mJ92K27uhbUJU1p1r_wNwWFWbcjSmA&client_id={client_id}&resource=https%3A%2F%2Fmcp.norman.example%2Fmcp"
            )
            .into_bytes(),
            format!("Basic Y2xpZW50OnNlY3JldA==\ngrant_type=refresh_token&refresh_token={refresh_text}&scope=norman.read+offline_access")
                .into_bytes(),
            b"\ngrant_type=refresh_token&refresh_token=a&refresh_token=b".to_vec(),
        ];

        let probes = vec![
            probe(
                1,
                serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "create_invoice", "arguments": {}}}),
            ),
            probe(
                1,
                serde_json::json!([{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "list_invoices"}}]),
            ),
            probe(
                0,
                serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "c", "version": "1"}}}),
            ),
        ];

        let catalogue = catalogue();
        let tools = catalogue.tools();
        let tool_args = tools
            .iter()
            .enumerate()
            .take(usize::from(u8::MAX))
            .filter_map(|(i, tool)| {
                let properties = tool.input_schema.get("properties")?.as_object()?;
                let arguments: serde_json::Map<String, serde_json::Value> =
                    properties.iter().map(|(name, schema)| (name.clone(), example(schema))).collect();
                let mut input = vec![u8::try_from(i).ok()?];
                input.extend(serde_json::to_vec(&arguments).ok()?);
                Some(input)
            })
            .collect();

        vec![
            ("envelope_open", envelopes.into_iter().map(String::into_bytes).collect()),
            ("envelope_payload", payloads),
            ("access_verify", tokens),
            ("client_id", client_ids),
            ("client_metadata", metadata),
            ("token_form", token_forms),
            ("mcp_probe", probes),
            ("tool_args", tool_args),
        ]
    }

    fn client(method: ClientAuthMethod) -> RegisteredClient {
        RegisteredClient {
            client_name: Some("MCP Inspector".into()),
            redirect_uris: vec![
                RedirectUri::parse("http://127.0.0.1:6276/oauth/callback").expect("valid"),
                RedirectUri::parse("cursor://anysphere.cursor-retrieval/oauth/callback").expect("valid"),
            ],
            token_endpoint_auth_method: method,
            application_type: Some("native".into()),
            issued_at: NOW,
        }
    }

    fn registered() -> String {
        sealed(&client(ClientAuthMethod::None))
    }

    /// A seed envelope, checked to open to `value`.
    fn sealed<T: Sealed + PartialEq + std::fmt::Debug>(value: &T) -> String {
        let envelope = seal::seal(keyring(), value, NOW).expect("the fuzzing keyring seals");
        assert_eq!(seal::open::<T>(keyring(), &envelope, NOW).as_ref(), Ok(value), "a seed opens");
        envelope
    }

    fn payload<T: Sealed>(purpose: u8, value: &T) -> Vec<u8> {
        let expires_at = match value.expiry() {
            Expiry::At(at) => at.unix_timestamp(),
            Expiry::Never => i64::MAX,
        };
        let mut out = vec![purpose];
        out.extend_from_slice(&expires_at.to_be_bytes());
        out.extend(serde_json::to_vec(value).expect("payloads serialize"));
        out
    }

    fn probe(scopes: u8, body: serde_json::Value) -> Vec<u8> {
        let mut out = vec![scopes];
        out.extend(body.to_string().into_bytes());
        out
    }

    /// A plausible value for a parameter's JSON schema.
    fn example(schema: &serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        if let Some(first) = schema.get("enum").and_then(Value::as_array).and_then(|e| e.first()) {
            return first.clone();
        }
        match schema.get("type").and_then(Value::as_str) {
            Some("integer") | Some("number") => Value::from(1),
            Some("boolean") => Value::Bool(true),
            Some("array") => Value::Array(vec![example(schema.get("items").unwrap_or(&Value::Null))]),
            Some("object") => Value::Object(serde_json::Map::new()),
            _ if schema.get("format").and_then(Value::as_str) == Some("date") => Value::from("2026-12-01"),
            _ => Value::from("abc123"),
        }
    }
}
