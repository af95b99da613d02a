//! What every area's tests share: a sandbox on 127.0.0.1 and a logged-in caller of it.

use norman_sandbox::{DEMO_USERS, DemoUser, Sandbox, SandboxConfig, SandboxHandle};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub const USER1: DemoUser = DEMO_USERS[0];
pub const USER2: DemoUser = DEMO_USERS[1];

/// A logged-in caller of one sandbox.
pub struct Api {
    pub http: reqwest::Client,
    pub base: url::Url,
    pub access: String,
    pub refresh: String,
    pub cid: &'static str,
    /// Turns a test's path and the caller's company into the path below the sandbox's URL.
    pub path: fn(&str, &str) -> String,
}

pub async fn start() -> SandboxHandle {
    Sandbox::spawn(SandboxConfig::default()).await.expect("sandbox starts")
}

/// Logs `user` in with e-mail and password; paths name the company as `{cid}`.
pub async fn login(handle: &SandboxHandle, user: DemoUser) -> Api {
    login_with(handle, user, json!({ "email": user.email, "password": user.password })).await
}

/// Logs `user` in with the login body `credentials`, which must succeed.
pub async fn login_with(handle: &SandboxHandle, user: DemoUser, credentials: Value) -> Api {
    let http = reqwest::Client::new();
    let response = http
        .post(handle.url.join("api/v1/auth/token/").expect("url"))
        .json(&credentials)
        .send()
        .await
        .expect("login request");
    assert_eq!(response.status(), StatusCode::OK, "{}", user.email);
    let body: Value = response.json().await.expect("json");
    Api {
        http,
        base: handle.url.clone(),
        access: body["access"].as_str().expect("access").to_owned(),
        refresh: body["refresh"].as_str().expect("refresh").to_owned(),
        cid: user.company_id,
        path: |path, cid| path.replace("{cid}", cid),
    }
}

impl Api {
    pub fn url(&self, path: &str) -> url::Url {
        self.base.join(&(self.path)(path, self.cid)).expect("url")
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(&self.access)
    }

    /// Sends `builder`: the status and the body, JSON where it parses, else its text.
    pub async fn send(&self, builder: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let response = builder.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let builder = self.request(method, path);
        self.send(match body {
            Some(body) => builder.json(&body),
            None => builder,
        })
        .await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(body)).await
    }

    /// `GET` that must succeed.
    pub async fn ok(&self, path: &str) -> Value {
        let (status, body) = self.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        body
    }
}

/// The `results` of a paginated list.
pub fn results(body: &Value) -> &Vec<Value> {
    body["results"].as_array().unwrap_or_else(|| panic!("no results list in {body}"))
}
