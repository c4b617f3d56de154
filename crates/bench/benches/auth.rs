//! The authentication path alone, without HTTP: bearer extraction, token validation with
//! warm keys, and the user lookup, each per request (what the middleware does).
//!
//! Needs `DATABASE_URL` of a migrated database (scripts/bench provides one); the signing
//! keys come from an in-process dev issuer over loopback.
//!
//!   DATABASE_URL=... cargo bench -p todo-api-bench --bench auth

use std::collections::HashMap;
use std::time::Duration;

use actix_web::http::header::AUTHORIZATION;
use actix_web::test::TestRequest;
use actix_web::HttpRequest;
use criterion::{criterion_group, criterion_main, Criterion};
use std::sync::Arc;

use actix_auth0::{AuthSettings, Authenticator, ResolvePrincipal};
use dev_issuer::{DevIssuer, DevIssuerSettings};
use env_settings::Env;
use todo_api::database::{Database, DatabaseSettings};
use todo_api::users::{AuthenticatedUser, UserDirectory, UserError, UserMapping, UserSettings};

const AUDIENCE: &str = "https://todo-api";
/// The bench's own issuer, on loopback for the length of the run.
const CLIENT_SECRET: &str = "bench-client-secret-0123456789";

fn authenticator(issuer: &str, token_cache: &str) -> Authenticator {
    let vars: HashMap<&str, String> = [
        ("AUTH0_ISSUER", issuer.to_owned()),
        ("AUTH0_AUDIENCE", AUDIENCE.to_owned()),
        ("AUTH0_TOKEN_CACHE_CAPACITY", token_cache.to_owned()),
    ]
    .into();
    let env = Env::from_fn(|name| vars.get(name).cloned());
    let settings = AuthSettings::from_env(&env).expect("valid settings");
    Authenticator::new(&settings).expect("authenticator")
}

/// What the middleware does for each request: verify the token, then map its user.
async fn authenticate(
    authenticator: &Authenticator,
    users: &UserDirectory,
    request: &HttpRequest,
) -> Result<AuthenticatedUser, UserError> {
    let authenticated = authenticator
        .authenticate(request)
        .await
        .expect("valid token");
    users.resolve(&authenticated.claims).await
}

fn bench_auth(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let database_url = std::env::var("DATABASE_URL").expect("DATABASE_URL of a migrated database");
    let key_dir = std::env::temp_dir().join("todo-api-bench-issuer");
    let (issuer, request) = runtime.block_on(async {
        let issuer = DevIssuer::build(DevIssuerSettings::local(AUDIENCE, CLIENT_SECRET, key_dir))
            .expect("dev issuer");
        let url = issuer.issuer().to_owned();
        tokio::spawn(issuer.into_server());
        let token: serde_json::Value = reqwest::Client::new()
            .post(format!("{url}oauth/token"))
            .json(&serde_json::json!({
                "client_id": "dev-client", "client_secret": CLIENT_SECRET, "audience": AUDIENCE,
                "grant_type": "client_credentials", "sub": "auth0|criterion",
            }))
            .send()
            .await
            .expect("token request")
            .json()
            .await
            .expect("token response");
        let value = format!("Bearer {}", token["access_token"].as_str().expect("token"));
        let request = TestRequest::get()
            .uri("/api/private")
            .insert_header((AUTHORIZATION, value))
            .to_http_request();
        (url, request)
    });
    let database = Arc::new(
        Database::new(&DatabaseSettings {
            direct_url: database_url.clone(),
            transaction_pooler: false,
            url: database_url,
            max_connections: 1,
            migrate: false,
            acquire_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(8),
            connect_timeout: Duration::from_secs(3),
            idle_check_after: Duration::from_secs(30),
        })
        .expect("DATABASE_URL"),
    );
    let users = UserDirectory::new(
        &UserSettings {
            mapping: UserMapping::Remote,
            cache_ttl: Duration::from_secs(60),
            cache_capacity: 100_000,
        },
        database,
    );
    // The service trusts its user cache while it listens for user changes; nothing
    // changes users here.
    users.trust_cache_again();

    let cached = authenticator(&issuer, "10000");
    let uncached = authenticator(&issuer, "0");
    // Warm the key set and the user cache.
    for authenticator in [&cached, &uncached] {
        let _: AuthenticatedUser = runtime
            .block_on(authenticate(authenticator, &users, &request))
            .map_err(|err: UserError| err.to_string())
            .expect("warm-up");
    }

    let mut group = c.benchmark_group("authenticate");
    group.bench_function("warm (token and user cache hits)", |b| {
        b.to_async(&runtime)
            .iter(|| authenticate(&cached, &users, &request));
    });
    group.bench_function("RSA verify each time (user cache hit)", |b| {
        b.to_async(&runtime)
            .iter(|| authenticate(&uncached, &users, &request));
    });
    group.finish();
}

criterion_group!(benches, bench_auth);
criterion_main!(benches);
