//! The binary as an operator runs it: exit codes, messages, signals.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::*;

const BINARY: &str = env!("CARGO_BIN_EXE_todo-api");

/// The binary with a clean environment, run from a folder with no `.env` above it.
fn command(vars: &[(String, String)]) -> Command {
    let mut command = Command::new(BINARY);
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .current_dir(std::env::temp_dir())
        .envs(vars.iter().cloned());
    command
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

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

/// SIGTERM while a request is in flight: it completes normally, new connections are
/// refused, and the process exits 0.
#[tokio::test]
async fn sigterm_lets_in_flight_requests_finish_then_exits_0() {
    let issuer = TestIssuer::start().await;
    let database = TestDatabase::create().await;
    let port = free_port();
    let mut vars: Vec<(String, String)> = base_env(&issuer, &database.url).into_iter().collect();
    vars.push(("PORT".into(), port.to_string()));
    let mut child = command(&vars)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    let address = format!("127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if client
            .get(format!("http://{address}/healthz"))
            .send()
            .await
            .is_ok()
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "the service did not come up");

    let token = issuer.token("auth0|shutdown");
    let body = r#"{"title":"Finish me","content":"in flight"}"#;
    let (head, tail) = body.split_at(10);
    let mut stream = TcpStream::connect(&address).unwrap();
    write!(
        stream,
        "POST /api/task/ HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}",
        body.len()
    )
    .unwrap();
    stream.flush().unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        TcpStream::connect(&address).is_err(),
        "new connections are refused once shutdown has begun"
    );

    stream.write_all(tail.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");

    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let pool = sqlx::PgPool::connect(&database.url).await.unwrap();
    let titles: Vec<String> = sqlx::query_scalar("SELECT title FROM tasks")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(titles, ["Finish me"]);
}
