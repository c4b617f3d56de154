//! The layer as a user of the crate meets it: a small protected service, a JWKS served
//! over loopback, and tokens signed with the fixture keys.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use actix_auth0::{
    require_authentication, AuthSettings, Authenticator, Claims, Principal, PublicRoutes,
    RequiredScope, ResolvePrincipal, Scoped,
};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::from_fn;
use actix_web::{test, web, App, HttpResponse, HttpServer, ResponseError};
use env_settings::Env;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

const AUDIENCE: &str = "https://api.example";

/// Handlers get the subject; `auth0|blocked` is refused with the resolver's own error.
struct Subjects;

#[derive(Debug)]
struct Blocked;

impl std::fmt::Display for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("blocked by the application")
    }
}

impl ResponseError for Blocked {
    fn status_code(&self) -> StatusCode {
        StatusCode::FORBIDDEN
    }
}

impl ResolvePrincipal for Subjects {
    type Principal = String;
    type Error = Blocked;

    async fn resolve(&self, claims: &Arc<Claims>) -> Result<String, Blocked> {
        match claims.sub.as_str() {
            "auth0|blocked" => Err(Blocked),
            sub => Ok(sub.to_owned()),
        }
    }
}

struct ReadMessages;

impl RequiredScope for ReadMessages {
    const SCOPE: &'static str = "read:messages";
}

async fn hello(user: Principal<String>) -> String {
    format!("Hello, {}!", *user)
}

async fn messages(scoped: Scoped<ReadMessages>) -> String {
    format!("messages for {}", scoped.claims.sub)
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

/// Serves `keys` as the JWKS of an issuer on 127.0.0.1; returns the issuer URL.
fn start_issuer(keys: &[&str]) -> String {
    let keys: Vec<Value> = keys
        .iter()
        .map(|kid| serde_json::from_slice(&fixture(&format!("{kid}.jwk.json"))).unwrap())
        .collect();
    let document = web::Data::new(json!({ "keys": keys }));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        App::new().app_data(document.clone()).route(
            "/.well-known/jwks.json",
            web::get().to(|document: web::Data<Value>| async move {
                HttpResponse::Ok().json(document.get_ref())
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
    format!("http://127.0.0.1:{port}/")
}

fn token(issuer: &str, kid: &str, sub: &str, extra: Value) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut claims =
        json!({"iss": issuer, "aud": AUDIENCE, "sub": sub, "iat": now, "exp": now + 600});
    claims
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().cloned().unwrap_or_default());
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    let key = EncodingKey::from_rsa_pem(&fixture(&format!("{kid}.pem"))).unwrap();
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

/// Status, `WWW-Authenticate`, `Cache-Control` and body of `GET path` with `token`.
async fn get(issuer: &str, path: &str, token: Option<&str>) -> (u16, String, String, String) {
    let env = Env::from_fn(|name| match name {
        "AUTH0_ISSUER" => Some(issuer.to_owned()),
        "AUTH0_AUDIENCE" => Some(AUDIENCE.to_owned()),
        _ => None,
    });
    let settings = AuthSettings::from_env(&env).unwrap();
    let authenticator = web::Data::new(Authenticator::new(&settings).unwrap());
    let mut public = PublicRoutes::default();
    let app = App::new().configure(|cfg| {
        public.route(cfg, Method::GET, "/health", web::to(|| async { "ok" }));
        cfg.route("/hello", web::get().to(hello))
            .route("/messages", web::get().to(messages));
    });
    let app = test::init_service(
        app.app_data(web::Data::new(public))
            .app_data(authenticator)
            .app_data(web::Data::new(Subjects))
            .wrap(from_fn(require_authentication::<Subjects>)),
    )
    .await;
    let mut request = test::TestRequest::get().uri(path);
    if let Some(token) = token {
        request = request.insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
    }
    let response = test::call_service(&app, request.to_request()).await;
    let text = |name| {
        response
            .headers()
            .get(name)
            .map(|value: &header::HeaderValue| value.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (challenge, cache) = (text(header::WWW_AUTHENTICATE), text(header::CACHE_CONTROL));
    let status = response.status().as_u16();
    let body = String::from_utf8(test::read_body(response).await.to_vec()).unwrap();
    (status, challenge, cache, body)
}

#[actix_web::test]
async fn public_routes_need_no_token_and_others_do() {
    let issuer = start_issuer(&["key-a"]);
    let (status, _, cache, body) = get(&issuer, "/health", Some("not a token")).await;
    assert_eq!((status, cache.as_str(), body.as_str()), (200, "", "ok"));

    let (status, challenge, cache, body) = get(&issuer, "/hello", None).await;
    assert_eq!(status, 401);
    // DPoP is allowed by default: both schemes are offered.
    assert_eq!(challenge, r#"Bearer realm="api", DPoP algs="ES256""#);
    assert_eq!(cache, "no-store");
    assert_eq!(
        body,
        r#"{"error_description":"Authentication credentials were not provided."}"#
    );
}

#[actix_web::test]
async fn a_valid_token_reaches_the_handler_as_the_resolved_principal() {
    let issuer = start_issuer(&["key-a"]);
    let token = token(&issuer, "key-a", "auth0|alice", json!({}));
    let (status, challenge, cache, body) = get(&issuer, "/hello", Some(&token)).await;
    assert_eq!((status, challenge.as_str()), (200, ""));
    assert_eq!(cache, "no-store");
    assert_eq!(body, "Hello, auth0|alice!");
}

#[actix_web::test]
async fn a_token_signed_with_an_unpublished_key_is_invalid() {
    let issuer = start_issuer(&["key-a"]);
    let forged = token(&issuer, "key-b", "auth0|alice", json!({}));
    let (status, challenge, _, body) = get(&issuer, "/hello", Some(&forged)).await;
    assert_eq!(status, 401);
    assert_eq!(
        challenge,
        r#"Bearer realm="api", error="invalid_token", error_description="Token signing key is unknown.", DPoP algs="ES256""#
    );
    assert_eq!(
        body,
        r#"{"error":"invalid_token","error_description":"Token signing key is unknown."}"#
    );
}

#[actix_web::test]
async fn a_scope_comes_from_scope_or_permissions() {
    let issuer = start_issuer(&["key-a"]);
    let without = token(&issuer, "key-a", "auth0|bob", json!({"scope": "openid"}));
    let (status, challenge, _, body) = get(&issuer, "/messages", Some(&without)).await;
    assert_eq!(status, 403);
    assert_eq!(
        challenge,
        r#"Bearer realm="api", error="insufficient_scope", scope="read:messages", DPoP algs="ES256""#
    );
    assert_eq!(
        body,
        r#"{"error":"insufficient_scope","error_description":"insufficient scope: read:messages"}"#
    );
    for extra in [
        json!({"scope": "openid read:messages"}),
        json!({"permissions": ["read:messages"]}),
    ] {
        let granted = token(&issuer, "key-a", "auth0|carol", extra);
        let (status, _, _, body) = get(&issuer, "/messages", Some(&granted)).await;
        assert_eq!((status, body.as_str()), (200, "messages for auth0|carol"));
    }
}

#[actix_web::test]
async fn the_resolver_refusal_is_answered_with_its_own_response() {
    let issuer = start_issuer(&["key-a"]);
    let token = token(&issuer, "key-a", "auth0|blocked", json!({}));
    let (status, _, cache, body) = get(&issuer, "/hello", Some(&token)).await;
    assert_eq!(status, 403);
    assert_eq!(cache, "no-store");
    assert_eq!(body, "blocked by the application");
}
