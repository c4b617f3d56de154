//! Test fixtures: a local issuer (RSA keys, JWKS over HTTP, token minting), a fresh
//! database per test and the application spawned on a random port.

use std::collections::HashMap;
use std::io::Read;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::{web, App, HttpResponse, HttpServer};
use env_settings::Env;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Map, Value};
use sqlx::{Connection, Executor, PgConnection, PgPool};
use todo_api::configuration::Settings;
use todo_api::startup::Application;

pub const AUDIENCE: &str = "https://todo-api.test";

/// An RSA key of the test fixtures (`crates/actix-auth0/tests/fixtures`).
pub struct TestKey {
    pub kid: &'static str,
    pub encoding: EncodingKey,
    pub jwk: Value,
}

fn load_key(kid: &'static str) -> TestKey {
    // The workspace's test keys live with the Auth0 layer's tests.
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/actix-auth0/tests/fixtures"
    );
    let pem = std::fs::read(format!("{dir}/{kid}.pem")).expect("fixture key");
    let jwk = std::fs::read(format!("{dir}/{kid}.jwk.json")).expect("fixture jwk");
    TestKey {
        kid,
        encoding: EncodingKey::from_rsa_pem(&pem).expect("valid PEM"),
        jwk: serde_json::from_slice(&jwk).expect("valid JWK"),
    }
}

pub static KEY_A: LazyLock<TestKey> = LazyLock::new(|| load_key("key-a"));
pub static KEY_B: LazyLock<TestKey> = LazyLock::new(|| load_key("key-b"));
/// Never published: tokens it signs are forgeries.
pub static ROGUE: LazyLock<TestKey> = LazyLock::new(|| load_key("rogue"));

/// What the local issuer's JWKS endpoint does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JwksBehaviour {
    Serve,
    Fail,
    Hang,
}

struct IssuerState {
    document: Mutex<Value>,
    behaviour: Mutex<JwksBehaviour>,
    fetches: AtomicUsize,
    delay: Mutex<Duration>,
}

/// An Auth0 stand-in on 127.0.0.1: serves a JWKS it can rotate, fail or stall, and
/// counts how often it is fetched.
pub struct TestIssuer {
    pub base_url: String,
    state: Arc<IssuerState>,
    handle: actix_web::dev::ServerHandle,
}

impl TestIssuer {
    pub async fn start() -> Self {
        let state = Arc::new(IssuerState {
            document: Mutex::new(json!({ "keys": [KEY_A.jwk.clone()] })),
            behaviour: Mutex::new(JwksBehaviour::Serve),
            fetches: AtomicUsize::new(0),
            delay: Mutex::new(Duration::ZERO),
        });
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind issuer");
        let port = listener.local_addr().unwrap().port();
        let shared = web::Data::from(Arc::clone(&state));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .route("/.well-known/jwks.json", web::get().to(serve_jwks))
        })
        .workers(1)
        .listen(listener)
        .expect("listen issuer")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            base_url: format!("http://127.0.0.1:{port}/"),
            state,
            handle,
        }
    }

    pub fn fetches(&self) -> usize {
        self.state.fetches.load(Ordering::SeqCst)
    }

    /// Replaces the published keys.
    pub fn publish(&self, keys: &[&TestKey]) {
        self.publish_document(
            json!({ "keys": keys.iter().map(|key| key.jwk.clone()).collect::<Vec<_>>() }),
        );
    }

    pub fn publish_document(&self, document: Value) {
        *self.state.document.lock().unwrap() = document;
    }

    pub fn set_behaviour(&self, behaviour: JwksBehaviour) {
        *self.state.behaviour.lock().unwrap() = behaviour;
    }

    /// Every successful answer is delayed this long.
    pub fn set_delay(&self, delay: Duration) {
        *self.state.delay.lock().unwrap() = delay;
    }

    /// A token signed with `KEY_A` for this issuer and the test audience.
    pub fn token(&self, sub: &str) -> String {
        self.token_builder(sub).sign()
    }

    pub fn token_builder(&self, sub: &str) -> TokenBuilder {
        TokenBuilder::new(&self.base_url, sub)
    }
}

