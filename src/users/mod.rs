//! Mapping a validated token to a row in `users` (Django's RemoteUserBackend pattern):
//! the application's [`ResolvePrincipal`] for the Auth0 layer, its cache, and the
//! listener that keeps every instance's cache fresh.

mod cache;
pub mod changes;
mod error;
mod queries;
mod settings;
mod user;

use std::sync::Arc;

use actix_auth0::{AuthError, CacheStats, Claims, ResolvePrincipal};

use crate::database::Database;
use cache::UserCache;
pub use error::UserError;
pub use settings::{UserMapping, UserSettings};
pub use user::{AuthenticatedUser, User, Username};

/// Finds or creates the user a token subject maps to, with a short-lived cache.
pub struct UserDirectory {
    mapping: UserMapping,
    cache: Option<UserCache>,
    database: Arc<Database>,
}

impl ResolvePrincipal for UserDirectory {
    type Principal = AuthenticatedUser;
    type Error = UserError;

    fn as_auth_error(error: &UserError) -> Option<AuthError> {
        error.as_auth_error()
    }

    async fn resolve(&self, claims: &Arc<Claims>) -> Result<AuthenticatedUser, UserError> {
        let user = self.user(&claims.sub).await.inspect_err(|err| {
            metrics::counter!("auth_failures_total", "reason" => err.reason()).increment(1);
        })?;
        tracing::Span::current().record("user_id", user.id);
        Ok(AuthenticatedUser {
            user,
            claims: Arc::clone(claims),
        })
    }
}

impl UserDirectory {
    /// Caches at most `cache_capacity` users, whatever the number of distinct subjects
    /// seen, each for `cache_ttl`; either being zero disables the cache. Users not
    /// cached are read from `database`.
    pub fn new(settings: &UserSettings, database: Arc<Database>) -> Self {
        Self {
            mapping: settings.mapping,
            cache: UserCache::new(settings),
            database,
        }
    }

    /// How many mapped users are cached now (0 with the cache off). Settles the cache's
    /// pending work first, so call it when reporting, not per request.
    pub async fn cached_users(&self) -> u64 {
        match &self.cache {
            Some(cache) => cache.entries().await,
            None => 0,
        }
    }

    /// Hits and misses of the user cache, for metrics.
    pub fn cache_stats(&self) -> CacheStats {
        self.cache
            .as_ref()
            .map_or(CacheStats::default(), UserCache::stats)
    }

    /// Whether users are cached at all (else there is nothing to keep fresh).
    pub fn caches_users(&self) -> bool {
        self.cache.is_some()
    }

    /// Drops the cached user of `key` (a subject, or `""` for the shared user), changed
    /// elsewhere; a load of it in flight is not kept either.
    pub async fn forget(&self, key: &str) {
        if let Some(cache) = &self.cache {
            cache.forget(key).await;
        }
    }

    /// Drops the cached user a token's `sub` maps to: its row turned out to be gone.
    pub async fn forget_subject(&self, sub: &str) {
        self.forget(self.key(sub)).await;
    }

    /// The cache key of `sub`: the subject, or `""` for the shared user.
    fn key<'s>(&self, sub: &'s str) -> &'s str {
        match self.mapping {
            UserMapping::Remote => sub,
            UserMapping::Shared => "",
        }
    }

    /// Stops serving cached users: changes made elsewhere may go unheard from now on.
    pub fn distrust_cache(&self) {
        if let Some(cache) = &self.cache {
            cache.distrust();
        }
    }

    /// Serves cached users again, starting empty: changes made while they went unheard
    /// are then read from the database, and loads begun before are not kept.
    pub fn trust_cache_again(&self) {
        if let Some(cache) = &self.cache {
            cache.trust_again();
        }
    }

    /// The user for `sub`; refuses inactive users. A user deactivated or deleted
    /// elsewhere is dropped from the cache when Postgres says so ([`changes`]); while
    /// that news cannot arrive, users are read from the database.
    pub async fn user(&self, sub: &str) -> Result<Arc<User>, UserError> {
        let user = match self.cache.as_ref().filter(|cache| cache.is_trusted()) {
            Some(cache) => cache.get_or_load(self.key(sub), || self.load(sub)).await?,
            None => self.load(sub).await?,
        };
        if !user.is_active {
            return Err(UserError::Inactive);
        }
        Ok(user)
    }

    async fn load(&self, sub: &str) -> Result<Arc<User>, UserError> {
        // Checked before any query: a subject that cannot be a username is refused outright.
        let username = match self.mapping {
            UserMapping::Remote => Some(Username::from_subject(sub)?),
            UserMapping::Shared => None,
        };
        // One connection for the whole load: lookups, insert and `last_login` write.
        let sub = sub.to_owned();
        let user = self
            .database
            .run(move |connection| {
                Box::pin(async move {
                    let user = match &username {
                        Some(username) => {
                            queries::find_or_create(connection, &sub, username).await?
                        }
                        None => queries::find_shared_user(connection).await?,
                    };
                    match user {
                        Some(user) => queries::touch_last_login(connection, user).await.map(Some),
                        None => Ok(None),
                    }
                })
            })
            .await
            .map_err(directory_unavailable)?;
        match (user, self.mapping) {
            (Some(user), _) => Ok(Arc::new(user)),
            (None, UserMapping::Remote) => Err(UserError::Refused(
                "The username derived from this token's subject belongs to another user.",
            )),
            // The seeded shared row is gone: nobody may use the API.
            (None, UserMapping::Shared) => Err(UserError::Inactive),
        }
    }
}

/// Logs the database error (it may name tables, never tokens) and hides it from the client.
fn directory_unavailable(error: sqlx::Error) -> UserError {
    tracing::error!(%error, "user directory query failed");
    UserError::Unavailable
}
