//! The dev issuer as a local Auth0 tenant for single-page apps, driven as the Auth0 SPA
//! SDK drives it: authorization code with PKCE, the login page, silent login, rotating
//! refresh tokens, ID tokens, /userinfo, logout, and every refusal in Auth0's shape.

use reqwest::redirect::Policy;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use std::time::Duration;

use crate::dev_issuer::{
    app_trusting, claims_of, key_dir, start_issuer, start_issuer_configured, RunningIssuer,
};
use crate::helpers::*;
use crate::proofs::DpopKey;

const APP: &str = "http://localhost:4200";
const SPA: &str = "dev-spa";
const VERIFIER: &str = "a-pkce-code-verifier-of-at-least-43-characters-0123";
const SCOPE: &str = "openid profile email offline_access read:messages";

fn challenge(verifier: &str) -> String {
    use base64::Engine;
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// What the SDK sends to /authorize; `changes` replace a parameter, or drop it when "".
fn authorize_params(changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = [
        ("response_type", "code"),
        ("client_id", SPA),
        ("redirect_uri", APP),
        ("state", "state-1"),
        ("nonce", "nonce-1"),
        ("code_challenge_method", "S256"),
        ("audience", AUDIENCE),
        ("scope", SCOPE),
        ("response_mode", "query"),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect();
    params.push(("code_challenge".into(), challenge(VERIFIER)));
    for (name, value) in changes {
        params.retain(|(existing, _)| existing != name);
        if !value.is_empty() {
            params.push(((*name).to_owned(), (*value).to_owned()));
        }
    }
    params
}

/// A browser without redirects, carrying the issuer's session cookie by hand.
struct Browser {
    client: reqwest::Client,
    issuer: String,
    cookie: Option<String>,
}

impl Browser {
    fn new(issuer: &RunningIssuer) -> Self {
        Self {
            client: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .unwrap(),
            issuer: issuer.url.clone(),
            cookie: None,
        }
    }

    async fn authorize(&self, changes: &[(&str, &str)]) -> Response {
        let mut request = self
            .client
            .get(format!("{}authorize", self.issuer))
            .query(&authorize_params(changes));
        if let Some(cookie) = &self.cookie {
            request = request.header("Cookie", cookie);
        }
        request.send().await.unwrap()
    }

    /// Loads a login page: its anti-forgery token and the cookie that goes with it.
    async fn login_page(&self) -> LoginPage {
        let response = self.authorize(&[("prompt", "login")]).await;
        assert_eq!(response.status(), 200, "the login page");
        let cookie = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find(|value| value.starts_with("dev_issuer_login="))
            .expect("a login cookie")
            .to_owned();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
        let page = response.text().await.unwrap();
        let token = page
            .split(r#"name="login_token" value=""#)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a login_token field")
            .to_owned();
        LoginPage {
            token,
            cookie: cookie.split(';').next().unwrap().to_owned(),
        }
    }

    /// Picks `user` on a login page just loaded; keeps the session cookie; returns the answer.
    async fn log_in(&mut self, user: &str, changes: &[(&str, &str)]) -> Response {
        let page = self.login_page().await;
        self.post_login(user, changes, Some(&page.token), Some(&page.cookie))
            .await
    }

    /// Posts the login form with the given token and login cookie, as any page could.
    async fn post_login(
        &mut self,
        user: &str,
        changes: &[(&str, &str)],
        token: Option<&str>,
        login_cookie: Option<&str>,
    ) -> Response {
        let mut form = authorize_params(changes);
        form.push(("user".into(), user.into()));
        if let Some(token) = token {
            form.push(("login_token".into(), token.into()));
        }
        let mut request = self
            .client
            .post(format!("{}login", self.issuer))
            .form(&form);
        if let Some(cookie) = login_cookie {
            request = request.header("Cookie", cookie);
        }
        let response = request.send().await.unwrap();
        if let Some(cookie) = response.headers().get("set-cookie") {
            let cookie = cookie.to_str().unwrap();
            self.cookie = Some(cookie.split(';').next().unwrap().to_owned());
        }
        response
    }

    async fn token(&self, form: &[(&str, &str)]) -> (u16, Value) {
        self.token_with_proof(form, None).await
    }

    /// The token endpoint with a DPoP proof of `key`, if any.
    async fn token_with_proof(&self, form: &[(&str, &str)], key: Option<&DpopKey>) -> (u16, Value) {
        let url = format!("{}oauth/token", self.issuer);
        let mut request = self.client.post(&url).form(form);
        if let Some(key) = key {
            let proof = key.proof("POST", &url, "").without("ath").sign();
            request = request.header("DPoP", proof);
        }
        status_and_json(request.send().await.unwrap()).await
    }

    async fn exchange(&self, code: &str, verifier: &str) -> (u16, Value) {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("client_id", SPA),
            ("code", code),
            ("code_verifier", verifier),
            ("redirect_uri", APP),
        ])
        .await
    }

    async fn refresh(&self, refresh_token: &str) -> (u16, Value) {
        self.token(&[
            ("grant_type", "refresh_token"),
            ("client_id", SPA),
            ("refresh_token", refresh_token),
        ])
        .await
    }

    /// Logs `user` in and exchanges the code: the token response.
    async fn tokens_for(&mut self, user: &str, changes: &[(&str, &str)]) -> Value {
        let code = code_of(&self.log_in(user, changes).await);
        let (status, body) = self.exchange(&code, VERIFIER).await;
        assert_eq!(status, 200, "{body}");
        body
    }
}

struct LoginPage {
    token: String,
    /// `dev_issuer_login=...`
    cookie: String,
}

/// The query of a redirect back to the app, by name.
fn redirect_query(response: &Response) -> Vec<(String, String)> {
    assert_eq!(response.status(), StatusCode::FOUND, "a redirect");
    let location = response.headers()["location"].to_str().unwrap();
    let url = url::Url::parse(location).unwrap();
    assert_eq!(
        url.origin().ascii_serialization(),
        APP,
        "back to the app: {location}"
    );
    url.query_pairs().into_owned().collect()
}

fn param(query: &[(String, String)], name: &str) -> Option<String> {
    query
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
}

fn code_of(response: &Response) -> String {
    let query = redirect_query(response);
    assert_eq!(param(&query, "state").as_deref(), Some("state-1"));
    param(&query, "code").unwrap_or_else(|| panic!("no code in {query:?}"))
}

#[tokio::test]
async fn a_person_logs_in_with_pkce_and_the_api_accepts_the_token() {
    let dir = key_dir();
    let issuer = start_issuer(&dir).await;
    let mut browser = Browser::new(&issuer);

    let page = browser.authorize(&[]).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    for expected in [
        "Development stand-in for an Auth0 tenant",
        "auth0|alice",
        "auth0|bob",
        "read:messages",
        "offline_access",
        r#"<input id="user-id" name="user""#,
    ] {
        assert!(html.contains(expected), "the login page shows {expected}");
    }

    let alice = browser.tokens_for("auth0|alice", &[]).await;
    assert_eq!(alice["token_type"], "Bearer");
    assert_eq!(alice["scope"], SCOPE);
    assert!(alice["refresh_token"].is_string());
    let id = claims_of(alice["id_token"].as_str().unwrap());
    assert_eq!(
        (&id["iss"], &id["aud"], &id["sub"], &id["nonce"]),
        (
            &json!(issuer.url),
            &json!(SPA),
            &json!("auth0|alice"),
            &json!("nonce-1")
        )
    );
    assert_eq!(
        (&id["name"], &id["email"]),
        (&json!("alice"), &json!("alice@example.com"))
    );
    assert!(id["exp"].as_i64().unwrap() > id["iat"].as_i64().unwrap());
    let access = claims_of(alice["access_token"].as_str().unwrap());
    assert_eq!(
        access["aud"],
        json!([AUDIENCE, format!("{}userinfo", issuer.url)])
    );
    assert_eq!(access["permissions"], json!(["read:messages"]));
    assert_eq!(access["azp"], SPA);

    let app = app_trusting(&issuer).await;
    let alice_token = alice["access_token"].as_str().unwrap();
    let scoped = app
        .get_as("/api/private-scoped", alice_token)
        .send()
        .await
        .unwrap();
    assert_eq!(scoped.status(), 200);
    let (status, me) =
        status_and_json(app.get_as("/api/me", alice_token).send().await.unwrap()).await;
    assert_eq!(
        (status, me["username"].as_str()),
        (200, Some("auth0.alice"))
    );

    // bob holds no permission: read:messages is not granted, and the API says 403.
    let mut bobs_browser = Browser::new(&issuer);
    let bob = bobs_browser.tokens_for("auth0|bob", &[]).await;
    assert_eq!(bob["scope"], "openid profile email offline_access");
    let bob_token = bob["access_token"].as_str().unwrap();
    let scoped = app
        .get_as("/api/private-scoped", bob_token)
        .send()
        .await
        .unwrap();
    assert_eq!(scoped.status(), 403);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_session_logs_in_silently_and_prompt_none_without_one_is_login_required() {
    let dir = key_dir();
    let issuer = start_issuer(&dir).await;
    let mut browser = Browser::new(&issuer);

    let silent = browser.authorize(&[("prompt", "none")]).await;
    let query = redirect_query(&silent);
    assert_eq!(param(&query, "error").as_deref(), Some("login_required"));
    assert_eq!(param(&query, "state").as_deref(), Some("state-1"));

    browser.log_in("auth0|alice", &[]).await;
    assert!(browser.cookie.is_some(), "the login opens a session");
    // The next /authorize goes straight back with a code, with or without prompt=none.
    for changes in [&[][..], &[("prompt", "none")][..]] {
        let code = code_of(&browser.authorize(changes).await);
        let (status, body) = browser.exchange(&code, VERIFIER).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            claims_of(body["id_token"].as_str().unwrap())["sub"],
            "auth0|alice"
        );
    }
    // The SDK's hidden iframe asks for a page that posts the answer to the app.
    let message = browser
        .authorize(&[("prompt", "none"), ("response_mode", "web_message")])
        .await;
    assert_eq!(message.status(), 200);
    let html = message.text().await.unwrap();
    assert!(
        html.contains(r#""type":"authorization_response""#),
        "{html}"
    );
    assert!(html.contains(r#""code":"#) && html.contains(r#""state":"state-1""#));
    assert!(
        html.contains(r#", "http://localhost:4200")"#),
        "only to the app's origin"
    );
    // prompt=login shows the page again even with a session.
    assert_eq!(
        browser.authorize(&[("prompt", "login")]).await.status(),
        200
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_revokes_its_family() {
    let dir = key_dir();
    let issuer = start_issuer(&dir).await;
    let mut browser = Browser::new(&issuer);
    let first = browser.tokens_for("auth0|alice", &[]).await;
    let first_refresh = first["refresh_token"].as_str().unwrap();

    let (status, second) = browser.refresh(first_refresh).await;
    assert_eq!(status, 200, "{second}");
    let second_refresh = second["refresh_token"].as_str().unwrap();
    assert_ne!(second_refresh, first_refresh, "rotated on every use");
    assert_eq!(
        claims_of(second["access_token"].as_str().unwrap())["sub"],
        "auth0|alice"
    );
    assert_eq!(claims_of(second["id_token"].as_str().unwrap())["aud"], SPA);

    let reused = browser.refresh(first_refresh).await;
    assert_eq!(
        (reused.0, reused.1["error"].as_str()),
        (403, Some("invalid_grant"))
    );
    let revoked = browser.refresh(second_refresh).await;
    assert_eq!(
        (revoked.0, revoked.1["error"].as_str()),
        (403, Some("invalid_grant")),
        "the reuse revoked the whole family"
    );

    // Without offline_access there is no refresh token.
    let mut other = Browser::new(&issuer);
    let without = other
        .tokens_for("auth0|bob", &[("scope", "openid profile")])
        .await;
    assert!(without.get("refresh_token").is_none(), "{without}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn refusals_take_auth0s_shapes() {
    let dir = key_dir();
    let issuer = start_issuer(&dir).await;
    let mut browser = Browser::new(&issuer);

    // Not trusted to be redirected to: an error page of the issuer's own.
    for changes in [
        [("client_id", "someone-else")],
        [("redirect_uri", "http://localhost:4200/elsewhere")],
        [("redirect_uri", "https://evil.example/")],
    ] {
        let response = browser.authorize(&changes).await;
        assert_eq!(response.status(), 400, "{changes:?}");
        assert!(response.headers().get("location").is_none(), "{changes:?}");
        let html = response.text().await.unwrap();
        assert!(html.contains(r#"role="alert""#), "{html}");
    }
    // The rest goes back to the app with error and state.
    for (changes, error) in [
        (&[("code_challenge", "")][..], "invalid_request"),
        (&[("code_challenge_method", "plain")][..], "invalid_request"),
        (&[("code_challenge_method", "")][..], "invalid_request"),
        (
            &[("response_type", "token")][..],
            "unsupported_response_type",
        ),
        (&[("audience", "https://other-api")][..], "access_denied"),
    ] {
        let query = redirect_query(&browser.authorize(changes).await);
        assert_eq!(
            param(&query, "error").as_deref(),
            Some(error),
            "{changes:?}"
        );
        assert_eq!(param(&query, "state").as_deref(), Some("state-1"));
        assert!(param(&query, "error_description").is_some());
        assert!(param(&query, "code").is_none());
    }

    // The token endpoint answers JSON 4xx.
    let code = code_of(&browser.log_in("auth0|alice", &[]).await);
    let wrong = browser
        .exchange(&code, "a-different-verifier-of-at-least-43-characters-xx")
        .await;
    assert_eq!(
        (wrong.0, wrong.1["error"].as_str()),
        (403, Some("invalid_grant"))
    );
    let code = code_of(&browser.authorize(&[]).await);
    let (status, body) = browser.exchange(&code, VERIFIER).await;
    assert_eq!(status, 200, "{body}");
    let reused = browser.exchange(&code, VERIFIER).await;
    assert_eq!(
        (reused.0, reused.1["error"].as_str()),
        (403, Some("invalid_grant")),
        "single use"
    );
    let code = code_of(&browser.authorize(&[]).await);
    let elsewhere = browser
        .token(&[
            ("grant_type", "authorization_code"),
            ("client_id", SPA),
            ("code", &code),
            ("code_verifier", VERIFIER),
            ("redirect_uri", "http://localhost:4200/other"),
        ])
        .await;
    assert_eq!(
        (elsewhere.0, elsewhere.1["error"].as_str()),
        (403, Some("invalid_grant"))
    );
    let code = code_of(&browser.authorize(&[]).await);
    let machine = browser
        .token(&[
            ("grant_type", "authorization_code"),
            ("client_id", "dev-client"),
            ("code", &code),
            ("code_verifier", VERIFIER),
            ("redirect_uri", APP),
        ])
        .await;
    assert_eq!(
        (machine.0, machine.1["error"].as_str()),
        (403, Some("unauthorized_client"))
    );
    let incomplete = browser
        .token(&[("grant_type", "authorization_code"), ("client_id", SPA)])
        .await;
    assert_eq!(
        (incomplete.0, incomplete.1["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let unknown = browser.refresh("not-a-refresh-token").await;
    assert_eq!(
        (unknown.0, unknown.1["error"].as_str()),
        (403, Some("invalid_grant"))
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn userinfo_discovery_and_logout() {
    let dir = key_dir();
    let issuer = start_issuer(&dir).await;
    let mut browser = Browser::new(&issuer);
    let tokens = browser.tokens_for("auth0|alice", &[]).await;

    let userinfo = browser
        .client
        .get(format!("{}userinfo", issuer.url))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let (status, profile) = status_and_json(userinfo).await;
    assert_eq!(status, 200);
    assert_eq!(
        (&profile["sub"], &profile["name"], &profile["email"]),
        (
            &json!("auth0|alice"),
            &json!("alice"),
            &json!("alice@example.com")
        )
    );
    let anonymous = browser
        .client
        .get(format!("{}userinfo", issuer.url))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    let discovery: Value = browser
        .client
        .get(format!("{}.well-known/openid-configuration", issuer.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (field, path) in [
        ("authorization_endpoint", "authorize"),
        ("token_endpoint", "oauth/token"),
        ("userinfo_endpoint", "userinfo"),
        ("end_session_endpoint", "v2/logout"),
        ("jwks_uri", ".well-known/jwks.json"),
    ] {
        assert_eq!(discovery[field], format!("{}{path}", issuer.url), "{field}");
    }
    assert_eq!(
        discovery["code_challenge_methods_supported"],
        json!(["S256"])
    );

    let logout = |return_to: &str| {
        let mut request = browser
            .client
            .get(format!("{}v2/logout", issuer.url))
            .query(&[("client_id", SPA), ("returnTo", return_to)]);
        if let Some(cookie) = &browser.cookie {
            request = request.header("Cookie", cookie);
        }
        request.send()
    };
    let refused = logout("https://evil.example/").await.unwrap();
    assert_eq!(refused.status(), 400);
    assert!(refused.headers().get("location").is_none());
    let out = logout(APP).await.unwrap();
    assert_eq!(out.status(), 302);
    assert_eq!(out.headers()["location"], APP);
    assert!(out.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    // The old cookie no longer logs anyone in.
    let query = redirect_query(&browser.authorize(&[("prompt", "none")]).await);
    assert_eq!(param(&query, "error").as_deref(), Some("login_required"));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_login_form_is_taken_only_from_a_page_this_browser_loaded() {
    let dir = key_dir();
    let issuer = start_issuer(&dir).await;
    let mut browser = Browser::new(&issuer);
    let forged = |response: &Response| {
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(response.headers().get("location").is_none());
    };
    // Another site's page posting the form: no token, no cookie (SameSite=Strict).
    forged(&browser.post_login("auth0|mallory", &[], None, None).await);
    // A token the site made up, even with a cookie to match.
    let made_up = "a".repeat(43);
    let cookie = format!("dev_issuer_login={made_up}");
    forged(
        &browser
            .post_login("auth0|mallory", &[], Some(&made_up), Some(&cookie))
            .await,
    );
    // A real page's token without its cookie, or with another page's cookie.
    let page = browser.login_page().await;
    let other = browser.login_page().await;
    forged(
        &browser
            .post_login("auth0|mallory", &[], Some(&page.token), None)
            .await,
    );
    forged(
        &browser
            .post_login("auth0|mallory", &[], Some(&page.token), Some(&other.cookie))
            .await,
    );
    assert!(browser.cookie.is_none(), "no session was opened");

    // The page's own form: logged in, once.
    let response = browser
        .post_login("auth0|alice", &[], Some(&page.token), Some(&page.cookie))
        .await;
    assert!(!code_of(&response).is_empty());
    forged(
        &browser
            .post_login("auth0|alice", &[], Some(&page.token), Some(&page.cookie))
            .await,
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn code_verifiers_must_have_rfc_7636s_length_and_characters() {
    let dir = key_dir();
    let issuer = start_issuer(&dir).await;
    let mut browser = Browser::new(&issuer);
    for verifier in [
        "a".repeat(42),
        "a".repeat(129),
        format!("{}+/", "a".repeat(41)),
        format!("{} ", "a".repeat(43)),
    ] {
        let code = code_of(
            &browser
                .log_in("auth0|alice", &[("code_challenge", &challenge(&verifier))])
                .await,
        );
        let (status, body) = browser.exchange(&code, &verifier).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_request")),
            "{verifier:?}: {body}"
        );
    }
    let longest = "~".repeat(128);
    let code = code_of(
        &browser
            .log_in("auth0|alice", &[("code_challenge", &challenge(&longest))])
            .await,
    );
    let (status, body) = browser.exchange(&code, &longest).await;
    assert_eq!(status, 200, "{body}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_flood_of_logins_and_tokens_keeps_the_store_bounded_and_expired_entries_go() {
    let dir = key_dir();
    let capacity = 40;
    let issuer = start_issuer_configured(&dir, |settings| {
        settings.store_capacity = capacity;
        settings.lifetimes = dev_issuer::Lifetimes {
            session_idle: Duration::from_secs(1),
            session_absolute: Duration::from_secs(60),
            refresh_token_idle: Duration::from_secs(1),
            refresh_token_absolute: Duration::from_secs(60),
        };
    })
    .await;
    // 200 people log in twice (a session, a login form and a code each time), exchange
    // the first code for a refresh token and rotate it, leave the second code unused,
    // and leave one more login page unused.
    let mut browser = Browser::new(&issuer);
    for n in 0..200 {
        browser.cookie = None;
        let tokens = browser.tokens_for(&format!("auth0|flood-{n}"), &[]).await;
        let (status, _) = browser
            .refresh(tokens["refresh_token"].as_str().unwrap())
            .await;
        assert_eq!(status, 200);
        code_of(&browser.log_in(&format!("auth0|flood-{n}"), &[]).await);
        browser.login_page().await;
    }
    let counts = issuer.stored.counts();
    for (kind, count) in [
        ("sessions", counts.sessions),
        ("login forms", counts.login_forms),
        ("codes", counts.codes),
        ("refresh tokens", counts.refresh_tokens),
    ] {
        assert!(
            count <= capacity,
            "{count} {kind} held, capacity {capacity}"
        );
        assert!(count > 0, "no {kind} held at all: nothing was measured");
    }
    // Idle past their lifetime, sessions and refresh tokens are gone.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let counts = issuer.stored.counts();
    assert_eq!(
        (counts.sessions, counts.refresh_tokens),
        (0, 0),
        "{counts:?}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn an_idle_refresh_token_and_session_expire() {
    let dir = key_dir();
    let issuer = start_issuer_configured(&dir, |settings| {
        settings.lifetimes.refresh_token_idle = Duration::from_secs(1);
        settings.lifetimes.session_idle = Duration::from_secs(1);
    })
    .await;
    let mut browser = Browser::new(&issuer);
    let tokens = browser.tokens_for("auth0|alice", &[]).await;
    let (status, rotated) = browser
        .refresh(tokens["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(status, 200, "used within its idle time");
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let (status, body) = browser
        .refresh(rotated["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("invalid_grant"))
    );
    // The session is gone too: the login page again, no silent code.
    assert_eq!(browser.authorize(&[]).await.status(), 200);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_code_bound_with_dpop_jkt_and_its_refresh_tokens_need_their_key() {
    let dir = key_dir();
    let issuer = start_issuer(&dir).await;
    let (key, thief) = (DpopKey::generate(), DpopKey::generate());
    let mut browser = Browser::new(&issuer);
    let exchange = |code: String| {
        [
            ("grant_type", "authorization_code".to_owned()),
            ("client_id", SPA.to_owned()),
            ("code", code),
            ("code_verifier", VERIFIER.to_owned()),
            ("redirect_uri", APP.to_owned()),
        ]
    };

    // A code bound to `key` is refused without a proof, and with another key's.
    let jkt = [("dpop_jkt", key.thumbprint.as_str())];
    for (proof, status, error) in [
        (None, 400, "invalid_dpop_proof"),
        (Some(&thief), 403, "invalid_grant"),
    ] {
        let code = code_of(&browser.log_in("auth0|alice", &jkt).await);
        let (got, body) = browser
            .token_with_proof(&as_refs(&exchange(code)), proof)
            .await;
        assert_eq!(
            (got, body["error"].as_str()),
            (status, Some(error)),
            "{body}"
        );
    }
    let code = code_of(&browser.log_in("auth0|alice", &jkt).await);
    let (status, tokens) = browser
        .token_with_proof(&as_refs(&exchange(code)), Some(&key))
        .await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "DPoP");
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(claims_of(access)["cnf"], json!({"jkt": key.thumbprint}));

    // /userinfo takes it as DPoP with the key's proof only.
    let userinfo = format!("{}userinfo", issuer.url);
    let call = |scheme: &str, proof: Option<String>| {
        let mut request = reqwest::Client::new()
            .get(&userinfo)
            .header("Authorization", format!("{scheme} {access}"));
        if let Some(proof) = proof {
            request = request.header("DPoP", proof);
        }
        request.send()
    };
    let (status, profile) = status_and_json(
        call("DPoP", Some(key.proof("GET", &userinfo, access).sign()))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, profile["sub"].as_str()),
        (200, Some("auth0|alice")),
        "{profile}"
    );
    for (case, scheme, proof, status) in [
        ("as Bearer", "Bearer", None, 401),
        (
            "another key's proof",
            "DPoP",
            Some(thief.proof("GET", &userinfo, access).sign()),
            401,
        ),
        ("no proof", "DPoP", None, 400),
        (
            "a proof for the token endpoint",
            "DPoP",
            Some(key.proof("POST", &userinfo, access).sign()),
            400,
        ),
    ] {
        assert_eq!(
            call(scheme, proof).await.unwrap().status(),
            status,
            "{case}"
        );
    }

    // Its refresh token: refused without a proof or with another key, and not used up
    // by those tries; with the key, rotated into another bound token.
    let refresh = |token: &str| {
        [
            ("grant_type", "refresh_token".to_owned()),
            ("client_id", SPA.to_owned()),
            ("refresh_token", token.to_owned()),
        ]
    };
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let (status, body) = browser
        .token_with_proof(&as_refs(&refresh(refresh_token)), None)
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_dpop_proof"))
    );
    let (status, body) = browser
        .token_with_proof(&as_refs(&refresh(refresh_token)), Some(&thief))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("invalid_grant"))
    );
    let (status, rotated) = browser
        .token_with_proof(&as_refs(&refresh(refresh_token)), Some(&key))
        .await;
    assert_eq!(status, 200, "{rotated}");
    assert_eq!(rotated["token_type"], "DPoP");
    assert_eq!(
        claims_of(rotated["access_token"].as_str().unwrap())["cnf"]["jkt"],
        json!(key.thumbprint)
    );

    // Without dpop_jkt, a proof at the exchange binds the tokens to its key.
    let code = code_of(&browser.log_in("auth0|bob", &[]).await);
    let (status, tokens) = browser
        .token_with_proof(&as_refs(&exchange(code)), Some(&thief))
        .await;
    assert_eq!((status, tokens["token_type"].as_str()), (200, Some("DPoP")));
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let (status, _) = browser
        .token_with_proof(&as_refs(&refresh(refresh_token)), Some(&key))
        .await;
    assert_eq!(status, 403);
}

/// A form's fields as the request builder takes them.
fn as_refs<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect()
}
