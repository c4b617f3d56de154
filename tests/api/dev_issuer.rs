//! The local Auth0 stand-in: its token endpoint, key persistence, and the API trusting
//! its tokens end to end.

use std::path::Path;

use dev_issuer::{DevIssuer, DevIssuerSettings, StoredEntries};
use serde_json::{json, Value};

use crate::helpers::*;

pub struct RunningIssuer {
    pub url: String,
    /// The machine client's secret, new for each issuer.
    pub secret: String,
    pub stored: StoredEntries,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for RunningIssuer {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        tokio::spawn(async move { handle.stop(false).await });
    }
}

pub async fn start_issuer(key_dir: &Path) -> RunningIssuer {
    start_issuer_with(key_dir, 3600).await
}

/// A dev issuer whose access and ID tokens live `token_ttl_secs`.
pub async fn start_issuer_with(key_dir: &Path, token_ttl_secs: u64) -> RunningIssuer {
    start_issuer_configured(key_dir, |settings| {
        settings.token_ttl_secs = token_ttl_secs;
        settings.browser_token_ttl_secs = token_ttl_secs;
    })
    .await
}

/// A dev issuer with its local settings changed by `configure`.
pub async fn start_issuer_configured(
    key_dir: &Path,
    configure: impl FnOnce(&mut DevIssuerSettings),
) -> RunningIssuer {
    let secret = uuid::Uuid::new_v4().simple().to_string();
    let mut settings = DevIssuerSettings::local(AUDIENCE, &secret, key_dir.to_owned());
    configure(&mut settings);
    let issuer = DevIssuer::build(settings).expect("dev issuer builds");
    let url = issuer.issuer().to_owned();
    let stored = issuer.stored();
    let server = issuer.into_server();
    let handle = server.handle();
    tokio::spawn(server);
    RunningIssuer {
        url,
        secret,
        stored,
        handle,
    }
}

/// The API on a fresh database, trusting `issuer`'s tokens.
pub async fn app_trusting(issuer: &RunningIssuer) -> TestApp {
    let database = TestDatabase::create().await;
    let url = database.url.clone();
    let trusted = [("AUTH0_ISSUER", issuer.url.as_str())];
    spawn_app_on(TestIssuer::start().await, database, &url, &trusted).await
}

/// The issuer's OpenID discovery document.
pub async fn discovery(issuer: &RunningIssuer) -> Value {
    reqwest::get(format!("{}.well-known/openid-configuration", issuer.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub fn key_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "todo-api-dev-issuer-{}",
        uuid::Uuid::new_v4().simple()
    ))
}

fn credentials(issuer: &RunningIssuer) -> Value {
    json!({"client_id": "dev-client", "client_secret": issuer.secret, "audience": AUDIENCE, "grant_type": "client_credentials"})
}

async fn request_token(issuer: &RunningIssuer, body: &Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}oauth/token", issuer.url))
        .json(body)
        .send()
        .await
        .unwrap();
    status_and_json(response).await
}