impl Drop for TestIssuer {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        tokio::spawn(async move { handle.stop(false).await });
    }
}

async fn serve_jwks(state: web::Data<IssuerState>) -> HttpResponse {
    state.fetches.fetch_add(1, Ordering::SeqCst);
    let behaviour = *state.behaviour.lock().unwrap();
    match behaviour {
        JwksBehaviour::Fail => HttpResponse::InternalServerError().body("boom"),
        JwksBehaviour::Hang => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            HttpResponse::GatewayTimeout().finish()
        }
        JwksBehaviour::Serve => {
            let delay = *state.delay.lock().unwrap();
            tokio::time::sleep(delay).await;
            let document = state.document.lock().unwrap().clone();
            HttpResponse::Ok().json(document)
        }
    }
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Builds a token claim by claim; valid for the issuer and audience unless changed.
pub struct TokenBuilder {
    header: Header,
    claims: Map<String, Value>,
    key: &'static TestKey,
}

impl TokenBuilder {
    fn new(issuer: &str, sub: &str) -> Self {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(KEY_A.kid.to_owned());
        let now = now();
        let claims = json!({
            "iss": issuer,
            "sub": sub,
            "aud": [AUDIENCE, "https://tenant.auth0.com/userinfo"],
            "iat": now,
            "exp": now + 3600,
            "scope": "openid profile",
        });
        Self {
            header,
            claims: claims.as_object().unwrap().clone(),
            key: &KEY_A,
        }
    }

    pub fn claim(mut self, name: &str, value: Value) -> Self {
        self.claims.insert(name.to_owned(), value);
        self
    }

    pub fn without(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Signs with `key` and names it in `kid`.
    pub fn key(mut self, key: &'static TestKey) -> Self {
        self.key = key;
        self.header.kid = Some(key.kid.to_owned());
        self
    }

    pub fn kid(mut self, kid: Option<&str>) -> Self {
        self.header.kid = kid.map(str::to_owned);
        self
    }

    pub fn typ(mut self, typ: Option<&str>) -> Self {
        self.header.typ = typ.map(str::to_owned);
        self
    }

    pub fn sign(self) -> String {
        jsonwebtoken::encode(&self.header, &self.claims, &self.key.encoding).expect("sign token")
    }
}

/// Encodes `header.payload.signature` by hand, for tokens jsonwebtoken refuses to make.
pub fn raw_token(header: &Value, payload: &Value, signature: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.{}",
        b64.encode(header.to_string()),
        b64.encode(payload.to_string()),
        b64.encode(signature)
    )
}

/// The database server the tests create their databases on (`DATABASE_URL` without
/// its database name). The README's test command starts one and sets it.
pub fn server_url() -> String {
    let url = std::env::var("DATABASE_URL")
        .expect("DATABASE_URL must point at a PostgreSQL server: run the tests with scripts/test");
    let mut url = url::Url::parse(&url).expect("DATABASE_URL is a URL");
    url.set_path("");
    url.to_string().trim_end_matches('/').to_owned()
}

/// A new, empty database, dropped when the value is dropped.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
}

impl TestDatabase {
    pub async fn create() -> Self {
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&format!("{}/postgres", server_url()))
            .await
            .expect("connect to the test server");
        admin
            .execute(format!(r#"CREATE DATABASE "{name}""#).as_str())
            .await
            .expect("create test database");
        let url = format!("{}/{name}", server_url());
        Self { name, url }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside async context: use a short-lived runtime on its own thread.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                if let Ok(mut admin) =
                    PgConnection::connect(&format!("{}/postgres", server_url())).await
                {
                    let _ = admin
                        .execute(
                            format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#).as_str(),
                        )
                        .await;
                }
            });
        })
        .join();
    }
}

