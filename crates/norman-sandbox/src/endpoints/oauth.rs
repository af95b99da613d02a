//! Norman's OAuth 2 authorization server, for "Sign in with Norman" (RFC 6749 §4.1):
//! `GET api/v1/oauth/authorize/` shows a small page where a demo user signs in and approves or
//! denies, `POST` answers it with a redirect carrying a code (or `error=access_denied`), and
//! `POST api/v1/oauth/token/` redeems codes and rotates refresh tokens. The tokens are the same
//! as a password login's and work on every other endpoint.
//!
//! A client id or redirect URI that is not registered is a page, never a redirect
//! (RFC 6749 §4.1.2.1).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine as _;
use serde_json::json;

use crate::authorizations::OAuthClient;
use crate::drf::request::Params;
use crate::state::{Sandbox, bump};
use crate::users::{ALL_DEMO_USERS, user_index};

/// The authorization request's parameters, as the page carries them on.
struct AuthorizationRequest {
    client: OAuthClient,
    state: Option<String>,
    scope: String,
}

/// Finds the registered client and checks the redirect URI; when either is wrong, the title
/// and message of the page the person sees instead.
fn validate(
    sb: &Sandbox,
    client_id: Option<&str>,
    redirect_uri: Option<&str>,
) -> Result<OAuthClient, (&'static str, &'static str)> {
    let client = client_id
        .and_then(|id| sb.authorizations.client(id))
        .ok_or(("Unknown application", "The client_id is not registered here."))?;
    if redirect_uri != Some(client.redirect_uri.as_str()) {
        return Err(("Unknown redirect URI", "The redirect_uri is not the one this application registered."));
    }
    Ok(client)
}

/// `GET api/v1/oauth/authorize/`: the approval page.
pub(crate) async fn authorize_page(State(sb): State<Arc<Sandbox>>, params: Params) -> Response {
    let client = match validate(&sb, params.get("client_id"), params.get("redirect_uri")) {
        Ok(client) => client,
        Err((title, message)) => return page(StatusCode::BAD_REQUEST, title, message),
    };
    let state = params.get("state").map(str::to_owned);
    if params.get("response_type") != Some("code") {
        return redirect(&client.redirect_uri, &[("error", "unsupported_response_type")], state.as_deref());
    }
    let request = AuthorizationRequest { client, state, scope: params.get("scope").unwrap_or("").to_owned() };
    approval_page(&request, "", None, StatusCode::OK)
}

/// `POST api/v1/oauth/authorize/`: approve (with the demo user's email and password) or deny.
pub(crate) async fn authorize_answer(State(sb): State<Arc<Sandbox>>, body: Bytes) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| form.get(name).map(String::as_str);
    let client = match validate(&sb, field("client_id"), field("redirect_uri")) {
        Ok(client) => client,
        Err((title, message)) => return page(StatusCode::BAD_REQUEST, title, message),
    };
    let request = AuthorizationRequest {
        client,
        state: field("state").map(str::to_owned),
        scope: field("scope").unwrap_or("").to_owned(),
    };
    let uri = &request.client.redirect_uri;
    if field("action") == Some("deny") {
        bump(&sb.counters.oauth_denied);
        let error = [("error", "access_denied"), ("error_description", "The user denied access.")];
        return redirect(uri, &error, request.state.as_deref());
    }
    let email = field("email").unwrap_or("").trim();
    let user = user_index(email).filter(|&u| Some(ALL_DEMO_USERS[u].password) == field("password"));
    let Some(user) = user else {
        bump(&sb.counters.logins_failed);
        return approval_page(
            &request,
            email,
            Some("The email or password is not correct."),
            StatusCode::UNAUTHORIZED,
        );
    };
    let code = sb.authorizations.issue_code(user, &request.client.id, uri);
    redirect(uri, &[("code", code.as_str())], request.state.as_deref())
}

