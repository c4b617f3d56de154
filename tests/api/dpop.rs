//! DPoP (RFC 9449) end to end: bound tokens with proofs built here, in each mode, across
//! instances sharing one database, with and without server nonces.

use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::helpers::{
    claiming_forwarded_host, now, spawn_app, spawn_app_behind_proxy, spawn_app_with,
    status_and_json, TestApp,
};
use crate::proofs::{ath, DpopKey};

const PRIVATE: &str = "/api/private";

/// A token bound to `key` (`cnf.jkt`), for `sub`.
fn bound_token(app: &TestApp, sub: &str, key: &DpopKey) -> String {
    app.issuer
        .token_builder(sub)
        .claim("cnf", json!({"jkt": key.thumbprint}))
        .sign()
}

/// `method base+path` with `Authorization: <authorization>` and one `DPoP` header per proof.
async fn send(
    base: &str,
    method: Method,
    path: &str,
    authorization: &str,
    proofs: &[&str],
) -> Response {
    let mut request = reqwest::Client::new()
        .request(method, format!("{base}{path}"))
        .header("Authorization", authorization);
    for proof in proofs {
        request = request.header("DPoP", *proof);
    }
    request.send().await.unwrap()
}

/// `GET /api/private` on `base` with `Authorization: <authorization>` and these proofs.
async fn get_private(base: &str, authorization: &str, proofs: &[&str]) -> Response {
    send(base, Method::GET, PRIVATE, authorization, proofs).await
}

/// `GET path` on `base` with the DPoP scheme and a fresh valid proof.
async fn dpop_get(base: &str, path: &str, token: &str, key: &DpopKey) -> Response {
    let proof = key.proof("GET", &format!("{base}{path}"), token).sign();
    send(base, Method::GET, path, &format!("DPoP {token}"), &[&proof]).await
}