/// The server URL of a transaction-mode pooler in front of the test server, when the
/// tests run through one (`TEST_DATABASE_POOLER_URL`; scripts/test runs them once so).
fn pooler_url() -> Option<String> {
    std::env::var("TEST_DATABASE_POOLER_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

/// Whether the apps of these tests reach the test server through a pooler.
pub fn through_pooler() -> bool {
    pooler_url().is_some()
}

/// Environment for a test app: valid for the given issuer and database; tests add or
/// replace variables. Through a pooler, requests' queries to the test server go through
/// it and migrations and LISTEN go to the server itself (a URL of a test's own proxy is
/// left alone).
pub fn base_env(issuer: &TestIssuer, database_url: &str) -> HashMap<String, String> {
    let mut vars: HashMap<String, String> = [
        ("DATABASE_URL", database_url.to_owned()),
        ("HOST", "127.0.0.1".into()),
        ("PORT", "0".into()),
        ("HTTP_WORKERS", "2".into()),
        ("AUTH0_ISSUER", issuer.base_url.clone()),
        ("AUTH0_AUDIENCE", AUDIENCE.into()),
        ("AUTH0_JWKS_TIMEOUT_SECS", "2".into()),
        ("DATABASE_CONNECT_TIMEOUT_SECS", "5".into()),
        ("CORS_ALLOWED_ORIGINS", "http://localhost:4200".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let mut pooled = url::Url::parse(database_url).expect("database URL");
    let direct = pooled.port() == url::Url::parse(&server_url()).ok().and_then(|u| u.port());
    if let Some(pooler) = pooler_url().filter(|_| direct) {
        let pooler = url::Url::parse(&pooler).expect("TEST_DATABASE_POOLER_URL is a URL");
        pooled.set_host(pooler.host_str()).expect("pooler host");
        pooled.set_port(pooler.port()).expect("pooler port");
        vars.insert("DATABASE_URL".into(), pooled.to_string());
        vars.insert("DATABASE_DIRECT_URL".into(), database_url.to_owned());
        vars.insert("DATABASE_TRANSACTION_POOLER".into(), "true".into());
    }
    vars
}

pub struct TestApp {
    pub address: String,
    pub port: u16,
    /// The metrics listener's port, when `METRICS_ADDR` was given.
    pub metrics_port: Option<u16>,
    /// A pool of the test's own, for looking at rows.
    pub db: PgPool,
    pub issuer: TestIssuer,
    pub client: reqwest::Client,
    /// Held so the database is dropped with the app.
    _database: TestDatabase,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Spawns the application with `overrides` on top of [`base_env`].
pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    let issuer = TestIssuer::start().await;
    let database = TestDatabase::create().await;
    let url = database.url.clone();
    spawn_app_on(issuer, database, &url, overrides).await
}

pub fn settings_from(vars: &HashMap<String, String>) -> Settings {
    let env = Env::from_fn(|name| vars.get(name).cloned());
    Settings::from_env(&env).expect("valid test settings")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path))
    }

    /// A request carrying `Authorization: Bearer <token>`.
    pub fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .header("Authorization", format!("Bearer {token}"))
    }

    pub fn get_as(&self, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::GET, path, token)
    }

    /// `GET /api/private` with a fresh, valid token of the test issuer's default key.
    pub async fn get_private(&self) -> reqwest::Response {
        self.get_as("/api/private", &self.issuer.token("auth0|a"))
            .send()
            .await
            .unwrap()
    }

    /// A second instance of the API on the same database and issuer, as a load balancer
    /// would have beside this one; its base URL.
    pub async fn another_instance(&self, overrides: &[(&str, &str)]) -> String {
        let mut vars = base_env(&self.issuer, &self._database.url);
        for (name, value) in overrides {
            vars.insert(name.to_string(), value.to_string());
        }
        let app = Application::build(settings_from(&vars))
            .await
            .expect("the second instance builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        address
    }

    /// The status of `GET path` with `token`.
    pub async fn status_of_get(&self, path: &str, token: &str) -> u16 {
        self.get_as(path, token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    pub async fn user_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM users")
            .fetch_one(&self.db)
            .await
            .unwrap()
    }
}

/// Status and JSON body of a response.
pub async fn status_and_json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// A TCP proxy on 127.0.0.1 in front of the database: it can add latency, cut every
/// connection through it (an outage), stall them (a database that stops answering), and
/// let traffic through again.
pub struct TcpProxy {
    pub port: u16,
    open: Arc<std::sync::atomic::AtomicBool>,
    stalled: Arc<std::sync::atomic::AtomicBool>,
    generation: Arc<tokio::sync::watch::Sender<u64>>,
}

impl TcpProxy {
    pub async fn start(target: std::net::SocketAddr) -> Self {
        Self::with_latency(target, Duration::ZERO).await
    }

    /// Delays every chunk `one_way` in each direction, so a round trip costs twice that;
    /// chunks in flight overlap, so throughput is not limited.
    pub async fn with_latency(target: std::net::SocketAddr, one_way: Duration) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let stalled = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (generation, _) = tokio::sync::watch::channel(0u64);
        let generation = Arc::new(generation);
        let (accept_open, accept_stalled, accept_generation) = (
            Arc::clone(&open),
            Arc::clone(&stalled),
            Arc::clone(&generation),
        );
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                if !accept_open.load(Ordering::SeqCst) {
                    continue; // dropped: the client sees the connection closed
                }
                let mut cut = accept_generation.subscribe();
                let stalled = Arc::clone(&accept_stalled);
                tokio::spawn(async move {
                    let Ok(outbound) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    let (from_client, to_client) = inbound.into_split();
                    let (from_server, to_server) = outbound.into_split();
                    tokio::select! {
                        _ = forward(from_client, to_server, one_way, Arc::clone(&stalled)) => {}
                        _ = forward(from_server, to_client, one_way, stalled) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Self {
            port,
            open,
            stalled,
            generation,
        }
    }

    /// Closes every open connection and refuses new ones.
    pub fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    /// Keeps every connection open but lets nothing through, old or new.
    pub fn stall(&self) {
        self.stalled.store(true, Ordering::SeqCst);
    }

    pub fn restore(&self) {
        self.stalled.store(false, Ordering::SeqCst);
        self.open.store(true, Ordering::SeqCst);
    }
}

/// Copies `from` to `to`, each chunk `delay` after it was read, holding chunks while
/// `stalled`; returns when `from` closes and everything read was written.
async fn forward(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    delay: Duration,
    stalled: Arc<std::sync::atomic::AtomicBool>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (chunks, mut pending) = tokio::sync::mpsc::unbounded_channel();
    let read = async move {
        let mut buffer = vec![0; 16 * 1024];
        while let Ok(read @ 1..) = from.read(&mut buffer).await {
            let due = tokio::time::Instant::now() + delay;
            if chunks.send((due, buffer[..read].to_vec())).is_err() {
                break;
            }
        }
    };
    let write = async move {
        while let Some((due, chunk)) = pending.recv().await {
            tokio::time::sleep_until(due).await;
            while stalled.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            if to.write_all(&chunk).await.is_err() {
                break;
            }
        }
        let _ = to.shutdown().await;
    };
    tokio::join!(read, write);
}

/// The URL of `database` reached through `proxy`.
/// `request` claiming, as any client can, to have been forwarded for `https://{host}`:
/// `X-Forwarded-Host`, `X-Forwarded-Proto` and `Forwarded`, which the API must ignore.
pub fn claiming_forwarded_host(
    request: reqwest::RequestBuilder,
    host: &str,
) -> reqwest::RequestBuilder {
    request
        .header("X-Forwarded-Host", host)
        .header("X-Forwarded-Proto", "https")
        .header("Forwarded", format!("host={host};proto=https"))
}

/// The application on a fresh database that it reaches through a [`TcpProxy`] the test
/// can cut, stall and restore; with `overrides` on top of [`base_env`].
pub async fn spawn_app_behind_proxy(overrides: &[(&str, &str)]) -> (TestApp, TcpProxy) {
    let database = TestDatabase::create().await;
    let proxy = TcpProxy::start(server_addr()).await;
    let url = via_proxy(&database, &proxy);
    let app = spawn_app_on(TestIssuer::start().await, database, &url, overrides).await;
    (app, proxy)
}

pub fn via_proxy(database: &TestDatabase, proxy: &TcpProxy) -> String {
    let mut url = url::Url::parse(&database.url).unwrap();
    url.set_host(Some("127.0.0.1")).unwrap();
    url.set_port(Some(proxy.port)).unwrap();
    url.to_string()
}

/// The address of the test database server.
pub fn server_addr() -> std::net::SocketAddr {
    let url = url::Url::parse(&server_url()).unwrap();
    let host = url.host_str().unwrap_or("127.0.0.1");
    let host = if host == "localhost" {
        "127.0.0.1"
    } else {
        host
    };
    format!("{host}:{}", url.port().unwrap_or(5432))
        .parse()
        .expect("server address")
}

/// Spawns the application for an existing database with `overrides`.
pub async fn spawn_app_on(
    issuer: TestIssuer,
    database: TestDatabase,
    database_url: &str,
    overrides: &[(&str, &str)],
) -> TestApp {
    let mut vars = base_env(&issuer, database_url);
    for (name, value) in overrides {
        vars.insert(name.to_string(), value.to_string());
    }
    let app = Application::build(settings_from(&vars))
        .await
        .expect("application builds");
    let (port, metrics_port) = (app.port(), app.metrics_port());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        metrics_port,
        db: PgPool::connect(&database.url)
            .await
            .expect("connect test pool"),
        issuer,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        _database: database,
    }
}

/// The API binary, for tests that run it as an operator does.
pub const BINARY: &str = env!("CARGO_BIN_EXE_todo-api");

/// The binary with a clean environment, run from a folder with no `.env` above it.
pub fn command(vars: &[(String, String)]) -> Command {
    let mut command = Command::new(BINARY);
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .current_dir(std::env::temp_dir())
        .envs(vars.iter().cloned());
    command
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The binary serving on a free port, its standard error collected on a thread (so a
/// chatty log level can never block it on a full pipe). Killed if dropped while running.
pub struct Service {
    child: Option<std::process::Child>,
    pub address: String,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Service {
    /// Starts the binary with `vars` on a free port and waits until it answers.
    pub async fn start(vars: &[(String, String)]) -> Self {
        Self::start_on(vars, free_port()).await
    }

    /// Starts the binary with `vars` on `port` and waits until it answers `/healthz`.
    pub async fn start_on(vars: &[(String, String)], port: u16) -> Self {
        let mut vars = vars.to_vec();
        vars.push(("PORT".into(), port.to_string()));
        let mut child = command(&vars)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut pipe = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut logs = String::new();
            let _ = pipe.read_to_string(&mut logs);
            logs
        });
        let service = Self {
            child: Some(child),
            address: format!("127.0.0.1:{port}"),
            stderr: Some(stderr),
        };
        if service.poll_until_ok("/healthz").await {
            return service;
        }
        let (_, logs) = service.kill().await;
        panic!("the service did not come up: {logs}");
    }

    /// Waits (up to 20 s) until `/readyz` answers 200.
    pub async fn wait_until_ready(&self) {
        assert!(
            self.poll_until_ok("/readyz").await,
            "{} never became ready",
            self.address
        );
    }

    async fn poll_until_ok(&self, path: &str) -> bool {
        let client = reqwest::Client::new();
        let url = format!("http://{}{path}", self.address);
        for _ in 0..200 {
            if let Ok(response) = client.get(&url).send().await {
                if response.status() == 200 {
                    return true;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let pid = self.child.as_ref().expect("running").id();
        let killed = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
    }

    /// Waits for the exit; returns the exit code and everything it logged.
    pub async fn wait(mut self) -> (Option<i32>, String) {
        let (mut child, stderr) = (self.child.take().unwrap(), self.stderr.take().unwrap());
        tokio::task::spawn_blocking(move || {
            let status = child.wait().unwrap();
            (status.code(), stderr.join().unwrap())
        })
        .await
        .unwrap()
    }

    async fn kill(mut self) -> (Option<i32>, String) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
        }
        self.wait().await
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