/// `POST api/v1/oauth/token/`: `authorization_code` and `refresh_token` (RFC 6749 §4.1.3,
/// §6), client authentication by `client_secret` in the form or HTTP Basic (§2.3.1).
pub(crate) async fn token(State(sb): State<Arc<Sandbox>>, headers: HeaderMap, body: Bytes) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let basic = basic_credentials(&headers);
    let client_id = basic.as_ref().map(|(id, _)| id.as_str()).or(field("client_id"));
    let secret = basic.as_ref().map(|(_, secret)| secret.as_str()).or(field("client_secret"));
    let Some(client) =
        client_id.and_then(|id| sb.authorizations.client(id)).filter(|c| c.authenticates(secret))
    else {
        bump(&sb.counters.oauth_rejected);
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    };
    let user = match field("grant_type") {
        Some("authorization_code") => {
            let (Some(code), Some(redirect_uri)) = (field("code"), field("redirect_uri")) else {
                bump(&sb.counters.oauth_rejected);
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
            };
            sb.authorizations
                .redeem(code, &client.id, redirect_uri)
                .inspect(|_| bump(&sb.counters.oauth_codes_ok))
        }
        Some("refresh_token") => field("refresh_token")
            .and_then(|token| sb.sessions.spend_refresh(token, Some(&client.id)))
            .inspect(|_| bump(&sb.counters.oauth_refreshes_ok)),
        _ => {
            bump(&sb.counters.oauth_rejected);
            return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
        }
    };
    match user {
        Some(user) => {
            let mut response = axum::Json(sb.sessions.issue_oauth_pair(user, &client.id)).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
            response
        }
        None => {
            bump(&sb.counters.oauth_rejected);
            oauth_error(StatusCode::BAD_REQUEST, "invalid_grant")
        }
    }
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let (id, secret) = std::str::from_utf8(&decoded).ok()?.split_once(':')?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned())
    };
    Some((unescape(id)?, unescape(secret)?))
}

fn oauth_error(status: StatusCode, error: &'static str) -> Response {
    (status, axum::Json(json!({ "error": error }))).into_response()
}

/// 302 to `uri` with `params` and the request's `state` (RFC 6749 §4.1.2).
fn redirect(uri: &str, params: &[(&str, &str)], state: Option<&str>) -> Response {
    let Ok(mut url) = url::Url::parse(uri) else {
        return page(StatusCode::BAD_REQUEST, "Unknown redirect URI", "The redirect_uri is not valid.");
    };
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in params {
            query.append_pair(name, value);
        }
        if let Some(state) = state {
            query.append_pair("state", state);
        }
    }
    (StatusCode::FOUND, [(header::LOCATION, url.to_string()), (header::CACHE_CONTROL, "no-store".to_owned())])
        .into_response()
}

fn approval_page(
    request: &AuthorizationRequest,
    email: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let hidden = [
        ("client_id", request.client.id.as_str()),
        ("redirect_uri", request.client.redirect_uri.as_str()),
        ("state", request.state.as_deref().unwrap_or("")),
        ("scope", request.scope.as_str()),
    ]
    .iter()
    .map(|(name, value)| format!(r#"<input type="hidden" name="{name}" value="{}">"#, escape(value)))
    .collect::<String>();
    let error =
        error.map(|e| format!(r#"<p class="error" role="alert">{}</p>"#, escape(e))).unwrap_or_default();
    let body = format!(
        r#"<h1>Sign in to Norman</h1>
<p><strong>{client}</strong> wants to use your Norman account ({scope}).</p>
{error}<form method="post" action="/api/v1/oauth/authorize/">{hidden}
<label for="email">Email</label><input id="email" name="email" type="email" value="{email}" autocomplete="username">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password">
<p><button type="submit" name="action" value="approve" id="approve">Sign in and approve</button>
<button type="submit" name="action" value="deny" id="deny">Deny</button></p>
</form>"#,
        client = escape(&request.client.id),
        scope = escape(&request.scope),
        email = escape(email),
    );
    html(status, "Sign in to Norman (sandbox)", &body)
}

fn page(status: StatusCode, title: &str, message: &str) -> Response {
    html(status, title, &format!("<h1>{}</h1><p>{}</p>", escape(title), escape(message)))
}

fn html(status: StatusCode, title: &str, body: &str) -> Response {
    let document = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body>{body}</body></html>",
        escape(title)
    );
    (status, [(header::CACHE_CONTROL, "no-store")], Html(document)).into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
