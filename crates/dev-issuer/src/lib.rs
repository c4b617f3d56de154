//! A stand-in for an Auth0 tenant, for local development and tests only (the `dev-issuer`
//! binary). It serves a JWKS, an OpenID discovery document and Auth0's
//! client-credentials token endpoint, and signs RS256 access tokens shaped like Auth0's.
//!
//! The API has no built-in bypass: it trusts these tokens only because its
//! `AUTH0_ISSUER` points here. It is its own crate so that the API's release binary and
//! image never contain a token minter.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::dev::Server;
use actix_web::http::{header, StatusCode};
use actix_web::{web, App, HttpResponse, HttpServer};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs8::der::zeroize::Zeroizing;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use serde::Deserialize;
use serde_json::{json, Value};
use url::Url;

use actix_auth0::{audience_from_env, ConfigError, Env};

/// RSA modulus size, as Auth0 uses.
const KEY_BITS: usize = 2048;
const KEY_FILE: &str = "signing-key.pem";

#[derive(Clone, Debug)]
pub struct DevIssuerSettings {
    /// Where to listen; loopback unless explicitly widened (a compose network).
    pub bind: SocketAddr,
    /// The `iss` of its tokens; `None` derives `http://<bind>/` once bound.
    pub issuer: Option<String>,
    pub audience: String,
    pub client_id: String,
    pub client_secret: String,
    /// Folder of the persisted signing key.
    pub key_dir: PathBuf,
    pub token_ttl_secs: u64,
}

impl DevIssuerSettings {
    /// Reads the same `AUTH0_ISSUER` and `AUTH0_AUDIENCE` the API does, so one `.env`
    /// configures both, plus `DEV_ISSUER_*`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let issuer = env.optional("AUTH0_ISSUER");
        let issuer_url = match &issuer {
            Some(issuer) => Some(Url::parse(issuer).map_err(|err| {
                ConfigError::new("AUTH0_ISSUER", format!("not a valid URL: {err}"))
            })?),
            None => None,
        };
        let default_port = issuer_url
            .as_ref()
            .and_then(Url::port_or_known_default)
            .unwrap_or(8001);
        let bind = env.parsed(
            "DEV_ISSUER_BIND",
            SocketAddr::from(([127, 0, 0, 1], default_port)),
        )?;
        let audience = audience_from_env(env)?;
        Ok(Self {
            bind,
            issuer,
            audience,
            client_id: env
                .optional("DEV_ISSUER_CLIENT_ID")
                .unwrap_or_else(|| "dev-client".into()),
            client_secret: env
                .optional("DEV_ISSUER_CLIENT_SECRET")
                .unwrap_or_else(|| "dev-secret".into()),
            key_dir: env
                .optional("DEV_ISSUER_KEY_DIR")
                .unwrap_or_else(|| ".local/dev-issuer".into())
                .into(),
            token_ttl_secs: env.at_least("DEV_ISSUER_TOKEN_TTL_SECS", 86_400, 1)?,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DevIssuerError {
    #[error("signing key in {path}: {reason}")]
    Key { path: PathBuf, reason: String },
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
}

/// The RSA key tokens are signed with, and its public JWK.
pub struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    jwk: Value,
}

impl SigningKey {
    /// Loads `dir/signing-key.pem`, generating and saving it on first use so tokens
    /// stay valid across restarts.
    pub fn load_or_generate(dir: &Path) -> Result<Self, DevIssuerError> {
        let path = dir.join(KEY_FILE);
        let failed = |reason: String| DevIssuerError::Key {
            path: path.clone(),
            reason,
        };
        let (key, pem) = match std::fs::read_to_string(&path) {
            Ok(pem) => {
                let key =
                    rsa::PrivateKey::from_pkcs8_pem(&pem).map_err(|err| failed(err.to_string()))?;
                (key, Zeroizing::new(pem))
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                tracing::info!(path = %path.display(), "generating the dev issuer's signing key");
                let key = rsa::PrivateKey::new(&mut getrandom::SysRng, KEY_BITS)
                    .map_err(|err| failed(err.to_string()))?;
                let pem = key
                    .to_pkcs8_pem(LineEnding::LF)
                    .map_err(|err| failed(err.to_string()))?;
                write_private(&path, pem.as_bytes()).map_err(|err| failed(err.to_string()))?;
                (key, pem)
            }
            Err(err) => return Err(failed(err.to_string())),
        };
        let encoding =
            EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|err| failed(err.to_string()))?;
        let b64 = |bytes: &[u8]| {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        };
        let n = b64(&key.n_bytes());
        // A stable kid derived from the modulus, like a JWK thumbprint.
        let kid = b64(&ring::digest::digest(&ring::digest::SHA256, n.as_bytes()).as_ref()[..16]);
        let jwk = json!({
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
            "n": n, "e": b64(&key.e_bytes()),
        });
        Ok(Self { kid, encoding, jwk })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }
}

fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(&mut options.open(path)?, contents)
}

struct IssuerState {
    settings: DevIssuerSettings,
    issuer: String,
    key: SigningKey,
}

pub struct DevIssuer {
    issuer: String,
    server: Server,
}

