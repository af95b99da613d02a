//! `POST auth/token/` (login) and `POST auth/token/refresh/` (rotation), as SimpleJWT answers.

use std::sync::Arc;

use axum::extract::State;
use serde_json::Value;

use crate::drf::error::{ApiError, ApiResult, ok};
use crate::drf::fields::{Fields, Kind};
use crate::drf::request::RawBody;
use crate::state::{Sandbox, bump};
use crate::users::{ALL_DEMO_USERS, user_index};

/// `POST api/v1/auth/token/` with `{username, email, password}`.
pub(crate) async fn login(State(sb): State<Arc<Sandbox>>, body: RawBody) -> ApiResult {
    let result = check_login(&body);
    match result {
        Ok(user) => {
            bump(&sb.counters.logins_ok);
            Ok(ok(&sb.sessions.issue_pair(user)))
        }
        Err(error) => {
            bump(&sb.counters.logins_failed);
            Err(error)
        }
    }
}

fn check_login(body: &RawBody) -> Result<usize, ApiError> {
    let map = body.object()?;
    let mut fields = Fields::new(&map);
    let email = fields.get("email", Kind::NonBlank, true);
    let password = fields.get("password", Kind::NonBlank, true);
    let username = fields.get("username", Kind::Text, false);
    fields.finish()?;
    let (Some(Value::String(email)), Some(Value::String(password))) = (email, password) else {
        return Err(ApiError::BadCredentials);
    };
    let user = user_index(&email).ok_or(ApiError::BadCredentials)?;
    let demo = &ALL_DEMO_USERS[user];
    if demo.password != password {
        return Err(ApiError::BadCredentials);
    }
    // The Python client sends the email's local part; if a username is given it must fit.
    if let Some(Value::String(username)) = username {
        let local = demo.email.split('@').next().unwrap_or_default();
        if !username.is_empty() && !username.eq_ignore_ascii_case(local) {
            return Err(ApiError::BadCredentials);
        }
    }
    Ok(user)
}

/// `POST api/v1/auth/token/refresh/` with `{refresh}`: rotates, the old token is spent.
pub(crate) async fn refresh(State(sb): State<Arc<Sandbox>>, body: RawBody) -> ApiResult {
    let result = check_refresh(&sb, &body);
    match result {
        Ok(user) => {
            bump(&sb.counters.refreshes_ok);
            Ok(ok(&sb.sessions.issue_pair(user)))
        }
        Err(error) => {
            bump(&sb.counters.refreshes_rejected);
            Err(error)
        }
    }
}

fn check_refresh(sb: &Sandbox, body: &RawBody) -> Result<usize, ApiError> {
    let map = body.object()?;
    let mut fields = Fields::new(&map);
    let token = fields.get("refresh", Kind::NonBlank, true);
    fields.finish()?;
    let Some(Value::String(token)) = token else {
        return Err(ApiError::RefreshInvalid);
    };
    sb.sessions.spend_refresh(&token, None).ok_or(ApiError::RefreshInvalid)
}
