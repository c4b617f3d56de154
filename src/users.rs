//! Mapping a validated token to a row in `users` (Django's RemoteUserBackend pattern):
//! the application's [`ResolvePrincipal`] for the Auth0 layer.

use std::hash::{BuildHasher, Hash, Hasher, RandomState};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_auth0::{
    AuthError, CacheCounter, CacheStats, Claims, ConfigError, Env, ResolvePrincipal,
};
use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use chrono::{DateTime, Utc};
use moka::future::Cache;
use serde::Serialize;
use serde_json::json;
use sqlx::PgConnection;

use crate::database::Database;

/// Django's `username` column width.
const MAX_USERNAME_CHARS: usize = 150;
/// The seeded row every token maps to in [`UserMapping::Shared`].
const SHARED_USERNAME: &str = "auth0user";
const INACTIVE: &str = "User inactive or deleted.";
/// `last_login` is refreshed at most this often, so a busy user causes no write per request.
const LAST_LOGIN_RESOLUTION: chrono::TimeDelta = chrono::TimeDelta::minutes(5);
/// Change counters, each shared by the subjects that hash to it (a collision only costs
/// a reload).
const GENERATION_STRIPES: usize = 1024;
/// Loads of one user retried while changes keep arriving, before reading it uncached.
const MAX_LOAD_ATTEMPTS: usize = 3;

/// How a valid token becomes a row in `users`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserMapping {
    /// One row per token subject, created on first sight (Django's RemoteUserBackend).
    Remote,
    /// Every token is the seeded `auth0user`, as the original tutorial did.
    Shared,
}

/// How tokens map to users, and how long mapped users are cached.
#[derive(Clone, Debug)]
pub struct UserSettings {
    pub mapping: UserMapping,
    /// How long a mapped user is reused without reading the database; zero disables the cache.
    pub cache_ttl: Duration,
    /// How many mapped users are cached at most; zero disables the cache.
    pub cache_capacity: u64,
}

impl UserSettings {
    /// `AUTH0_USER_MAPPING`, `USER_CACHE_TTL_SECS` and `USER_CACHE_CAPACITY`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let mapping = match env.optional("AUTH0_USER_MAPPING").as_deref() {
            None | Some("remote") => UserMapping::Remote,
            Some("shared") => UserMapping::Shared,
            Some(other) => {
                return Err(ConfigError::new(
                    "AUTH0_USER_MAPPING",
                    format!("invalid value {other:?}: expected remote or shared"),
                ))
            }
        };
        Ok(Self {
            mapping,
            cache_ttl: env.seconds("USER_CACHE_TTL_SECS", 60)?,
            cache_capacity: env.parsed("USER_CACHE_CAPACITY", 100_000)?,
        })
    }
}

/// What the protected handlers receive (as `Principal<AuthenticatedUser>`): the mapped
/// user and the validated claims of the request's token.
#[derive(Clone, Debug)]
pub struct AuthenticatedUser {
    pub user: Arc<User>,
    pub claims: Arc<Claims>,
}

/// Why a valid token's user may not use the API.
#[derive(Clone, Debug, thiserror::Error)]
pub enum UserError {
    /// The user row is deactivated, or gone.
    #[error("{INACTIVE}")]
    Inactive,
    /// The subject cannot be mapped to a user (name collision, name too long).
    #[error("{0}")]
    Refused(&'static str),
    /// The database could not be reached.
    #[error("The service is temporarily unavailable; try again shortly.")]
    Unavailable,
}

impl UserError {
    /// The label of `auth_failures_total{reason}`, beside the Auth0 layer's own reasons.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Inactive => "user_inactive",
            Self::Refused(_) => "user_refused",
            Self::Unavailable => "directory_unavailable",
        }
    }
}

impl ResponseError for UserError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Inactive => StatusCode::UNAUTHORIZED,
            Self::Refused(_) => StatusCode::FORBIDDEN,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Inactive = self {
            // To the client, a user who may not sign in holds a token that is no longer
            // good: RFC 6750's invalid_token, with its challenge.
            return AuthError::InvalidToken(INACTIVE).error_response();
        }
        let mut response = HttpResponse::build(self.status_code());
        if let Self::Unavailable = self {
            response.insert_header((header::RETRY_AFTER, "5"));
        }
        response.json(json!({ "detail": self.to_string() }))
    }
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub sub: Option<String>,
    pub is_active: bool,
    pub date_joined: DateTime<Utc>,
    pub last_login: Option<DateTime<Utc>>,
}

/// The username a subject maps to: `auth0|abc` becomes `auth0.abc`.
#[derive(Debug, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn from_subject(sub: &str) -> Result<Self, UserError> {
        let username = sub.replace('|', ".");
        if username.chars().count() > MAX_USERNAME_CHARS {
            return Err(UserError::Refused(
                "The token subject is too long to be a username (150 characters at most).",
            ));
        }
        Ok(Self(username))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Finds or creates the user a token subject maps to, with a short-lived cache.