impl DevIssuer {
    pub fn build(settings: DevIssuerSettings) -> Result<Self, DevIssuerError> {
        let key = SigningKey::load_or_generate(&settings.key_dir)?;
        let listener = TcpListener::bind(settings.bind)
            .map_err(|err| DevIssuerError::Bind(settings.bind, err))?;
        let bound = listener
            .local_addr()
            .map_err(|err| DevIssuerError::Bind(settings.bind, err))?;
        let issuer = settings
            .issuer
            .clone()
            .unwrap_or_else(|| format!("http://{bound}/"));
        if !bound.ip().is_loopback() {
            tracing::warn!(%bound, "the dev issuer listens beyond loopback: keep it on a private (compose) network");
        }
        tracing::warn!(
            %issuer,
            kid = key.kid(),
            client_id = %settings.client_id,
            "DEVELOPMENT ONLY: this issuer hands out tokens to anyone who knows the dev client secret"
        );
        let state = web::Data::new(IssuerState {
            settings,
            issuer: issuer.clone(),
            key,
        });
        let server = HttpServer::new(move || {
            // Browsers call /oauth/token from the app's origin; any origin will do for a
            // development-only issuer.
            let cors = actix_cors::Cors::default()
                .allow_any_origin()
                .allowed_methods(["GET", "POST"])
                .allow_any_header()
                .max_age(3600);
            App::new()
                .wrap(cors)
                .app_data(state.clone())
                .app_data(web::JsonConfig::default().error_handler(|err, _| {
                    oauth_error(StatusCode::BAD_REQUEST, "invalid_request", &err.to_string()).into()
                }))
                .app_data(web::FormConfig::default().error_handler(|err, _| {
                    oauth_error(StatusCode::BAD_REQUEST, "invalid_request", &err.to_string()).into()
                }))
                .route("/.well-known/jwks.json", web::get().to(jwks))
                .route(
                    "/.well-known/openid-configuration",
                    web::get().to(discovery),
                )
                .route("/oauth/token", web::post().to(token))
        })
        .workers(1)
        .listen(listener)
        .map_err(|err| DevIssuerError::Bind(bound, err))?
        .run();
        Ok(Self { issuer, server })
    }

    /// The `iss` of the tokens it signs.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The server future, for callers that need its handle (tests stop it with one).
    pub fn into_server(self) -> Server {
        self.server
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

async fn jwks(state: web::Data<IssuerState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "keys": [state.key.jwk] }))
}

async fn discovery(state: web::Data<IssuerState>) -> HttpResponse {
    let issuer = state.issuer.trim_end_matches('/');
    HttpResponse::Ok().json(json!({
        "issuer": state.issuer,
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "token_endpoint": format!("{issuer}/oauth/token"),
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
}

/// A list given as one space-separated string or as an array.
#[derive(Deserialize)]
#[serde(untagged)]
enum Words {
    Spaced(String),
    List(Vec<String>),
}

impl Words {
    fn into_vec(self) -> Vec<String> {
        match self {
            Words::Spaced(words) => words.split_whitespace().map(str::to_owned).collect(),
            Words::List(words) => words,
        }
    }
}

/// Auth0's client-credentials body, plus two development extensions: `sub` (a user-like
/// subject such as `auth0|alice`) and `permissions` (Auth0 RBAC's claim).
#[derive(Deserialize)]
struct TokenRequest {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    audience: Option<String>,
    scope: Option<Words>,
    sub: Option<String>,
    permissions: Option<Words>,
}

fn oauth_error(
    status: StatusCode,
    error: &str,
    description: &str,
) -> actix_web::error::InternalError<String> {
    let body = json!({ "error": error, "error_description": description }).to_string();
    let response = HttpResponse::build(status)
        .content_type("application/json")
        .body(body.clone());
    actix_web::error::InternalError::from_response(body, response)
}

async fn token(
    state: web::Data<IssuerState>,
    body: actix_web::Either<web::Json<TokenRequest>, web::Form<TokenRequest>>,
) -> Result<HttpResponse, actix_web::error::InternalError<String>> {
    let request = match body {
        actix_web::Either::Left(json) => json.into_inner(),
        actix_web::Either::Right(form) => form.into_inner(),
    };
    let settings = &state.settings;
    let grant_type = request.grant_type.as_deref().unwrap_or_default();
    if grant_type != "client_credentials" {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("Unsupported grant type: {grant_type}"),
        ));
    }
    let (Some(client_id), Some(client_secret), Some(audience)) =
        (request.client_id, request.client_secret, request.audience)
    else {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: client_id, client_secret and audience are required",
        ));
    };
    if client_id != settings.client_id || client_secret != settings.client_secret {
        return Err(oauth_error(
            StatusCode::UNAUTHORIZED,
            "access_denied",
            "Unauthorized",
        ));
    }
    if audience != settings.audience {
        return Err(oauth_error(
            StatusCode::FORBIDDEN,
            "access_denied",
            &format!("Service not enabled within domain: {audience}"),
        ));
    }
    let scope = request
        .scope
        .map(Words::into_vec)
        .unwrap_or_default()
        .join(" ");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let mut claims = json!({
        "iss": state.issuer,
        "sub": request.sub.clone().unwrap_or_else(|| format!("{client_id}@clients")),
        "aud": audience,
        "iat": now,
        "exp": now + settings.token_ttl_secs,
        "azp": client_id,
        "scope": scope,
    });
    if request.sub.is_none() {
        claims["gty"] = json!("client-credentials");
    }
    if let Some(permissions) = request.permissions {
        claims["permissions"] = json!(permissions.into_vec());
    }
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(state.key.kid.clone());
    let access_token =
        jsonwebtoken::encode(&header, &claims, &state.key.encoding).map_err(|err| {
            oauth_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                &err.to_string(),
            )
        })?;
    let mut response = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": settings.token_ttl_secs,
    });
    if !scope.is_empty() {
        response["scope"] = json!(scope);
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(response))
}