fn challenge(response: &Response) -> String {
    response
        .headers()
        .get("www-authenticate")
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// Status, challenge and body.
async fn answer(response: Response) -> (u16, String, Value) {
    let challenge = challenge(&response);
    let (status, body) = status_and_json(response).await;
    (status, challenge, body)
}

fn dpop_error(code: &str, description: &str) -> String {
    format!(
        r#"DPoP error="{code}", error_description="{description}", algs="ES256", Bearer realm="api""#
    )
}

#[tokio::test]
async fn a_bound_token_with_a_fresh_proof_is_accepted_for_reads_and_writes() {
    let app = spawn_app().await;
    let key = DpopKey::generate();
    let token = bound_token(&app, "auth0|dpop", &key);
    let response = dpop_get(&app.address, PRIVATE, &token, &key).await;
    assert_eq!(status_and_json(response).await.0, 200);

    // The scheme is case-insensitive; a write names its own method and URL.
    let url = app.url("/api/task/");
    let proof = key.proof("POST", &url, &token).sign();
    let created = reqwest::Client::new()
        .post(&url)
        .header("Authorization", format!("dpop {token}"))
        .header("DPoP", proof)
        .json(&json!({"title": "Bound", "content": "by DPoP", "due_date": "2026-12-01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    // The query is not part of htu.
    let proof = key.proof("GET", &url, &token).sign();
    let listed = send(
        &app.address,
        Method::GET,
        "/api/task/?limit=5",
        &format!("DPoP {token}"),
        &[&proof],
    )
    .await;
    let (status, tasks) = status_and_json(listed).await;
    assert_eq!((status, tasks[0]["title"].clone()), (200, json!("Bound")));
}

#[tokio::test]
async fn without_credentials_both_schemes_are_offered_and_a_bearer_error_names_bearer() {
    let app = spawn_app().await;
    let (status, challenge, body) = answer(app.get(PRIVATE).send().await.unwrap()).await;
    assert_eq!(status, 401);
    assert_eq!(challenge, r#"Bearer realm="api", DPoP algs="ES256""#);
    assert_eq!(
        body,
        json!({"detail": "Authentication credentials were not provided."})
    );

    let expired = app
        .issuer
        .token_builder("auth0|x")
        .claim("exp", json!(now() - 3600))
        .sign();
    let (status, challenge, _) = answer(app.get_as(PRIVATE, &expired).send().await.unwrap()).await;
    assert_eq!(status, 401);
    assert_eq!(
        challenge,
        r#"Bearer realm="api", error="invalid_token", error_description="Token has expired.", DPoP algs="ES256""#
    );
}

#[tokio::test]
async fn a_bad_proof_is_invalid_dpop_proof() {
    let app = spawn_app().await;
    let key = DpopKey::generate();
    let other = DpopKey::generate();
    let token = bound_token(&app, "auth0|dpop", &key);
    let url = app.url(PRIVATE);
    let mut private_jwk = key.jwk.clone();
    private_jwk["d"] = json!("c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI");
    let cases: Vec<(&str, String, &str)> = vec![
        ("not a JWT", "garbage".into(), "DPoP proof is not a JWT."),
        (
            "typ JWT",
            key.proof("GET", &url, &token)
                .header("typ", json!("JWT"))
                .sign(),
            "DPoP proof typ must be dpop+jwt.",
        ),
        (
            "alg none",
            key.proof("GET", &url, &token)
                .header("alg", json!("none"))
                .sign(),
            "DPoP proof algorithm is not accepted (ES256 is).",
        ),
        (
            "alg HS256",
            key.proof("GET", &url, &token)
                .header("alg", json!("HS256"))
                .sign(),
            "DPoP proof algorithm is not accepted (ES256 is).",
        ),
        (
            "no jwk",
            {
                let mut p = key.proof("GET", &url, &token);
                p.header.as_object_mut().unwrap().remove("jwk");
                p.sign()
            },
            "DPoP proof has no jwk.",
        ),
        (
            "a private jwk",
            key.proof("GET", &url, &token)
                .header("jwk", private_jwk)
                .sign(),
            "DPoP proof jwk must be a public key.",
        ),
        (
            "signed by another key",
            key.proof("GET", &url, &token).sign_with(&other),
            "DPoP proof signature is invalid.",
        ),
        (
            "htm POST",
            key.proof("POST", &url, &token).sign(),
            "DPoP proof htm does not match the request method.",
        ),
        (
            "htu of another path",
            key.proof("GET", &app.url("/api/public"), &token).sign(),
            "DPoP proof htu does not match the request URL.",
        ),
        (
            "htu with a trailing slash",
            key.proof("GET", &format!("{url}/"), &token).sign(),
            "DPoP proof htu does not match the request URL.",
        ),
        (
            "htu of another host",
            key.proof("GET", &url.replace("127.0.0.1", "localhost"), &token)
                .sign(),
            "DPoP proof htu does not match the request URL.",
        ),
        (
            "htu https",
            key.proof("GET", &url.replace("http:", "https:"), &token)
                .sign(),
            "DPoP proof htu does not match the request URL.",
        ),
        (
            "iat 301 s old",
            key.proof("GET", &url, &token)
                .claim("iat", json!(now() - 301))
                .sign(),
            "DPoP proof iat is outside the acceptable range.",
        ),
        // The proofs are signed up front and sent one by one: 40 s rather than 31 keeps it
        // past the 30-s leeway however long the cases before it take.
        (
            "iat 40 s ahead",
            key.proof("GET", &url, &token)
                .claim("iat", json!(now() + 40))
                .sign(),
            "DPoP proof iat is outside the acceptable range.",
        ),
        (
            "iat a string",
            key.proof("GET", &url, &token)
                .claim("iat", json!(now().to_string()))
                .sign(),
            "DPoP proof claims are malformed.",
        ),
        (
            "no jti",
            key.proof("GET", &url, &token).without("jti").sign(),
            "DPoP proof has no jti.",
        ),
        (
            "a jti of 513 characters",
            key.proof("GET", &url, &token)
                .claim("jti", json!("j".repeat(513)))
                .sign(),
            "DPoP proof jti is too long.",
        ),
        (
            "no ath",
            key.proof("GET", &url, &token).without("ath").sign(),
            "DPoP proof has no ath.",
        ),
        (
            "ath of another token",
            key.proof("GET", &url, &token)
                .claim("ath", json!(ath("another")))
                .sign(),
            "DPoP proof ath does not match the access token.",
        ),
    ];
    for (case, proof, description) in cases {
        let response = get_private(&app.address, &format!("DPoP {token}"), &[&proof]).await;
        let (status, challenge, body) = answer(response).await;
        assert_eq!(status, 400, "{case}");
        assert_eq!(
            challenge,
            dpop_error("invalid_dpop_proof", description),
            "{case}"
        );
        assert_eq!(body, json!({"detail": description}), "{case}");
    }
    // The edges that are still good: iat 299 s old and 29 s ahead, a jti of 512.
    for proof in [
        key.proof("GET", &url, &token)
            .claim("iat", json!(now() - 295))
            .sign(),
        key.proof("GET", &url, &token)
            .claim("iat", json!(now() + 25))
            .sign(),
        key.proof("GET", &url, &token)
            .claim("jti", json!("k".repeat(512)))
            .sign(),
        key.proof(
            "GET",
            &url.replace("http://127.0.0.1", "HTTP://127.0.0.1"),
            &token,
        )
        .sign(),
    ] {
        let response = get_private(&app.address, &format!("DPoP {token}"), &[&proof]).await;
        assert_eq!(response.status(), 200);
    }
}

#[tokio::test]
async fn a_proof_by_another_key_or_an_unbound_dpop_token_is_invalid_token() {
    let app = spawn_app().await;
    let (key, thief) = (DpopKey::generate(), DpopKey::generate());
    let token = bound_token(&app, "auth0|dpop", &key);
    let (status, challenge, _) =
        answer(dpop_get(&app.address, PRIVATE, &token, &thief).await).await;
    assert_eq!(status, 401);
    assert_eq!(
        challenge,
        dpop_error(
            "invalid_token",
            "DPoP proof was signed by another key than the token is bound to."
        )
    );
    let unbound = app.issuer.token("auth0|plain");
    let (status, challenge, _) =
        answer(dpop_get(&app.address, PRIVATE, &unbound, &key).await).await;
    assert_eq!(status, 401);
    assert_eq!(
        challenge,
        dpop_error(
            "invalid_token",
            "Token is not bound to a key (no cnf.jkt); send it with the Bearer scheme."
        )
    );
}

#[tokio::test]
async fn a_bound_token_as_bearer_is_refused_and_scheme_and_proof_must_agree() {
    let app = spawn_app().await;
    let key = DpopKey::generate();
    let token = bound_token(&app, "auth0|dpop", &key);
    let (status, challenge, body) = answer(app.get_as(PRIVATE, &token).send().await.unwrap()).await;
    assert_eq!(status, 401);
    let description = "This token is bound to a key: send it with the DPoP scheme and a proof.";
    assert_eq!(
        challenge,
        format!(
            r#"Bearer realm="api", error="invalid_token", error_description="{description}", DPoP algs="ES256""#
        )
    );
    assert_eq!(body, json!({"detail": description}));

    // A plain token with a stray proof.
    let plain = app.issuer.token("auth0|plain");
    let proof = key.proof("GET", &app.url(PRIVATE), &plain).sign();
    let (status, challenge, _) =
        answer(get_private(&app.address, &format!("Bearer {plain}"), &[&proof]).await).await;
    assert_eq!(status, 400);
    assert!(
        challenge.starts_with(r#"Bearer realm="api", error="invalid_request""#),
        "{challenge}"
    );

    // The DPoP scheme with no proof, or two.
    let (one, two) = (
        key.proof("GET", &app.url(PRIVATE), &token).sign(),
        key.proof("GET", &app.url(PRIVATE), &token).sign(),
    );
    for proofs in [vec![], vec![one.as_str(), two.as_str()]] {
        let response = get_private(&app.address, &format!("DPoP {token}"), &proofs).await;
        let (status, challenge, _) = answer(response).await;
        assert_eq!(status, 400, "{} proofs", proofs.len());
        assert_eq!(
            challenge,
            dpop_error(
                "invalid_request",
                "The DPoP scheme needs exactly one DPoP proof header."
            )
        );
    }
}

#[tokio::test]
async fn a_replayed_proof_is_refused_by_this_instance_and_by_another() {
    let app = spawn_app().await;
    let other = app.another_instance(&[]).await;
    let key = DpopKey::generate();
    let token = bound_token(&app, "auth0|dpop", &key);
    let authorization = format!("DPoP {token}");
    let replay_error = dpop_error("invalid_dpop_proof", "DPoP proof has already been used.");

    let proof = key.proof("GET", &app.url(PRIVATE), &token).sign();
    let first = get_private(&app.address, &authorization, &[&proof]).await;
    assert_eq!(first.status(), 200);
    let (status, challenge, _) =
        answer(get_private(&app.address, &authorization, &[&proof]).await).await;
    assert_eq!((status, challenge.as_str()), (400, replay_error.as_str()));

    // Another instance behind the same public URL (htu names the URL the client called:
    // both instances are reached as the first one's address here through PUBLIC_URL).
    let shared = app.another_instance(&[("PUBLIC_URL", &app.address)]).await;
    let proof = key.proof("GET", &app.url(PRIVATE), &token).sign();
    assert_eq!(
        get_private(&app.address, &authorization, &[&proof])
            .await
            .status(),
        200
    );
    let (status, challenge, _) =
        answer(get_private(&shared, &authorization, &[&proof]).await).await;
    assert_eq!((status, challenge.as_str()), (400, replay_error.as_str()));
    // A fresh proof for the other instance's own URL is fine there.
    assert_eq!(dpop_get(&other, PRIVATE, &token, &key).await.status(), 200);

    // What is kept: a 32-byte hash per accepted proof, never the proof.
    let rows: Vec<(Vec<u8>,)> = sqlx::query_as("SELECT id FROM dpop_seen_proofs")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|(id,)| id.len() == 32));
}

#[tokio::test]
async fn required_mode_takes_only_dpop_and_challenges_only_with_dpop() {
    let app = spawn_app_with(&[("AUTH0_DPOP_MODE", "required")]).await;
    let (status, challenge, _) = answer(app.get(PRIVATE).send().await.unwrap()).await;
    assert_eq!((status, challenge.as_str()), (401, r#"DPoP algs="ES256""#));
    let plain = app.issuer.token("auth0|plain");
    let (status, challenge, body) = answer(app.get_as(PRIVATE, &plain).send().await.unwrap()).await;
    assert_eq!((status, challenge.as_str()), (401, r#"DPoP algs="ES256""#));
    assert_eq!(
        body,
        json!({"detail": "This API accepts only DPoP-bound tokens: send Authorization: DPoP with a DPoP proof."})
    );
    let key = DpopKey::generate();
    let token = bound_token(&app, "auth0|dpop", &key);
    assert_eq!(
        dpop_get(&app.address, PRIVATE, &token, &key).await.status(),
        200
    );
    let (status, challenge, _) =
        answer(dpop_get(&app.address, PRIVATE, &token, &DpopKey::generate()).await).await;
    assert_eq!(status, 401);
    assert!(
        challenge.starts_with(r#"DPoP error="invalid_token""#) && !challenge.contains("Bearer"),
        "{challenge}"
    );
    // A missing scope is answered on the DPoP challenge too.
    let (status, challenge, _) =
        answer(dpop_get(&app.address, "/api/private-scoped", &token, &key).await).await;
    assert_eq!(status, 403);
    assert_eq!(
        challenge,
        r#"DPoP error="insufficient_scope", scope="read:messages", algs="ES256""#
    );
}

#[tokio::test]
async fn disabled_mode_is_bearer_only_and_ignores_cnf_and_proofs() {
    let app = spawn_app_with(&[("AUTH0_DPOP_MODE", "disabled")]).await;
    let (status, challenge, _) = answer(app.get(PRIVATE).send().await.unwrap()).await;
    assert_eq!((status, challenge.as_str()), (401, r#"Bearer realm="api""#));
    let key = DpopKey::generate();
    let token = bound_token(&app, "auth0|dpop", &key);
    let (status, challenge, _) = answer(dpop_get(&app.address, PRIVATE, &token, &key).await).await;
    assert_eq!((status, challenge.as_str()), (401, r#"Bearer realm="api""#));
    assert_eq!(app.status_of_get(PRIVATE, &token).await, 200);
    let proof = key.proof("GET", &app.url(PRIVATE), &token).sign();
    let stray = get_private(&app.address, &format!("Bearer {token}"), &[&proof]).await;
    assert_eq!(stray.status(), 200);
}

#[tokio::test]
async fn nonce_mode_demands_a_nonce_any_instance_issued() {
    let app = spawn_app_with(&[("AUTH0_DPOP_REQUIRE_NONCE", "true")]).await;
    let other = app
        .another_instance(&[
            ("AUTH0_DPOP_REQUIRE_NONCE", "true"),
            ("PUBLIC_URL", &app.address),
        ])
        .await;
    let key = DpopKey::generate();
    let token = bound_token(&app, "auth0|dpop", &key);
    let authorization = format!("DPoP {token}");
    let url = app.url(PRIVATE);
    let description = "DPoP proof must carry the server's current nonce (DPoP-Nonce).";
    let mut nonce = None;
    for proof in [
        key.proof("GET", &url, &token).sign(),
        key.proof("GET", &url, &token)
            .claim("nonce", json!("made-up"))
            .sign(),
    ] {
        let response = get_private(&app.address, &authorization, &[&proof]).await;
        let issued = response
            .headers()
            .get("dpop-nonce")
            .map(|v| v.to_str().unwrap().to_owned());
        let (status, challenge, body) = answer(response).await;
        assert_eq!(status, 401);
        assert_eq!(challenge, dpop_error("use_dpop_nonce", description));
        assert_eq!(body, json!({"detail": description}));
        nonce = Some(issued.expect("a DPoP-Nonce to retry with"));
    }
    let nonce = nonce.unwrap();
    // The retry with the nonce passes, here and at the other instance.
    for base in [&app.address, &other] {
        let proof = key
            .proof("GET", &url, &token)
            .claim("nonce", json!(nonce))
            .sign();
        let response = get_private(base, &authorization, &[&proof]).await;
        assert_eq!(response.status(), 200, "{base}");
    }
    // A nonce signed with another key (another deployment's) is refused.
    let stranger = spawn_app_with(&[("AUTH0_DPOP_REQUIRE_NONCE", "true")]).await;
    let foreign = {
        let token = bound_token(&stranger, "auth0|dpop", &key);
        let proof = key.proof("GET", &stranger.url(PRIVATE), &token).sign();
        let response = get_private(&stranger.address, &format!("DPoP {token}"), &[&proof]).await;
        response.headers()["dpop-nonce"]
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_ne!(foreign, nonce);
    let proof = key
        .proof("GET", &url, &token)
        .claim("nonce", json!(foreign))
        .sign();
    assert_eq!(
        get_private(&app.address, &authorization, &[&proof])
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn proofs_name_the_public_url_and_forwarded_headers_are_not_trusted() {
    let app = spawn_app_with(&[("PUBLIC_URL", "https://api.example.com/")]).await;
    let key = DpopKey::generate();
    let token = bound_token(&app, "auth0|dpop", &key);
    let authorization = format!("DPoP {token}");
    let public = key
        .proof("GET", "https://API.example.com:443/api/private", &token)
        .sign();
    assert_eq!(
        get_private(&app.address, &authorization, &[&public])
            .await
            .status(),
        200
    );
    let direct = key.proof("GET", &app.url(PRIVATE), &token).sign();
    assert_eq!(
        get_private(&app.address, &authorization, &[&direct])
            .await
            .status(),
        400
    );

    // Without PUBLIC_URL, the request's Host counts and X-Forwarded-* do not.
    let app = spawn_app().await;
    let token = bound_token(&app, "auth0|dpop", &key);
    for forged_url in [
        "https://evil.example/api/private",
        "http://evil.example/api/private",
    ] {
        let forged = key.proof("GET", forged_url, &token).sign();
        let request = app
            .client
            .get(app.url(PRIVATE))
            .header("Authorization", format!("DPoP {token}"))
            .header("DPoP", forged);
        let response = claiming_forwarded_host(request, "evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{forged_url}");
    }
}

#[tokio::test]
async fn proofs_are_refused_503_while_the_seen_proofs_cannot_be_checked() {
    let (app, proxy) = spawn_app_behind_proxy(&[("DATABASE_ACQUIRE_TIMEOUT_SECS", "2")]).await;
    let key = DpopKey::generate();
    let token = bound_token(&app, "auth0|dpop", &key);
    // The user is cached by the first request: what fails next is the replay check.
    assert_eq!(
        dpop_get(&app.address, PRIVATE, &token, &key).await.status(),
        200
    );

    proxy.cut();
    let response = dpop_get(&app.address, PRIVATE, &token, &key).await;
    let retry_after = response.headers().get("retry-after").cloned();
    let (status, challenge, body) = answer(response).await;
    assert_eq!((status, challenge.as_str()), (503, ""));
    assert_eq!(retry_after.unwrap(), "5");
    assert_eq!(
        body,
        json!({"detail": "DPoP proofs cannot be checked right now; try again shortly."})
    );
    proxy.restore();
    let mut status = 503;
    for _ in 0..50 {
        status = dpop_get(&app.address, PRIVATE, &token, &key)
            .await
            .status()
            .as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200, "accepted again once the database is back");
}