pub struct UserDirectory {
    mapping: UserMapping,
    cache: Option<UserCache>,
    database: Arc<Database>,
}

/// Mapped users by subject (`""` for the shared user), and whether they may be served:
/// only while this instance hears about changes made elsewhere (see `user_changes`).
///
/// A load can read a row just before a change commits and finish after the change was
/// heard (a `last_login` write waits on the changing transaction's row lock until its
/// COMMIT, which is when Postgres notifies). So each cached user carries the generation
/// of its subject read before its load began; every change heard moves the generation
/// on, and a user loaded under an older one is never served.
struct UserCache {
    users: Cache<String, CachedUser>,
    trusted: AtomicBool,
    lookups: CacheCounter,
    generations: Generations,
}

#[derive(Clone)]
struct CachedUser {
    user: Arc<User>,
    generation: u64,
}

/// Per-subject change counters, striped, plus an epoch that moves them all (a reconnect
/// of the change listener, after which anything may have changed).
struct Generations {
    stripes: Box<[AtomicU64]>,
    epoch: AtomicU64,
    hasher: RandomState,
}

impl Generations {
    fn new() -> Self {
        Self {
            stripes: (0..GENERATION_STRIPES).map(|_| AtomicU64::new(0)).collect(),
            epoch: AtomicU64::new(0),
            hasher: RandomState::new(),
        }
    }

    fn stripe(&self, key: &str) -> &AtomicU64 {
        let mut hasher = self.hasher.build_hasher();
        key.hash(&mut hasher);
        &self.stripes[hasher.finish() as usize % self.stripes.len()]
    }

    /// Grows with every change heard for `key` and every epoch.
    fn of(&self, key: &str) -> u64 {
        self.epoch.load(Ordering::SeqCst) + self.stripe(key).load(Ordering::SeqCst)
    }

    fn changed(&self, key: &str) {
        self.stripe(key).fetch_add(1, Ordering::SeqCst);
    }

    fn changed_all(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }
}

impl ResolvePrincipal for UserDirectory {
    type Principal = AuthenticatedUser;
    type Error = UserError;

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
        let cache =
            (!settings.cache_ttl.is_zero() && settings.cache_capacity > 0).then(|| UserCache {
                users: Cache::builder()
                    .max_capacity(settings.cache_capacity)
                    .time_to_live(settings.cache_ttl)
                    .build(),
                trusted: AtomicBool::new(false),
                lookups: CacheCounter::default(),
                generations: Generations::new(),
            });
        Self {
            mapping: settings.mapping,
            cache,
            database,
        }
    }

    /// How many mapped users are cached now (0 with the cache off). Settles the cache's
    /// pending work first, so call it when reporting, not per request.
    pub async fn cached_users(&self) -> u64 {
        match &self.cache {
            Some(cache) => {
                cache.users.run_pending_tasks().await;
                cache.users.entry_count()
            }
            None => 0,
        }
    }

    /// Hits and misses of the user cache, for metrics.
    pub fn cache_stats(&self) -> CacheStats {
        self.cache
            .as_ref()
            .map_or(CacheStats::default(), |cache| cache.lookups.stats())
    }

    /// Whether users are cached at all (else there is nothing to keep fresh).
    pub fn caches_users(&self) -> bool {
        self.cache.is_some()
    }

    /// Drops the cached user of `sub` (`""`: the shared user), changed elsewhere; a load
    /// of it in flight is not kept either.
    pub async fn forget(&self, sub: &str) {
        if let Some(cache) = &self.cache {
            cache.generations.changed(sub);
            cache.users.invalidate(sub).await;
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
            cache.trusted.store(false, Ordering::SeqCst);
            cache.generations.changed_all();
        }
    }

    /// Serves cached users again, starting empty: changes made while they went unheard
    /// are then read from the database, and loads begun before are not kept.
    pub fn trust_cache_again(&self) {
        if let Some(cache) = &self.cache {
            cache.generations.changed_all();
            cache.users.invalidate_all();
            cache.trusted.store(true, Ordering::SeqCst);
        }
    }

    fn trusted_cache(&self) -> Option<&UserCache> {
        self.cache
            .as_ref()
            .filter(|cache| cache.trusted.load(Ordering::SeqCst))
    }

    /// The user for `sub`; refuses inactive users. A user deactivated or deleted
    /// elsewhere is dropped from the cache when Postgres says so (`user_changes`); while
    /// that news cannot arrive, users are read from the database.
    pub async fn user(&self, sub: &str) -> Result<Arc<User>, UserError> {
        let key = self.key(sub);
        let user = match self.trusted_cache() {
            Some(cache) => self.cached_user(cache, key, sub).await?,
            None => self.load(sub).await?,
        };
        if !user.is_active {
            return Err(UserError::Inactive);
        }
        Ok(user)
    }

    /// The user of `key` from the cache, loaded when missing (concurrent misses share a
    /// single load), and never one loaded before the last change heard of it.
    async fn cached_user(
        &self,
        cache: &UserCache,
        key: &str,
        sub: &str,
    ) -> Result<Arc<User>, UserError> {
        for _ in 0..MAX_LOAD_ATTEMPTS {
            let generation = cache.generations.of(key);
            let load = async {
                let user = self.load(sub).await?;
                Ok::<_, UserError>(CachedUser { user, generation })
            };
            let entry = cache
                .users
                .entry_by_ref(key)
                .or_try_insert_with(load)
                .await
                .map_err(|err| (*err).clone())?;
            cache.lookups.record(!entry.is_fresh());
            let cached = entry.into_value();
            if cached.generation == cache.generations.of(key) {
                return Ok(cached.user);
            }
            // Loaded before a change was heard: it may be the old row.
            cache.users.invalidate(key).await;
        }
        self.load(sub).await
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
                        Some(username) => find_or_create(connection, &sub, username).await?,
                        None => find_shared_user(connection).await?,
                    };
                    match user {
                        Some(user) => touch_last_login(connection, user).await.map(Some),
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

/// The user for `sub`, created on first sight; `None` when its username belongs to
/// another subject (never merged).
async fn find_or_create(
    connection: &mut PgConnection,
    sub: &str,
    username: &Username,
) -> Result<Option<User>, sqlx::Error> {
    if let Some(user) = find_by_sub(connection, sub).await? {
        return Ok(Some(user));
    }
    // DO NOTHING covers both a concurrent first login for this sub and a username
    // already taken by another sub; the lookup below tells them apart.
    let created = sqlx::query_as!(
        User,
        r#"INSERT INTO users (username, sub, last_login) VALUES ($1, $2, now())
           ON CONFLICT DO NOTHING
           RETURNING id, username, sub, is_active, date_joined, last_login"#,
        username.as_str(),
        sub,
    )
    .fetch_optional(&mut *connection)
    .await?;
    if let Some(user) = created {
        tracing::info!(user_id = user.id, username = %user.username, "created user on first login");
        return Ok(Some(user));
    }
    find_by_sub(connection, sub).await
}

async fn find_by_sub(
    connection: &mut PgConnection,
    sub: &str,
) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as!(
        User,
        "SELECT id, username, sub, is_active, date_joined, last_login FROM users WHERE sub = $1",
        sub,
    )
    .fetch_optional(connection)
    .await
}

