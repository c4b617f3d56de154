//! Hostile input: oversized headers and tokens, odd key sets, slow clients. Each gets a
//! 4xx or is handled; never a 500, a crash or a hang.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::*;

/// On a new connection: the one that carried the hostile request may have been reset.
async fn assert_still_serving(app: &TestApp) {
    let response = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(response.status(), 200);
}

/// A 4xx, or a connection the server closed on this request while it goes on serving
/// others: both refuse the input. A crash (no server to answer afterwards), a refused
/// connection, a timeout or a 5xx is not a refusal.
async fn assert_refused(
    app: &TestApp,
    response: Result<reqwest::Response, reqwest::Error>,
    what: &str,
) {
    match response {
        Ok(response) => {
            let status = response.status().as_u16();
            assert!((400..500).contains(&status), "{what}: got {status}");
        }
        Err(error) => {
            assert!(
                !error.is_connect() && !error.is_timeout(),
                "{what}: not a refusal but {error:?}"
            );
            let health = reqwest::get(app.url("/healthz")).await;
            assert!(
                health.is_ok_and(|answer| answer.status() == 200),
                "{what}: the connection was cut and the server no longer answers: {error:?}"
            );
        }
    }
}

#[tokio::test]
async fn oversized_headers_and_tokens_are_refused() {
    let app = spawn_app().await;
    let huge = "a".repeat(64 * 1024);
    let response = app
        .get("/api/private")
        .header("Authorization", format!("Bearer {huge}"))
        .send()
        .await;
    assert_refused(&app, response, "64 KiB Authorization header").await;
    assert_still_serving(&app).await;

    let mut request = app.get("/api/private");
    for n in 0..10_000 {
        request = request.header(format!("x-h{n}"), "v");
    }
    assert_refused(&app, request.send().await, "10,000 headers").await;
    assert_still_serving(&app).await;

    let fat = app
        .issuer
        .token_builder("auth0|a")
        .claim("pad", json!("x".repeat(1024 * 1024)))
        .sign();
    assert_refused(
        &app,
        app.get_as("/api/private", &fat).send().await,
        "1 MB JWT",
    )
    .await;
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_jwks_with_a_thousand_keys_still_verifies() {
    let app = spawn_app().await;
    let mut keys: Vec<Value> = (0..999)
        .map(|n| {
            let mut key = KEY_B.jwk.clone();
            key["kid"] = json!(format!("rotated-{n}"));
            key
        })
        .collect();
    keys.push(KEY_A.jwk.clone());
    app.issuer.publish_document(json!({ "keys": keys }));
    let response = app.get_private().await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_jwks_key_with_a_16384_bit_modulus_is_refused_not_fatal() {
    use base64::Engine;
    let app = spawn_app().await;
    let modulus: Vec<u8> = (0..2048).map(|n| (n * 7 + 1) as u8 | 0x80).collect();
    let mut giant = KEY_A.jwk.clone();
    giant["n"] = json!(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(modulus));
    app.issuer.publish_document(json!({ "keys": [giant] }));
    let response = app.get_private().await;
    assert_eq!(response.status(), 401);
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_malformed_jwks_is_503_not_500() {
    for document in [
        json!({"keys": "nope"}),
        json!([1, 2, 3]),
        json!({"keys": [{"kty": "RSA", "kid": "key-a", "n": "!!", "e": "AQAB"}]}),
    ] {
        let app = spawn_app().await;
        app.issuer.publish_document(document.clone());
        let response = app.get_private().await;
        assert_eq!(response.status(), 503, "{document}");
    }
}

#[tokio::test]
async fn a_slow_client_is_disconnected() {
    let app = spawn_app().await;
    let mut stream = TcpStream::connect(("127.0.0.1", app.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    // Blocking read in a blocking task: returns when the server gives up on us.
    let outcome =
        tokio::task::spawn_blocking(move || stream.read_to_end(&mut answer).map(|_| answer))
            .await
            .unwrap();
    let elapsed = started.elapsed();
    assert!(
        outcome.is_ok(),
        "the server closed the connection: {outcome:?}"
    );
    assert!(
        elapsed < Duration::from_secs(10),
        "closed after {elapsed:?}"
    );
    let answer = String::from_utf8_lossy(&outcome.unwrap()).into_owned();
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn security_headers_are_on_every_response() {
    let app = spawn_app().await;
    let token = app.issuer.token("auth0|a");
    let public = app.get("/api/public").send().await.unwrap();
    let private = app.get_as("/api/private", &token).send().await.unwrap();
    let denied = app.get("/api/task/").send().await.unwrap();
    let missing = app.get_as("/nowhere", &token).send().await.unwrap();
    for response in [&public, &private, &denied, &missing] {
        assert_eq!(
            response.headers()["x-content-type-options"],
            "nosniff",
            "{}",
            response.url()
        );
    }
    for response in [&private, &denied, &missing] {
        assert_eq!(
            response.headers()["cache-control"],
            "no-store",
            "{}",
            response.url()
        );
    }
}
