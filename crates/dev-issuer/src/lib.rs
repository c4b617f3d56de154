//! A stand-in for an Auth0 tenant, for local development and tests only (the `dev-issuer`
//! binary). It signs RS256 tokens shaped like Auth0's and serves what the unmodified
//! Auth0 SDKs use:
//!
//! - machines: client credentials at `POST /oauth/token`;
//! - people, through a single-page app: `GET /authorize` (authorization code with PKCE,
//!   a login page, a session cookie for silent login), the `authorization_code` and
//!   rotating `refresh_token` grants, ID tokens, `/userinfo` and `/v2/logout`;
//! - `/.well-known/jwks.json` and `/.well-known/openid-configuration`;
//! - DPoP (RFC 9449): a proof at `/oauth/token` binds the tokens to the client's key
//!   (`token_type: DPoP`, `cnf.jkt`), `dpop_jkt` at `/authorize` binds the code, and the
//!   SPA's refresh tokens stay bound to their key.
//!
//! The API has no built-in bypass: it trusts these tokens only because its
//! `AUTH0_ISSUER` points here. It is its own crate so that the API's release binary and
//! image never contain a token minter.

mod dpop;
mod keys;
mod login;
mod settings;
mod store;
mod token;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;

use actix_web::dev::Server;
use actix_web::http::StatusCode;
use actix_web::{web, App, HttpResponse, HttpServer};
use serde_json::json;

pub use keys::SigningKey;
pub use settings::{DevIssuerSettings, DevUser, Lifetimes, SpaClient};
use store::Store;
pub use store::StoreCounts;
use token::OAuthError;

#[derive(Debug, thiserror::Error)]
pub enum DevIssuerError {
    #[error("signing key in {path}: {reason}")]
    Key { path: PathBuf, reason: String },
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
}

/// What every handler shares.
struct IssuerState {
    settings: DevIssuerSettings,
    /// The `iss` of its tokens, ending in `/`.
    issuer: String,
    key: SigningKey,
    store: Store,
    dpop: dpop::DpopState,
}

impl IssuerState {
    /// Auth0's second audience of access tokens that may call `/userinfo`.
    fn userinfo_audience(&self) -> String {
        format!("{}userinfo", self.issuer)
    }

    /// A configured user, or one made up for a subject typed on the login page.
    fn user(&self, sub: &str) -> DevUser {
        self.settings
            .users
            .iter()
            .find(|user| user.sub == sub)
            .cloned()
            .unwrap_or_else(|| DevUser::new(sub, Vec::new()))
    }
}

pub struct DevIssuer {
    issuer: String,
    server: Server,
    state: web::Data<IssuerState>,
}

/// Counts what a running issuer holds in memory (see [`DevIssuer::stored`]).
#[derive(Clone)]
pub struct StoredEntries(web::Data<IssuerState>);

impl StoredEntries {
    /// The entries held now, after expired and evicted ones are gone.
    pub fn counts(&self) -> StoreCounts {
        self.0.store.counts()
    }
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
            spa_client_id = %settings.spa.client_id,
            "DEVELOPMENT ONLY: this issuer hands out tokens to anyone who knows the dev client secret, and logs anyone in as anyone"
        );
        let store = Store::new(settings.lifetimes, settings.store_capacity);
        let dpop = dpop::DpopState::new(settings.dpop_require_nonce);
        let state = web::Data::new(IssuerState {
            settings,
            issuer: issuer.clone(),
            key,
            store,
            dpop,
        });
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            let state = app_state.clone();
            // Browsers call /oauth/token and /userinfo from the app's origin. Only the
            // configured web origins get CORS headers: any other page a developer visits
            // must not be able to mint tokens and read them.
            let cors = state
                .settings
                .spa
                .web_origins
                .iter()
                .fold(actix_cors::Cors::default(), |cors, origin| {
                    cors.allowed_origin(origin)
                })
                .allowed_methods(["GET", "POST"])
                .allow_any_header()
                // auth0-spa-js retries with the nonce it reads here.
                .expose_headers([actix_auth0::DPOP_NONCE])
                // Other origins get an answer without CORS headers, which their pages
                // cannot read; the issuer's own login form (a same-origin POST that
                // carries an Origin header) still works.
                .block_on_origin_mismatch(false)
                .max_age(3600);
            let bad_request = |message: String| {
                OAuthError::new(StatusCode::BAD_REQUEST, "invalid_request", message).into()
            };
            App::new()
                .wrap(cors)
                .app_data(state.clone())
                .app_data(
                    web::JsonConfig::default()
                        .error_handler(move |err, _| bad_request(err.to_string())),
                )
                .app_data(
                    web::FormConfig::default()
                        .error_handler(move |err, _| bad_request(err.to_string())),
                )
                .app_data(web::QueryConfig::default().error_handler(|err, _| {
                    let page = login::error_page(&err.to_string());
                    actix_web::error::InternalError::from_response(err, page).into()
                }))
                .route("/.well-known/jwks.json", web::get().to(jwks))
                .route(
                    "/.well-known/openid-configuration",
                    web::get().to(discovery),
                )
                .route("/oauth/token", web::post().to(token::token))
                .route("/userinfo", web::get().to(token::userinfo))
                .route("/authorize", web::get().to(login::authorize))
                .route("/login", web::post().to(login::log_in))
                .route("/v2/logout", web::get().to(login::log_out))
        })
        .workers(1)
        .listen(listener)
        .map_err(|err| DevIssuerError::Bind(bound, err))?
        .run();
        Ok(Self {
            issuer,
            server,
            state,
        })
    }

    /// What it holds in memory, for tests and diagnostics; usable after [`Self::into_server`].
    pub fn stored(&self) -> StoredEntries {
        StoredEntries(self.state.clone())
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
    HttpResponse::Ok().json(json!({ "keys": [state.key.jwk()] }))
}

async fn discovery(state: web::Data<IssuerState>) -> HttpResponse {
    let issuer = state.issuer.trim_end_matches('/');
    HttpResponse::Ok().json(json!({
        "issuer": state.issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/oauth/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "end_session_endpoint": format!("{issuer}/v2/logout"),
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "fragment", "web_message"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "subject_types_supported": ["public"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "none"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "dpop_signing_alg_values_supported": [actix_auth0::DPOP_ALGORITHMS],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "name", "nickname", "email", "email_verified"],
    }))
}
