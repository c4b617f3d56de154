//! Prometheus metrics on their own listener: what moved after some traffic.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

/// The value of the sample `name{labels}` in a Prometheus text page, if present.
fn sample(page: &str, series: &str) -> Option<f64> {
    page.lines()
        .find(|line| line.starts_with(series) && line[series.len()..].starts_with(' '))
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
}

#[tokio::test]
async fn metrics_count_requests_auth_keys_caches_and_the_pool_on_their_own_port() {
    let app = spawn_app_with(&[("METRICS_ADDR", "127.0.0.1:0")]).await;
    let metrics_port = app.metrics_port.expect("a metrics listener");
    assert_ne!(metrics_port, app.port);

    let token = app.issuer.token("auth0|metrics");
    assert_eq!(app.get("/api/private").send().await.unwrap().status(), 401);
    for _ in 0..3 {
        assert_eq!(
            app.get_as("/api/private", &token)
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    let created = app
        .request(Method::POST, "/api/task/", &token)
        .json(&json!({"title": "Measured", "content": "by Prometheus"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let id = created.json::<serde_json::Value>().await.unwrap()["id"].clone();
    let fetched = app
        .get_as(&format!("/api/task/{id}/"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.status(), 200);

    let response = reqwest::get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let page = response.text().await.unwrap();
    let at_least = |series: &str, least: f64| {
        let value = sample(&page, series).unwrap_or_else(|| panic!("no {series} in\n{page}"));
        assert!(value >= least, "{series} = {value}, expected >= {least}");
    };
    at_least(
        r#"http_requests_total{method="GET",route="/api/private",status="401"}"#,
        1.0,
    );
    at_least(
        r#"http_requests_total{method="GET",route="/api/private",status="200"}"#,
        3.0,
    );
    at_least(
        r#"http_requests_total{method="POST",route="/api/task/",status="201"}"#,
        1.0,
    );
    // By route pattern: the task's id is not a label.
    at_least(
        r#"http_requests_total{method="GET",route="/api/task/{id}/",status="200"}"#,
        1.0,
    );
    at_least(
        r#"http_request_duration_seconds_count{method="GET",route="/api/private"}"#,
        4.0,
    );
    assert!(page.contains(
        r#"http_request_duration_seconds_bucket{method="GET",route="/api/private",le="0.005"}"#
    ));
    at_least(r#"auth_failures_total{reason="missing_credentials"}"#, 1.0);
    at_least(r#"jwks_fetches_total{outcome="ok"}"#, 1.0);
    at_least("jwks_keys", 1.0);
    at_least(r#"token_cache_requests_total{result="miss"}"#, 1.0);
    at_least(r#"token_cache_requests_total{result="hit"}"#, 2.0);
    at_least("token_cache_entries", 1.0);
    at_least("user_cache_entries", 1.0);
    at_least(r#"user_cache_requests_total{result="miss"}"#, 1.0);
    at_least(r#"user_cache_requests_total{result="hit"}"#, 2.0);
    at_least("db_pool_connections", 1.0);
    assert!(
        sample(&page, "db_pool_idle_connections").is_some(),
        "{page}"
    );
    assert!(
        sample(&page, "db_pool_waiting_requests").is_some(),
        "{page}"
    );

    // Never on the public port.
    let public = app.get_as("/metrics", &token).send().await.unwrap();
    assert_eq!(public.status(), 404);
}

#[tokio::test]
async fn metrics_addr_may_not_be_the_public_port() {
    let issuer = TestIssuer::start().await;
    let mut vars = base_env(&issuer, "postgres://unused@127.0.0.1:9/unused");
    vars.insert("PORT".into(), "8123".into());
    vars.insert("METRICS_ADDR".into(), "127.0.0.1:8123".into());
    let env = env_settings::Env::from_fn(|name| vars.get(name).cloned());
    let err = todo_api::configuration::Settings::from_env(&env).unwrap_err();
    assert_eq!(err.var, "METRICS_ADDR");
}

#[tokio::test]
async fn dpop_failures_are_counted_by_reason() {
    let app = spawn_app_with(&[("METRICS_ADDR", "127.0.0.1:0")]).await;
    let key = crate::proofs::DpopKey::generate();
    let token = app
        .issuer
        .token_builder("auth0|metrics")
        .claim("cnf", json!({"jkt": key.thumbprint}))
        .sign();
    let url = app.url("/api/private");
    let send = |proof: String| {
        app.client
            .get(&url)
            .header("Authorization", format!("DPoP {token}"))
            .header("DPoP", proof)
            .send()
    };
    let proof = key.proof("GET", &url, &token).sign();
    assert_eq!(send(proof.clone()).await.unwrap().status(), 200);
    assert_eq!(send(proof).await.unwrap().status(), 400);
    let stale = key
        .proof("GET", &url, &token)
        .claim("iat", json!(now() - 3600));
    assert_eq!(send(stale.sign()).await.unwrap().status(), 400);
    let thief = crate::proofs::DpopKey::generate();
    assert_eq!(
        send(thief.proof("GET", &url, &token).sign())
            .await
            .unwrap()
            .status(),
        401
    );
    let bearer = app.get_as("/api/private", &token).send().await.unwrap();
    assert_eq!(bearer.status(), 401);

    let metrics = format!("http://127.0.0.1:{}/metrics", app.metrics_port.unwrap());
    let page = reqwest::get(metrics).await.unwrap().text().await.unwrap();
    for reason in ["dpop_replayed_proof", "dpop_invalid_proof", "dpop_binding"] {
        let series = format!(r#"auth_failures_total{{reason="{reason}"}}"#);
        let value = sample(&page, &series).unwrap_or_else(|| panic!("no {series} in\n{page}"));
        assert!(value >= 1.0, "{series} = {value}");
    }
}
