//! Hearing from Postgres that a user changed elsewhere (another instance, `todo-api
//! users ...`, psql), so that every instance drops its cached copy at once instead of
//! after `USER_CACHE_TTL_SECS`.
//!
//! A trigger on `users` notifies `todo_api_user_changed` with the subject; each instance
//! LISTENs on a session of its own on Postgres itself (`DATABASE_DIRECT_URL`: a
//! transaction-mode pooler cannot carry a LISTEN). While that session is down the
//! directory reads every user from the database, and it starts with an empty cache once
//! the session is back: notifications sent meanwhile are lost.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};

use super::UserDirectory;
use crate::database::{Database, DatabaseSettings, APPLICATION_NAME};

/// The channel the `users_notify_changed` trigger notifies.
pub const CHANNEL: &str = "todo_api_user_changed";
/// Longest pause between two attempts to listen again.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(5);

/// Keeps `users`' cache fresh from the database's notifications, on the database thread,
/// for as long as the service runs. Nothing to do when users are not cached.
pub fn follow(
    settings: &DatabaseSettings,
    database: &Database,
    users: Arc<UserDirectory>,
) -> Result<(), sqlx::Error> {
    if !users.caches_users() {
        return Ok(());
    }
    let options: PgConnectOptions = settings.direct_url.parse()?;
    let options = options.application_name(&format!("{APPLICATION_NAME} listener"));
    database.spawn_background(listen_forever(options, settings.acquire_timeout, users));
    Ok(())
}

async fn listen_forever(options: PgConnectOptions, timeout: Duration, users: Arc<UserDirectory>) {
    let mut delay = Duration::ZERO;
    loop {
        match listen(&options, timeout).await {
            Ok(mut listener) => {
                users.trust_cache_again();
                metrics::gauge!("user_changes_listening").set(1.0);
                tracing::info!(channel = CHANNEL, "listening for user changes");
                delay = Duration::ZERO;
                let reason = loop {
                    match listener.try_recv().await {
                        Ok(Some(notification)) => users.forget(notification.payload()).await,
                        Ok(None) => break "connection lost".to_owned(),
                        Err(error) => break error.to_string(),
                    }
                };
                users.distrust_cache();
                metrics::gauge!("user_changes_listening").set(0.0);
                tracing::warn!(%reason, "stopped hearing about user changes; reading users from the database until listening again");
            }
            Err(error) => {
                tracing::warn!(%error, retry_in_ms = delay.as_millis() as u64, "cannot listen for user changes; reading users from the database meanwhile");
            }
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).clamp(Duration::from_millis(250), MAX_RETRY_DELAY);
    }
}

/// A new session listening on [`CHANNEL`]. It reports a lost connection (`Ok(None)`)
/// instead of reconnecting quietly, so the caller knows what it may have missed.
async fn listen(options: &PgConnectOptions, timeout: Duration) -> Result<PgListener, sqlx::Error> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(timeout)
        .max_lifetime(None)
        .idle_timeout(None)
        .connect_lazy_with(options.clone());
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.eager_reconnect(false);
    listener.listen(CHANNEL).await?;
    Ok(listener)
}
