//! Bearer-token authentication against an Auth0 tenant (or any OIDC issuer with a JWKS).
//!
//! A request passes through these steps, each in its own file:
//! 1. [`bearer`]: the token is read from the `Authorization` header only.
//! 2. [`claims`]: its signature is verified with a key from the issuer's JWKS ([`jwks`]),
//!    then `iss`, `aud`, `exp`, `nbf`, `iat` and `sub` are checked.
//! 3. [`users`]: the subject is mapped to a row in `users`, created on first sight.
//! 4. [`middleware`]: every route is protected unless registered as public; handlers
//!    receive the result through the [`AuthenticatedUser`] and [`Scoped`] extractors.
//!
//! Every failure is an [`AuthError`], which renders the RFC 6750 response.

mod bearer;
mod claims;
mod error;
mod extractor;
mod jwks;
mod middleware;
mod settings;
mod users;

use actix_web::http::header::HeaderMap;

use crate::database::Database;

pub use claims::{Claims, TokenValidator};
pub use error::AuthError;
pub use extractor::{AuthenticatedUser, ReadMessages, RequiredScope, Scoped};
pub use jwks::KeyStore;
pub use middleware::{require_authentication, PublicRoutes};
pub use settings::{
    audience_from_env, AuthSettings, JwksSettings, UserMapping, DEFAULT_LEEWAY_SECS,
};
pub use users::{User, UserDirectory, Username};

/// Turns request headers into an authenticated user.
pub struct Authenticator {
    tokens: TokenValidator,
    users: UserDirectory,
}

impl Authenticator {
    pub fn new(settings: &AuthSettings) -> Result<Self, reqwest::Error> {
        if settings.jwks.insecure_http {
            tracing::warn!(
                jwks_uri = %settings.jwks_uri,
                "AUTH0_ALLOW_INSECURE_HTTP is set: signing keys are fetched over plain http; never do this in production"
            );
        }
        let keys = KeyStore::new(settings.jwks_uri.clone(), settings.jwks.clone())?;
        Ok(Self {
            tokens: TokenValidator::new(settings, keys),
            users: UserDirectory::new(
                settings.user_mapping,
                settings.user_cache_ttl,
                settings.user_cache_capacity,
            ),
        })
    }

    /// `database` serves the user lookup when the user is not cached.
    pub async fn authenticate(
        &self,
        headers: &HeaderMap,
        database: &Database,
    ) -> Result<AuthenticatedUser, AuthError> {
        let credentials = bearer::extract(headers)?;
        let claims = self.tokens.validate(credentials.token()).await?;
        let user = self.users.resolve(&claims.sub, database).await?;
        Ok(AuthenticatedUser { user, claims })
    }
}