async fn find_shared_user(connection: &mut PgConnection) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as!(
        User,
        "SELECT id, username, sub, is_active, date_joined, last_login FROM users WHERE username = $1",
        SHARED_USERNAME,
    )
    .fetch_optional(connection)
    .await
}

async fn touch_last_login(
    connection: &mut PgConnection,
    mut user: User,
) -> Result<User, sqlx::Error> {
    let now = Utc::now();
    if user
        .last_login
        .is_some_and(|last| now - last < LAST_LOGIN_RESOLUTION)
    {
        return Ok(user);
    }
    sqlx::query!(
        "UPDATE users SET last_login = $2 WHERE id = $1",
        user.id,
        now
    )
    .execute(connection)
    .await?;
    user.last_login = Some(now);
    Ok(user)
}

/// Logs the database error (it may name tables, never tokens) and hides it from the client.
fn directory_unavailable(error: sqlx::Error) -> UserError {
    tracing::error!(%error, "user directory query failed");
    UserError::Unavailable
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipes_become_dots() {
        assert_eq!(
            Username::from_subject("auth0|abc123").unwrap().as_str(),
            "auth0.abc123"
        );
        assert_eq!(
            Username::from_subject("google-oauth2|1|2")
                .unwrap()
                .as_str(),
            "google-oauth2.1.2"
        );
    }

    #[test]
    fn settings_default_to_remote_users_and_name_bad_variables() {
        let unset = UserSettings::from_env(&Env::from_fn(|_| None)).unwrap();
        assert_eq!(unset.mapping, UserMapping::Remote);
        for (var, value) in [
            ("AUTH0_USER_MAPPING", "everyone"),
            ("USER_CACHE_TTL_SECS", "soon"),
            ("USER_CACHE_CAPACITY", "many"),
        ] {
            let env = Env::from_fn(|name| (name == var).then(|| value.to_owned()));
            assert_eq!(
                UserSettings::from_env(&env).unwrap_err().var,
                var,
                "{var}={value}"
            );
        }
    }

    #[test]
    fn usernames_are_limited_to_150_characters() {
        assert!(Username::from_subject(&"é".repeat(150)).is_ok());
        assert!(matches!(
            Username::from_subject(&"é".repeat(151)),
            Err(UserError::Refused(_))
        ));
    }
}
