//! Token extraction and validation, the RFC 6750 responses, and the JWKS key store.

use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

const PRIVATE: &str = "Hello from a private endpoint! You need to be authenticated to see this.";

fn challenge(response: &reqwest::Response) -> String {
    response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned()
}

/// Asserts a 401 `invalid_token` whose description and detail are `reason`.
async fn assert_invalid_token(app: &TestApp, token: &str, reason: &str) {
    let response = app.get_as("/api/private", token).send().await.unwrap();
    assert_eq!(
        challenge(&response),
        format!(
            r#"Bearer realm="api", error="invalid_token", error_description="{reason}", DPoP algs="ES256""#
        )
    );
    assert_eq!(
        status_and_json(response).await,
        (401, json!({ "detail": reason }))
    );
}

async fn assert_accepted(app: &TestApp, token: &str) {
    let response = app.get_as("/api/private", token).send().await.unwrap();
    assert_eq!(
        status_and_json(response).await,
        (200, json!({ "message": PRIVATE }))
    );
}

#[tokio::test]
async fn quickstart_messages_are_exact() {
    let app = spawn_app().await;
    let response = app.get("/api/public").send().await.unwrap();
    assert_eq!(
        status_and_json(response).await,
        (
            200,
            json!({"message": "Hello from a public endpoint! You don't need to be authenticated to see this."})
        )
    );
    assert_accepted(&app, &app.issuer.token("auth0|alice")).await;
    let scoped = app
        .issuer
        .token_builder("auth0|alice")
        .claim("scope", json!("read:messages"))
        .sign();
    let response = app
        .get_as("/api/private-scoped", &scoped)
        .send()
        .await
        .unwrap();
    assert_eq!(
        status_and_json(response).await,
        (
            200,
            json!({"message": "Hello from a private endpoint! You need to be authenticated and have a scope of read:messages to see this."})
        )
    );
}

#[tokio::test]
async fn missing_or_non_bearer_credentials_are_401_not_provided() {
    let app = spawn_app().await;
    let token = app.issuer.token("auth0|alice");
    let requests = [
        app.get("/api/private"),
        app.get("/api/private")
            .header("Authorization", "Basic dXNlcjpwYXNz"),
        app.get("/api/private").header("Authorization", "Bearer"),
        // A token in the query string is ignored.
        app.get(&format!("/api/private?access_token={token}")),
    ];
    for request in requests {
        let response = request.send().await.unwrap();
        // DPoP is allowed by default, so both schemes are offered.
        assert_eq!(
            challenge(&response),
            r#"Bearer realm="api", DPoP algs="ES256""#
        );
        assert_eq!(
            status_and_json(response).await,
            (
                401,
                json!({"detail": "Authentication credentials were not provided."})
            )
        );
    }
}

