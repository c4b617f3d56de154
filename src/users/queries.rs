//! The directory's queries: find or create a subject's row, the shared row, `last_login`.

use chrono::Utc;
use sqlx::PgConnection;

use super::{User, Username};

/// The seeded row every token maps to in [`super::UserMapping::Shared`].
const SHARED_USERNAME: &str = "auth0user";
/// `last_login` is refreshed at most this often, so a busy user causes no write per request.
const LAST_LOGIN_RESOLUTION: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// The user for `sub`, created on first sight; `None` when its username belongs to
/// another subject (never merged).
pub(super) async fn find_or_create(
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

pub(super) async fn find_shared_user(
    connection: &mut PgConnection,
) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as!(
        User,
        "SELECT id, username, sub, is_active, date_joined, last_login FROM users WHERE username = $1",
        SHARED_USERNAME,
    )
    .fetch_optional(connection)
    .await
}

pub(super) async fn touch_last_login(
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