pub fn claims_of(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn client_credentials_give_an_auth0_shaped_token() {
    let dir = key_dir();
    let issuer = start_issuer(&dir).await;
    let (status, body) = request_token(&issuer, &credentials(&issuer)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    let claims = claims_of(body["access_token"].as_str().unwrap());
    assert_eq!(claims["iss"], issuer.url);
    assert_eq!(claims["sub"], "dev-client@clients");
    assert_eq!(claims["aud"], AUDIENCE);
    assert_eq!(claims["gty"], "client-credentials");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );

    // Form bodies work too, and the dev extension asks for a user-like subject and scopes.
    let response = reqwest::Client::new()
        .post(format!("{}oauth/token", issuer.url))
        .form(&[
            ("client_id", "dev-client"),
            ("client_secret", issuer.secret.as_str()),
            ("audience", AUDIENCE),
            ("grant_type", "client_credentials"),
            ("sub", "auth0|alice"),
            ("scope", "read:messages openid"),
            ("permissions", "read:messages"),
        ])
        .send()
        .await
        .unwrap();
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "read:messages openid");
    let claims = claims_of(body["access_token"].as_str().unwrap());
    assert_eq!(claims["sub"], "auth0|alice");
    assert_eq!(claims["permissions"], json!(["read:messages"]));

    let discovery = discovery(&issuer).await;
    assert_eq!(discovery["issuer"], issuer.url);
    assert_eq!(
        discovery["jwks_uri"],
        format!("{}.well-known/jwks.json", issuer.url)
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn bad_token_requests_get_auth0_style_errors() {
    let dir = key_dir();
    let issuer = start_issuer(&dir).await;
    let with = |name: &str, value: Value| {
        let mut body = credentials(&issuer);
        body[name] = value;
        body
    };
    let cases = [
        (
            with("grant_type", json!("password")),
            400,
            "unsupported_grant_type",
        ),
        (with("client_secret", json!("wrong")), 401, "access_denied"),
        // The secret of another issuer, and this one's with a byte changed or added.
        (
            with("client_secret", json!("dev-secret")),
            401,
            "access_denied",
        ),
        (
            with("client_secret", json!(format!("{}x", issuer.secret))),
            401,
            "access_denied",
        ),
        (
            with("client_secret", json!(issuer.secret[1..].to_owned())),
            401,
            "access_denied",
        ),
        (
            with("client_id", json!("someone-else")),
            401,
            "access_denied",
        ),
        (
            with("audience", json!("https://other-api")),
            403,
            "access_denied",
        ),
        (with("audience", Value::Null), 400, "invalid_request"),
    ];
    for (body, status, error) in cases {
        let (got, response) = request_token(&issuer, &body).await;
        assert_eq!(
            (got, response["error"].as_str()),
            (status, Some(error)),
            "{body}"
        );
        assert!(response["error_description"].is_string());
    }
    let response = reqwest::Client::new()
        .post(format!("{}oauth/token", issuer.url))
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let (status, body) = status_and_json(response).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_signing_key_survives_a_restart() {
    let dir = key_dir();
    let first = start_issuer(&dir).await;
    let jwks = |url: String| async move {
        reqwest::get(format!("{url}.well-known/jwks.json"))
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    let before = jwks(first.url.clone()).await;
    drop(first);
    let second = start_issuer(&dir).await;
    assert_eq!(jwks(second.url.clone()).await, before);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_api_accepts_a_dev_issuer_token_fetched_over_http() {
    let dir = key_dir();
    let issuer = start_issuer(&dir).await;
    let app = app_trusting(&issuer).await;

    let mut body = credentials(&issuer);
    body["scope"] = json!("read:messages");
    let (_, token) = request_token(&issuer, &body).await;
    let token = token["access_token"].as_str().unwrap();
    let response = app
        .get_as("/api/private-scoped", token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (status, me) = status_and_json(app.get_as("/api/me", token).send().await.unwrap()).await;
    assert_eq!(
        (status, me["username"].as_str()),
        (200, Some("dev-client@clients"))
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// A cross-origin request to each of the issuer's endpoints from `origin`: whether the
/// answer carries `Access-Control-Allow-Origin` for it.
async fn cors_allows(issuer: &RunningIssuer, origin: &str) -> Vec<(String, bool)> {
    let client = reqwest::Client::new();
    let mut answers = Vec::new();
    let token_url = format!("{}oauth/token", issuer.url);
    let preflight = client
        .request(reqwest::Method::OPTIONS, &token_url)
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap();
    answers.push(("preflight /oauth/token".to_owned(), preflight));
    let mint = client
        .post(&token_url)
        .header("Origin", origin)
        .json(&credentials(issuer))
        .send()
        .await
        .unwrap();
    answers.push(("POST /oauth/token".to_owned(), mint));
    for path in [
        ".well-known/jwks.json",
        ".well-known/openid-configuration",
        "userinfo",
        "authorize",
    ] {
        let response = client
            .get(format!("{}{path}", issuer.url))
            .header("Origin", origin)
            .send()
            .await
            .unwrap();
        answers.push((format!("GET /{path}"), response));
    }
    answers
        .into_iter()
        .map(|(what, response)| {
            let allowed = response
                .headers()
                .get("access-control-allow-origin")
                .is_some_and(|value| value == origin);
            (what, allowed)
        })
        .collect()
}

#[tokio::test]
async fn only_the_configured_web_origins_get_cors_headers() {
    let dir = key_dir();
    let issuer = start_issuer(&dir).await;
    for (what, allowed) in cors_allows(&issuer, "http://localhost:4200").await {
        assert!(allowed, "{what}: the app's origin is allowed");
    }
    for origin in ["https://evil.example", "http://localhost:4201", "null"] {
        for (what, allowed) in cors_allows(&issuer, origin).await {
            assert!(!allowed, "{what}: {origin} must get no CORS headers");
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}
