#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod bearer;
mod claims;
mod env;
mod error;
mod extractor;
mod jwks;
mod middleware;
mod settings;

use std::future::Future;
use std::sync::Arc;

use actix_web::http::header::HeaderMap;
use actix_web::ResponseError;

pub use bearer::MAX_TOKEN_BYTES;
pub use claims::{CacheCounter, CacheStats, Claims, TokenValidator};
pub use env::{ConfigError, Env};
pub use error::{detail_response, AuthError};
pub use extractor::{Principal, RequiredScope, Scoped};
pub use jwks::{FetchError, KeyError, KeyStore, VerificationKey};
pub use middleware::{require_authentication, PublicRoutes};
pub use settings::{
    audience_from_env, AuthSettings, JwksSettings, ScopeSource, DEFAULT_JWKS_MAX_STALE_SECS,
    DEFAULT_LEEWAY_SECS,
};

/// Turns a request's `Authorization` header into validated claims.
pub struct Authenticator {
    tokens: TokenValidator,
}

impl Authenticator {
    /// Prepares the JWKS client and the verified-token cache; nothing is fetched yet, so
    /// a service starts while its issuer is unreachable.
    pub fn new(settings: &AuthSettings) -> Result<Self, reqwest::Error> {
        if settings.is_development_issuer() {
            tracing::warn!(
                issuer = %settings.issuer,
                "the token issuer is plain http: a development issuer, never a real Auth0 tenant"
            );
        }
        if settings.jwks.insecure_http {
            tracing::warn!(
                jwks_uri = %settings.jwks_uri,
                "AUTH0_ALLOW_INSECURE_HTTP is set: signing keys are fetched over plain http; never do this in production"
            );
        }
        let keys = KeyStore::new(settings.jwks_uri.clone(), settings.jwks.clone())?;
        Ok(Self {
            tokens: TokenValidator::new(settings, keys),
        })
    }

    /// How many verified tokens are remembered now; see [`TokenValidator::cached_tokens`].
    pub async fn cached_tokens(&self) -> u64 {
        self.tokens.cached_tokens().await
    }

    /// Hits and misses of the verified-token cache; see [`TokenValidator::cache_stats`].
    pub fn token_cache_stats(&self) -> CacheStats {
        self.tokens.cache_stats()
    }

    /// The bearer token of `headers`, verified.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Arc<Claims>, AuthError> {
        let credentials = bearer::extract(headers)?;
        self.tokens.validate(credentials.token()).await
    }
}

/// The application's part of authentication: what a verified token means to it (a user
/// row, a tenant, ...). [`require_authentication`] calls it for every protected request
/// and hands the result to handlers as [`Principal<Self::Principal>`](Principal).
pub trait ResolvePrincipal: 'static {
    /// What handlers receive.
    type Principal: Clone + 'static;
    /// Why a valid token is still refused (an inactive user, an unreachable directory);
    /// its response is sent as it is.
    type Error: ResponseError + 'static;

    /// The principal for these validated claims.
    fn resolve(
        &self,
        claims: &Arc<Claims>,
    ) -> impl Future<Output = Result<Self::Principal, Self::Error>>;
}
