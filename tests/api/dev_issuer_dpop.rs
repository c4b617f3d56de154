//! The dev issuer's DPoP: bound tokens for machines, its discovery, nonces and refusals,
//! and the API accepting what it issues (people's bound tokens, refresh tokens and
//! `/userinfo`: dev_issuer_login).

use serde_json::{json, Value};

use crate::dev_issuer::{
    app_trusting, claims_of, discovery, key_dir, start_issuer, start_issuer_configured,
    RunningIssuer,
};
use crate::helpers::*;
use crate::proofs::DpopKey;

/// Client credentials with `proof` (if any) as the `DPoP` header.
async fn machine_token(
    issuer: &RunningIssuer,
    proof: Option<String>,
    scope: &str,
) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(format!("{}oauth/token", issuer.url))
        .json(&json!({
            "client_id": "dev-client", "client_secret": issuer.secret, "audience": AUDIENCE,
            "grant_type": "client_credentials", "scope": scope,
        }));
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    request.send().await.unwrap()
}

/// A proof for the issuer's token endpoint (no access token, so no `ath`).
fn token_proof<'k>(issuer: &RunningIssuer, key: &'k DpopKey) -> crate::proofs::Proof<'k> {
    key.proof("POST", &format!("{}oauth/token", issuer.url), "")
        .without("ath")
}

fn proof_for(issuer: &RunningIssuer, key: &DpopKey) -> String {
    token_proof(issuer, key).sign()
}

#[tokio::test]
async fn a_machine_token_with_a_proof_is_bound_and_the_api_takes_it_with_proofs() {
    let issuer = start_issuer(&key_dir()).await;
    let key = DpopKey::generate();
    let (status, body) = status_and_json(
        machine_token(&issuer, Some(proof_for(&issuer, &key)), "read:messages").await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "DPoP");
    let token = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(claims_of(&token)["cnf"], json!({"jkt": key.thumbprint}));
    // Without a proof: Bearer, as before.
    let (_, plain) = status_and_json(machine_token(&issuer, None, "").await).await;
    assert_eq!(plain["token_type"], "Bearer");
    assert_eq!(
        claims_of(plain["access_token"].as_str().unwrap())["cnf"],
        Value::Null
    );

    let app = app_trusting(&issuer).await;
    let scoped = app.url("/api/private-scoped");
    let proof = key.proof("GET", &scoped, &token).sign();
    let response = app
        .client
        .get(&scoped)
        .header("Authorization", format!("DPoP {token}"))
        .header("DPoP", proof)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        app.status_of_get("/api/private-scoped", &token).await,
        401,
        "as Bearer"
    );
}

#[tokio::test]
async fn bad_and_replayed_proofs_at_the_token_endpoint_are_invalid_dpop_proof() {
    let issuer = start_issuer(&key_dir()).await;
    let key = DpopKey::generate();
    let proof = proof_for(&issuer, &key);
    assert_eq!(
        machine_token(&issuer, Some(proof.clone()), "")
            .await
            .status(),
        200
    );
    for (case, proof) in [
        ("replayed", proof),
        (
            "htm GET",
            token_proof(&issuer, &key).claim("htm", json!("GET")).sign(),
        ),
        (
            "htu of /userinfo",
            token_proof(&issuer, &key)
                .claim("htu", json!(format!("{}userinfo", issuer.url)))
                .sign(),
        ),
        (
            "stale",
            token_proof(&issuer, &key)
                .claim("iat", json!(now() - 600))
                .sign(),
        ),
        (
            "forged",
            token_proof(&issuer, &key).sign_with(&DpopKey::generate()),
        ),
        ("garbage", "not-a-proof".to_owned()),
    ] {
        let (status, body) = status_and_json(machine_token(&issuer, Some(proof), "").await).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_dpop_proof")),
            "{case}: {body}"
        );
    }
}

#[tokio::test]
async fn the_issuer_advertises_es256_and_may_require_its_nonce() {
    let issuer =
        start_issuer_configured(&key_dir(), |settings| settings.dpop_require_nonce = true).await;
    let discovery = discovery(&issuer).await;
    assert_eq!(
        discovery["dpop_signing_alg_values_supported"],
        json!(["ES256"])
    );

    let key = DpopKey::generate();
    let response = reqwest::Client::new()
        .post(format!("{}oauth/token", issuer.url))
        .header("Origin", "http://localhost:4200")
        .header("DPoP", proof_for(&issuer, &key))
        .json(&json!({"client_id": "dev-client", "client_secret": issuer.secret, "audience": AUDIENCE, "grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    let nonce = response.headers()["dpop-nonce"]
        .to_str()
        .unwrap()
        .to_owned();
    let exposed = response.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(exposed.contains("dpop-nonce"), "{exposed}");
    let (status, body) = status_and_json(response).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("use_dpop_nonce"))
    );
    let made_up = token_proof(&issuer, &key)
        .claim("nonce", json!("made-up"))
        .sign();
    let (status, body) = status_and_json(machine_token(&issuer, Some(made_up), "").await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("use_dpop_nonce")),
        "a nonce it did not issue"
    );

    let with_nonce = token_proof(&issuer, &key)
        .claim("nonce", json!(nonce))
        .sign();
    let (status, body) = status_and_json(machine_token(&issuer, Some(with_nonce), "").await).await;
    assert_eq!(
        (status, body["token_type"].as_str()),
        (200, Some("DPoP")),
        "{body}"
    );
}
