//! Mapping a validated token to a row in `users` (Django's RemoteUserBackend pattern).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use moka::future::Cache;
use serde::Serialize;
use sqlx::PgPool;

use super::settings::UserMapping;
use super::AuthError;

/// Django's `username` column width.
const MAX_USERNAME_CHARS: usize = 150;
/// The seeded row every token maps to in [`UserMapping::Shared`].
const SHARED_USERNAME: &str = "auth0user";
/// `last_login` is refreshed at most this often, so a busy user causes no write per request.
const LAST_LOGIN_RESOLUTION: chrono::TimeDelta = chrono::TimeDelta::minutes(5);
/// Upper bound on cached users, whatever the number of distinct subjects seen.
const USER_CACHE_CAPACITY: u64 = 100_000;

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
    pool: PgPool,
    mapping: UserMapping,
    cache: Option<Cache<String, Arc<User>>>,
}

impl UserDirectory {
    pub fn new(pool: PgPool, mapping: UserMapping, cache_ttl: Duration) -> Self {
        let cache = (!cache_ttl.is_zero()).then(|| {
            Cache::builder()
                .max_capacity(USER_CACHE_CAPACITY)
                .time_to_live(cache_ttl)
                .build()
        });
        Self {
            pool,
            mapping,
            cache,
        }
    }

    /// The user for `sub`; refuses inactive users. A deactivated user is refused at
    /// the latest one cache TTL after the change.
    pub async fn resolve(&self, sub: &str) -> Result<Arc<User>, AuthError> {
        let key = match self.mapping {
            UserMapping::Remote => sub,
            UserMapping::Shared => "",
        };
        let user = match &self.cache {
            // Concurrent misses for one key share a single load.
            Some(cache) => cache
                .try_get_with_by_ref(key, self.load(sub))
                .await
                .map_err(|err| (*err).clone())?,
            None => self.load(sub).await?,
        };
        if !user.is_active {
            return Err(AuthError::InactiveUser);
        }
        Ok(user)
    }

    async fn load(&self, sub: &str) -> Result<Arc<User>, AuthError> {
        let user = match self.mapping {
            UserMapping::Remote => self.find_or_create(sub).await?,
            UserMapping::Shared => self.shared_user().await?,
        };
        let user = self.touch_last_login(user).await?;
        Ok(Arc::new(user))
    }

    async fn find_or_create(&self, sub: &str) -> Result<User, AuthError> {
        if let Some(user) = self.find_by_sub(sub).await? {
            return Ok(user);
        }
        let username = Username::from_subject(sub)?;
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
        .fetch_optional(&self.pool)
        .await
        .map_err(directory_unavailable)?;
        if let Some(user) = created {
            tracing::info!(user_id = user.id, username = %user.username, "created user on first login");
            return Ok(user);
        }
        match self.find_by_sub(sub).await? {
            Some(user) => Ok(user),
            None => Err(AuthError::UserRefused(
                "The username derived from this token's subject belongs to another user.",
            )),
        }
    }

    async fn find_by_sub(&self, sub: &str) -> Result<Option<User>, AuthError> {
        sqlx::query_as!(
            User,
            "SELECT id, username, sub, is_active, date_joined, last_login FROM users WHERE sub = $1",
            sub,
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(directory_unavailable)
    }

    async fn shared_user(&self) -> Result<User, AuthError> {
        sqlx::query_as!(
            User,
            "SELECT id, username, sub, is_active, date_joined, last_login FROM users WHERE username = $1",
            SHARED_USERNAME,
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(directory_unavailable)?
        .ok_or(AuthError::InactiveUser)
    }

    async fn touch_last_login(&self, mut user: User) -> Result<User, AuthError> {
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
        .execute(&self.pool)
        .await
        .map_err(directory_unavailable)?;
        user.last_login = Some(now);
        Ok(user)
    }
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
