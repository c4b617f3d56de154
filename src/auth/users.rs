//! Mapping a validated token to a row in `users` (Django's RemoteUserBackend pattern).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use moka::future::Cache;
use serde::Serialize;
use sqlx::PgConnection;

use super::settings::UserMapping;
use super::AuthError;
use crate::database::Database;

/// Django's `username` column width.
const MAX_USERNAME_CHARS: usize = 150;
/// The seeded row every token maps to in [`UserMapping::Shared`].
const SHARED_USERNAME: &str = "auth0user";
/// `last_login` is refreshed at most this often, so a busy user causes no write per request.
const LAST_LOGIN_RESOLUTION: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

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
    pub fn from_subject(sub: &str) -> Result<Self, AuthError> {
        let username = sub.replace('|', ".");
        if username.chars().count() > MAX_USERNAME_CHARS {
            return Err(AuthError::UserRefused(
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
    cache: Option<Cache<String, Arc<User>>>,
}

impl UserDirectory {
    /// Caches at most `cache_capacity` users, whatever the number of distinct subjects
    /// seen, each for `cache_ttl`; either being zero disables the cache.
    pub fn new(mapping: UserMapping, cache_ttl: Duration, cache_capacity: u64) -> Self {
        let cache = (!cache_ttl.is_zero() && cache_capacity > 0).then(|| {
            Cache::builder()
                .max_capacity(cache_capacity)
                .time_to_live(cache_ttl)
                .build()
        });
        Self { mapping, cache }
    }

    /// The user for `sub`; refuses inactive users. A deactivated user is refused at
    /// the latest one cache TTL after the change.
    pub async fn resolve(&self, sub: &str, database: &Database) -> Result<Arc<User>, AuthError> {
        let key = match self.mapping {
            UserMapping::Remote => sub,
            UserMapping::Shared => "",
        };
        let user = match &self.cache {
            // Concurrent misses for one key share a single load.
            Some(cache) => cache
                .try_get_with_by_ref(key, self.load(sub, database))
                .await
                .map_err(|err| (*err).clone())?,
            None => self.load(sub, database).await?,
        };
        if !user.is_active {
            return Err(AuthError::InactiveUser);
        }
        Ok(user)
    }

    async fn load(&self, sub: &str, database: &Database) -> Result<Arc<User>, AuthError> {
        // Checked before any query: a subject that cannot be a username is refused outright.
        let username = match self.mapping {
            UserMapping::Remote => Some(Username::from_subject(sub)?),
            UserMapping::Shared => None,
        };
        // One connection for the whole load: lookups, insert and `last_login` write.
        let sub = sub.to_owned();
        let user = database
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
            (None, UserMapping::Remote) => Err(AuthError::UserRefused(
                "The username derived from this token's subject belongs to another user.",
            )),
            // The seeded shared row is gone: nobody may use the API.
            (None, UserMapping::Shared) => Err(AuthError::InactiveUser),
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
fn directory_unavailable(error: sqlx::Error) -> AuthError {
    tracing::error!(%error, "user directory query failed");
    AuthError::DirectoryUnavailable
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
    fn usernames_are_limited_to_150_characters() {
        assert!(Username::from_subject(&"é".repeat(150)).is_ok());
        assert!(matches!(
            Username::from_subject(&"é".repeat(151)),
            Err(AuthError::UserRefused(_))
        ));
    }
}
