//! The binary as an operator runs it: exit codes, messages, signals.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::helpers::*;

#[test]
fn missing_database_url_exits_1_naming_the_variable() {
    let output = command(&[
        ("AUTH0_DOMAIN".into(), "example.auth0.com".into()),
        ("AUTH0_AUDIENCE".into(), "https://api".into()),
    ])
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "one line, got: {stderr}");
    assert!(
        stderr.contains("DATABASE_URL") && stderr.contains("not set"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_malformed_variable_exits_1_naming_it() {
    let output = command(&[
        ("DATABASE_URL".into(), "postgres://localhost/db".into()),
        ("AUTH0_DOMAIN".into(), "example.auth0.com".into()),
        ("AUTH0_AUDIENCE".into(), "https://api".into()),
        ("PORT".into(), "eighty".into()),
    ])
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("PORT"), "{stderr}");
}

#[test]
fn an_issuer_that_disagrees_with_the_domain_stops_the_start_naming_both() {
    let output = command(&[
        ("DATABASE_URL".into(), "postgres://localhost/db".into()),
        ("AUTH0_DOMAIN".into(), "example.auth0.com".into()),
        ("AUTH0_ISSUER".into(), "http://127.0.0.1:8001/".into()),
        ("AUTH0_AUDIENCE".into(), "https://api".into()),
    ])
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("AUTH0_ISSUER") && stderr.contains("AUTH0_DOMAIN"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_plain_http_issuer_is_logged_as_a_development_issuer_at_start() {
    let issuer = TestIssuer::start().await;
    let database = TestDatabase::create().await;
    let vars: Vec<(String, String)> = base_env(&issuer, &database.url).into_iter().collect();
    let service = Service::start(&vars).await;
    service.terminate();
    let (code, logs) = service.wait().await;
    assert_eq!(code, Some(0), "{logs}");
    let warning = logs
        .lines()
        .find(|line| line.contains("development issuer"))
        .unwrap_or_else(|| panic!("no warning about the issuer in {logs}"));
    assert!(warning.contains("WARN"), "{warning}");
    assert!(warning.contains(&issuer.base_url), "{warning}");
}

#[test]
fn an_unreachable_database_is_retried_then_exits_1() {
    let closed_port = free_port();
    let started = Instant::now();
    let output = command(&[
        (
            "DATABASE_URL".into(),
            format!("postgres://app:pw@127.0.0.1:{closed_port}/app"),
        ),
        ("DATABASE_CONNECT_TIMEOUT_SECS".into(), "2".into()),
        ("AUTH0_DOMAIN".into(), "example.auth0.com".into()),
        ("AUTH0_AUDIENCE".into(), "https://api".into()),
    ])
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(started.elapsed() < Duration::from_secs(20));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("not reachable yet"),
        "retries are logged: {stderr}"
    );
    assert!(stderr.contains("database unreachable"), "{stderr}");
}

/// SIGTERM while 20 requests are in flight: all complete normally, new connections are
/// refused, and the process exits 0.
#[tokio::test]
async fn sigterm_lets_in_flight_requests_finish_then_exits_0() {
    let issuer = TestIssuer::start().await;
    let database = TestDatabase::create().await;
    let vars: Vec<(String, String)> = base_env(&issuer, &database.url).into_iter().collect();
    let service = Service::start(&vars).await;
    let address = service.address.clone();

    let token = issuer.token("auth0|shutdown");
    // Warm the key set and the user row so each request below is only waiting on its body.
    let warm = reqwest::Client::new()
        .get(format!("http://{address}/api/private"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(warm.status(), 200);

    let bodies: Vec<String> = (0..20)
        .map(|n| format!(r#"{{"title":"In flight {n}","content":"c"}}"#))
        .collect();
    let mut streams: Vec<TcpStream> = bodies
        .iter()
        .map(|body| {
            let mut stream = TcpStream::connect(&address).unwrap();
            write!(
                stream,
                "POST /api/task/ HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                body.len(),
                &body[..10]
            )
            .unwrap();
            stream.flush().unwrap();
            stream
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;

    service.terminate();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        TcpStream::connect(&address).is_err(),
        "new connections are refused once shutdown has begun"
    );

    for (stream, body) in streams.iter_mut().zip(&bodies) {
        stream.write_all(&body.as_bytes()[10..]).unwrap();
    }
    for stream in &mut streams {
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    }

    let (code, _) = service.wait().await;
    assert_eq!(code, Some(0));
    let pool = sqlx::PgPool::connect(&database.url).await.unwrap();
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM tasks")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 20);
}

/// With the most verbose logging, an authenticated request (and a token in the query
/// string) leaves no trace of the token in the logs, while the request line is logged.
#[tokio::test]
async fn tokens_never_reach_the_logs() {
    let issuer = TestIssuer::start().await;
    let database = TestDatabase::create().await;
    let mut vars: Vec<(String, String)> = base_env(&issuer, &database.url).into_iter().collect();
    vars.push(("RUST_LOG".into(), "trace".into()));
    let service = Service::start(&vars).await;
    let address = service.address.clone();

    let token = issuer.token("auth0|logged");
    let client = reqwest::Client::new();
    let created = client
        .post(format!("http://{address}/api/task/"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"title": "t", "content": "c"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let bad = client
        .get(format!("http://{address}/api/private?access_token={token}"))
        .header("Authorization", format!("Bearer {token}x"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);

    service.terminate();
    let (_, logs) = service.wait().await;
    assert!(
        logs.contains("request completed") && logs.contains("/api/task/"),
        "{logs}"
    );
    let signature = token.rsplit('.').next().unwrap();
    let payload = token.split('.').nth(1).unwrap();
    for secret in [token.as_str(), signature, payload] {
        assert!(!logs.contains(secret), "a token part was logged");
    }
}