#[tokio::test]
async fn the_scheme_is_case_insensitive() {
    let app = spawn_app().await;
    let token = app.issuer.token("auth0|alice");
    for scheme in ["bearer", "BEARER", "BeArEr"] {
        let response = app
            .get("/api/private")
            .header("Authorization", format!("{scheme} {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{scheme}");
    }
}

#[tokio::test]
async fn two_authorization_headers_are_an_invalid_request() {
    let app = spawn_app().await;
    let token = app.issuer.token("auth0|alice");
    let response = app
        .get_as("/api/private", &token)
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert!(challenge(&response)
        .starts_with(r#"Bearer realm="api", error="invalid_request", error_description=""#));
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, 400);
    assert!(body["detail"].is_string());
}

#[tokio::test]
async fn malformed_tokens_are_rejected() {
    let app = spawn_app().await;
    for token in ["abc", "a.b.c", "not a token", "eyJhbGciOiJSUzI1NiJ9.e30"] {
        let response = app
            .get("/api/private")
            .header("Authorization", format!("Bearer {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{token}");
        assert!(
            challenge(&response).contains(r#"error="invalid_token""#),
            "{token}"
        );
    }
}

#[tokio::test]
async fn expiry_is_checked_with_leeway() {
    let app = spawn_app_with(&[("AUTH0_LEEWAY_SECS", "30")]).await;
    let expired = app
        .issuer
        .token_builder("auth0|a")
        .claim("exp", json!(now() - 120))
        .sign();
    assert_invalid_token(&app, &expired, "Token has expired.").await;
    let within_leeway = app
        .issuer
        .token_builder("auth0|a")
        .claim("exp", json!(now() - 10))
        .sign();
    assert_accepted(&app, &within_leeway).await;
    let no_exp = app.issuer.token_builder("auth0|a").without("exp").sign();
    assert_invalid_token(&app, &no_exp, "Token has no expiry (exp).").await;
}

#[tokio::test]
async fn not_before_and_issued_at_must_not_be_in_the_future() {
    let app = spawn_app_with(&[("AUTH0_LEEWAY_SECS", "30")]).await;
    let builder = || app.issuer.token_builder("auth0|a");
    assert_invalid_token(
        &app,
        &builder().claim("nbf", json!(now() + 300)).sign(),
        "Token is not valid yet.",
    )
    .await;
    assert_accepted(&app, &builder().claim("nbf", json!(now() + 10)).sign()).await;
    assert_invalid_token(
        &app,
        &builder().claim("iat", json!(now() + 300)).sign(),
        "Token was issued in the future.",
    )
    .await;
    assert_accepted(&app, &builder().claim("iat", json!(now() + 10)).sign()).await;
}

#[tokio::test]
async fn time_claims_that_are_not_json_numbers_are_invalid() {
    let app = spawn_app().await;
    let builder = || app.issuer.token_builder("auth0|a");
    for claim in ["exp", "nbf", "iat"] {
        for wrong in [
            json!("now"),
            json!(now().to_string()),
            json!(false),
            json!(true),
            json!([now()]),
            json!({"seconds": now()}),
            Value::Null,
        ] {
            let token = builder().claim(claim, wrong.clone()).sign();
            let response = app.get_as("/api/private", &token).send().await.unwrap();
            assert!(
                challenge(&response).contains(r#"error="invalid_token""#),
                "{claim}: {wrong}"
            );
            assert_eq!(response.status(), 401, "{claim}: {wrong}");
        }
    }
    // A NumericDate may have a fraction (RFC 7519 section 2).
    let fractional = builder()
        .claim("nbf", json!(now() as f64 - 0.5))
        .claim("iat", json!(now() as f64 - 0.25))
        .claim("exp", json!(now() as f64 + 600.5))
        .sign();
    assert_accepted(&app, &fractional).await;
}

#[tokio::test]
async fn issuer_must_match_exactly() {
    let app = spawn_app().await;
    let issuer = app.issuer.base_url.clone();
    for wrong in [
        issuer.trim_end_matches('/').to_owned(),
        "https://evil.auth0.com/".to_owned(),
    ] {
        let token = app
            .issuer
            .token_builder("auth0|a")
            .claim("iss", json!(wrong))
            .sign();
        assert_invalid_token(&app, &token, "Token issuer is not trusted.").await;
    }
    let token = app.issuer.token_builder("auth0|a").without("iss").sign();
    assert_invalid_token(&app, &token, "Token has no issuer (iss).").await;
}

#[tokio::test]
async fn audience_may_be_a_string_or_an_array() {
    let app = spawn_app().await;
    let builder = || app.issuer.token_builder("auth0|a");
    assert_accepted(&app, &builder().claim("aud", json!(AUDIENCE)).sign()).await;
    assert_accepted(
        &app,
        &builder().claim("aud", json!(["other", AUDIENCE])).sign(),
    )
    .await;
    for wrong in [json!("https://other-api"), json!(["a", "b"])] {
        assert_invalid_token(
            &app,
            &builder().claim("aud", wrong).sign(),
            "Token audience is not this API.",
        )
        .await;
    }
}

#[tokio::test]
async fn subject_is_required_and_non_empty() {
    let app = spawn_app().await;
    let missing = app.issuer.token_builder("x").without("sub").sign();
    assert_invalid_token(&app, &missing, "Token has no subject.").await;
    let empty = app.issuer.token_builder("").sign();
    assert_invalid_token(&app, &empty, "Token has no subject.").await;
}

#[tokio::test]
async fn forged_and_tampered_tokens_are_rejected() {
    let app = spawn_app().await;
    // Signed by a key the issuer never published, under a published kid.
    let forged = app
        .issuer
        .token_builder("auth0|a")
        .key(&ROGUE)
        .kid(Some("key-a"))
        .sign();
    assert_invalid_token(&app, &forged, "Token signature is invalid.").await;

    // A valid token whose payload was swapped for another.
    let valid = app.issuer.token("auth0|alice");
    let other = app.issuer.token("auth0|mallory");
    let parts: Vec<&str> = valid.split('.').collect();
    let other_payload = other.split('.').nth(1).unwrap();
    let tampered = format!("{}.{}.{}", parts[0], other_payload, parts[2]);
    assert_invalid_token(&app, &tampered, "Token signature is invalid.").await;
}

#[tokio::test]
async fn alg_none_and_hs256_with_the_public_key_are_rejected() {
    let app = spawn_app().await;
    let payload =
        json!({"iss": app.issuer.base_url, "sub": "auth0|a", "aud": AUDIENCE, "exp": now() + 600});
    let none = raw_token(
        &json!({"alg": "none", "typ": "JWT", "kid": "key-a"}),
        &payload,
        b"",
    );
    let response = app
        .get("/api/private")
        .header(
            "Authorization",
            format!("Bearer {}", none.trim_end_matches('.')),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    // The classic confusion attack: HMAC keyed with the RSA public key's bytes.
    let public_key = KEY_A.jwk["n"].as_str().unwrap().as_bytes().to_vec();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("key-a".into());
    let hs256 =
        jsonwebtoken::encode(&header, &payload, &EncodingKey::from_secret(&public_key)).unwrap();
    assert_invalid_token(&app, &hs256, "Token signing algorithm is not allowed.").await;

    // RS512 is not in AUTH0_ALGORITHMS (default RS256).
    let mut header = Header::new(Algorithm::RS512);
    header.kid = Some("key-a".into());
    let rs512 = jsonwebtoken::encode(&header, &payload, &KEY_A.encoding).unwrap();
    assert_invalid_token(&app, &rs512, "Token signing algorithm is not allowed.").await;
}

#[tokio::test]
async fn access_token_types_are_accepted_and_others_refused() {
    let app = spawn_app().await;
    for typ in [
        Some("JWT"),
        Some("at+jwt"),
        Some("application/at+JWT"),
        None,
    ] {
        assert_accepted(&app, &app.issuer.token_builder("auth0|a").typ(typ).sign()).await;
    }
    let id_token_like = app
        .issuer
        .token_builder("auth0|a")
        .typ(Some("id+jwt"))
        .sign();
    assert_invalid_token(&app, &id_token_like, "Token type is not an access token.").await;
}

#[tokio::test]
async fn a_token_without_kid_is_rejected() {
    let app = spawn_app().await;
    let token = app.issuer.token_builder("auth0|a").kid(None).sign();
    assert_invalid_token(&app, &token, "Token header has no kid.").await;
}

#[tokio::test]
async fn public_routes_ignore_the_authorization_header() {
    let app = spawn_app().await;
    for value in ["Bearer garbage!!", "Bearer a.b.c", "Basic xyz"] {
        let response = app
            .get("/api/public")
            .header("Authorization", value)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{value}");
    }
    let response = app
        .get("/api/public")
        .header("Authorization", "Bearer a")
        .header("Authorization", "Bearer b")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(app.issuer.fetches(), 0, "public routes never need the JWKS");
}

#[tokio::test]
async fn a_missing_scope_is_403_insufficient_scope() {
    let app = spawn_app().await;
    let token = app.issuer.token("auth0|a");
    let response = app
        .get_as("/api/private-scoped", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        challenge(&response),
        r#"Bearer realm="api", error="insufficient_scope", scope="read:messages", DPoP algs="ES256""#
    );
    assert_eq!(
        status_and_json(response).await,
        (
            403,
            json!({"message": "You don't have access to this resource"})
        )
    );
}

#[tokio::test]
async fn scopes_come_from_scope_or_permissions() {
    let app = spawn_app().await;
    let builder = || app.issuer.token_builder("auth0|a");
    let granted: [Value; 3] = [
        json!({"scope": "openid read:messages profile"}),
        json!({"scope": ["read:messages"]}),
        json!({"scope": "openid", "permissions": ["read:messages"]}),
    ];
    for claims in granted {
        let mut token = builder();
        for (name, value) in claims.as_object().unwrap() {
            token = token.claim(name, value.clone());
        }
        let response = app
            .get_as("/api/private-scoped", &token.sign())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{claims}");
    }
    // Some providers send permissions as one space-separated string, like scope.
    for (permissions, status) in [
        ("write:messages", 403),
        ("write:messages read:messages", 200),
    ] {
        let token = builder()
            .claim("scope", json!("openid"))
            .claim("permissions", json!(permissions))
            .sign();
        let response = app
            .get_as("/api/private-scoped", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "permissions {permissions:?}");
    }
    let near_miss = builder()
        .claim("scope", json!("read:messages2 read"))
        .sign();
    let response = app
        .get_as("/api/private-scoped", &near_miss)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn an_unknown_kid_triggers_a_refetch_that_finds_a_rotated_key() {
    let app = spawn_app().await;
    assert_accepted(&app, &app.issuer.token("auth0|a")).await;
    assert_eq!(app.issuer.fetches(), 1);

    // The tenant rotates: key-b is published; tokens signed with it are accepted.
    app.issuer.publish(&[&KEY_A, &KEY_B]);
    let rotated = app.issuer.token_builder("auth0|a").key(&KEY_B).sign();
    assert_accepted(&app, &rotated).await;
    assert_eq!(app.issuer.fetches(), 2);
    // Known keys need no further fetch.
    assert_accepted(&app, &rotated).await;
    assert_accepted(&app, &app.issuer.token("auth0|a")).await;
    assert_eq!(app.issuer.fetches(), 2);
}

#[tokio::test]
async fn an_unknown_kid_after_refetch_is_401_and_refetches_are_rate_limited() {
    let app = spawn_app().await;
    assert_accepted(&app, &app.issuer.token("auth0|a")).await;
    let unknown = app.issuer.token_builder("auth0|a").key(&ROGUE).sign();
    assert_invalid_token(&app, &unknown, "Token signing key is unknown.").await;
    assert_eq!(app.issuer.fetches(), 2);
    // Within the cooldown, more unknown kids cause no fetch.
    for _ in 0..5 {
        assert_invalid_token(&app, &unknown, "Token signing key is unknown.").await;
    }
    assert_eq!(app.issuer.fetches(), 2);
}

#[tokio::test]
async fn concurrent_requests_with_a_new_kid_share_one_fetch() {
    let app = spawn_app().await;
    assert_accepted(&app, &app.issuer.token("auth0|a")).await;
    app.issuer.publish(&[&KEY_A, &KEY_B]);
    app.issuer.set_delay(Duration::from_millis(500));
    let token = app.issuer.token_builder("auth0|a").key(&KEY_B).sign();
    let requests = (0..100).map(|_| app.get_as("/api/private", &token).send());
    let responses = futures_util::future::join_all(requests).await;
    // All waited on the one slow fetch: every one is answered from its result.
    for response in responses {
        assert_eq!(response.unwrap().status(), 200);
    }
    assert_eq!(
        app.issuer.fetches(),
        2,
        "one initial fetch and one shared refetch"
    );
}

#[tokio::test]
async fn an_unreachable_jwks_with_no_cached_key_is_503_with_retry_after() {
    let app = spawn_app_with(&[("AUTH0_JWKS_COOLDOWN_SECS", "1")]).await;
    app.issuer.set_behaviour(JwksBehaviour::Fail);
    let token = app.issuer.token("auth0|a");
    let response = app.get_as("/api/private", &token).send().await.unwrap();
    assert_eq!(response.headers()["retry-after"], "5");
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, 503);
    assert!(body["detail"].is_string());

    // Once the issuer is back, the same process recovers within the cooldown.
    app.issuer.set_behaviour(JwksBehaviour::Serve);
    assert_eq!(
        status_within(&app, &token, 200, Duration::from_millis(1500)).await,
        200
    );
}

/// Polls `GET /api/private` with `token` until it answers `expected` or `limit` passes;
/// returns the last status.
async fn status_within(app: &TestApp, token: &str, expected: u16, limit: Duration) -> u16 {
    let deadline = std::time::Instant::now() + limit;
    loop {
        let status = app.status_of_get("/api/private", token).await;
        if status == expected || std::time::Instant::now() >= deadline {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_failing_cold_jwks_is_fetched_at_most_once_per_cooldown() {
    let cooldown_secs = 1;
    let app = spawn_app_with(&[("AUTH0_JWKS_COOLDOWN_SECS", "1")]).await;
    app.issuer.set_behaviour(JwksBehaviour::Fail);
    let token = app.issuer.token("auth0|a");
    // A 5-s outage with a client retrying every 20 ms: about 250 requests.
    let outage = Duration::from_secs(5);
    let started = std::time::Instant::now();
    let mut requests = 0;
    while started.elapsed() < outage {
        assert_eq!(app.status_of_get("/api/private", &token).await, 503);
        requests += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let most = outage.as_secs().div_ceil(cooldown_secs) as usize + 1;
    assert!(requests > 100, "only {requests} requests were sent");
    assert!(
        app.issuer.fetches() <= most,
        "{} fetches for {requests} requests in a 5-s outage, at most {most} allowed",
        app.issuer.fetches()
    );
}

#[tokio::test]
async fn keys_that_cannot_be_refreshed_past_the_max_stale_age_are_dropped() {
    let app = spawn_app_with(&[
        ("AUTH0_JWKS_CACHE_TTL_SECS", "1"),
        ("AUTH0_JWKS_MAX_STALE_SECS", "2"),
        ("AUTH0_JWKS_COOLDOWN_SECS", "1"),
    ])
    .await;
    let cached = app.issuer.token("auth0|a");
    assert_accepted(&app, &cached).await;
    assert_accepted(&app, &cached).await;

    // The issuer cannot be reached: the keys serve while stale, then are dropped, and
    // every token is refused, the one in the verified-token cache too.
    app.issuer.set_behaviour(JwksBehaviour::Fail);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_accepted(&app, &cached).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let reason = "The issuer's signing keys could not be refreshed; try again later.";
    assert_invalid_token(&app, &cached, reason).await;
    assert_invalid_token(&app, &app.issuer.token("auth0|b"), reason).await;

    // Once the JWKS answers again, tokens are accepted within the cooldown.
    app.issuer.set_behaviour(JwksBehaviour::Serve);
    assert_eq!(
        status_within(&app, &cached, 200, Duration::from_millis(1500)).await,
        200
    );
    assert_accepted(&app, &app.issuer.token("auth0|c")).await;
}

#[tokio::test]
async fn a_token_over_16_kib_is_refused_before_it_is_verified() {
    let app = spawn_app().await;
    // Validly signed, and over the limit only by its padding.
    let padded = |bytes: usize| {
        let base = app
            .issuer
            .token_builder("auth0|a")
            .claim("pad", json!(""))
            .sign();
        // Base64 makes 4 characters of 3 bytes.
        let pad = "x".repeat((bytes - base.len()) * 3 / 4 + 3);
        app.issuer
            .token_builder("auth0|a")
            .claim("pad", json!(pad))
            .sign()
    };
    let over = padded(16 * 1024 + 1);
    assert!(
        over.len() > 16 * 1024 && over.len() < 16 * 1024 + 8,
        "{}",
        over.len()
    );
    assert_invalid_token(&app, &over, "Token is too large.").await;
    assert_eq!(app.issuer.fetches(), 0, "refused before any key was needed");
    let under = padded(16 * 1024 - 8);
    assert!(under.len() <= 16 * 1024, "{}", under.len());
    assert_accepted(&app, &under).await;
}

#[tokio::test]
async fn concurrent_first_sights_of_a_token_cost_one_verification() {
    let app = spawn_app_with(&[("METRICS_ADDR", "127.0.0.1:0")]).await;
    // The first fetch is slow, so every request is in flight before any is verified.
    app.issuer.set_delay(Duration::from_millis(300));
    let token = app.issuer.token("auth0|first-sight");
    let requests = (0..20).map(|_| app.get_as("/api/private", &token).send());
    for response in futures_util::future::join_all(requests).await {
        assert_eq!(response.unwrap().status(), 200);
    }
    let page = reqwest::get(format!(
        "http://127.0.0.1:{}/metrics",
        app.metrics_port.unwrap()
    ))
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    let sample = |series: &str| {
        page.lines()
            .find_map(|line| line.strip_prefix(series)?.trim().parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no {series} in {page}"))
    };
    assert_eq!(
        sample(r#"token_cache_requests_total{result="miss"}"#),
        1.0,
        "verifications"
    );
    assert_eq!(sample(r#"token_cache_requests_total{result="hit"}"#), 19.0);
}

#[tokio::test]
async fn scopes_come_only_from_permissions_when_so_configured() {
    let app = spawn_app_with(&[("AUTH0_SCOPE_SOURCE", "permissions")]).await;
    let scoped = |claims: Value| {
        let mut token = app.issuer.token_builder("auth0|a");
        for (name, value) in claims.as_object().unwrap() {
            token = token.claim(name, value.clone());
        }
        token.sign()
    };
    // A client asked for the scope itself: no RBAC permission, no access.
    let asked = scoped(json!({"scope": "openid read:messages"}));
    assert_eq!(app.status_of_get("/api/private-scoped", &asked).await, 403);
    let granted = scoped(json!({"scope": "openid", "permissions": ["read:messages"]}));
    assert_eq!(
        app.status_of_get("/api/private-scoped", &granted).await,
        200
    );
}

#[tokio::test]
async fn public_routes_are_public_for_their_own_methods_only() {
    let app = spawn_app().await;
    for path in ["/api/public", "/healthz", "/openapi.json"] {
        assert_eq!(app.get(path).send().await.unwrap().status(), 200, "{path}");
        for method in [Method::POST, Method::PUT, Method::DELETE, Method::PATCH] {
            let response = app
                .client
                .request(method.clone(), app.url(path))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 401, "{method} {path}");
        }
    }
    for path in [
        "/api/public/",
        "/api/public/x",
        "/healthz/x",
        "/api/publicx",
    ] {
        assert_eq!(app.get(path).send().await.unwrap().status(), 401, "{path}");
    }
}

#[tokio::test]
async fn a_hanging_jwks_is_bounded_by_the_fetch_timeout() {
    let app = spawn_app_with(&[("AUTH0_JWKS_TIMEOUT_SECS", "1")]).await;
    app.issuer.set_behaviour(JwksBehaviour::Hang);
    let started = std::time::Instant::now();
    let response = app.get_private().await;
    assert_eq!(response.status(), 503);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn cached_keys_keep_serving_when_a_refresh_fails() {
    let app = spawn_app_with(&[("AUTH0_JWKS_CACHE_TTL_SECS", "1")]).await;
    let token = app.issuer.token("auth0|a");
    assert_accepted(&app, &token).await;
    app.issuer.set_behaviour(JwksBehaviour::Fail);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // The set has expired and its refresh fails: the last good keys are used.
    assert_accepted(&app, &token).await;
    assert_eq!(
        app.issuer.fetches(),
        2,
        "the expired set was refreshed once"
    );
    assert_accepted(&app, &token).await;
    assert_eq!(app.issuer.fetches(), 2, "no refetch during the cooldown");

    app.issuer.set_behaviour(JwksBehaviour::Hang);
    assert_accepted(&app, &token).await;
}

#[tokio::test]
async fn every_status_of_the_auth_table_is_json_for_every_method() {
    let app = spawn_app().await;
    for method in [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
    ] {
        let response = app
            .client
            .request(method.clone(), app.url("/api/task/1/"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{method}");
        assert_eq!(response.headers()["content-type"], "application/json");
    }
}

#[tokio::test]
async fn a_cached_token_does_not_outlive_its_signing_key() {
    let app = spawn_app_with(&[("AUTH0_JWKS_CACHE_TTL_SECS", "1")]).await;
    let token = app.issuer.token("auth0|a");
    assert_accepted(&app, &token).await;
    assert_accepted(&app, &token).await;

    // The tenant retires key-a; once the cached key set expires, tokens it signed stop working.
    app.issuer.publish(&[&KEY_B]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_invalid_token(&app, &token, "Token signing key is unknown.").await;
    assert_accepted(
        &app,
        &app.issuer.token_builder("auth0|a").key(&KEY_B).sign(),
    )
    .await;
}

#[tokio::test]
async fn a_cached_token_still_expires() {
    let app = spawn_app_with(&[("AUTH0_LEEWAY_SECS", "0")]).await;
    let token = app
        .issuer
        .token_builder("auth0|a")
        .claim("exp", json!(now() + 2))
        .sign();
    assert_accepted(&app, &token).await;
    // exp is in whole seconds and a token is valid through its exp second.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_invalid_token(&app, &token, "Token has expired.").await;
}
