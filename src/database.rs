//! The connection pool and the embedded migrations.

use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};

use crate::configuration::DatabaseSettings;

/// The SQL migrations in `migrations/`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

/// Connects, retrying with back-off until `connect_timeout` has passed, so the service
/// can start alongside its database (as in `docker compose up`).
pub async fn connect(settings: &DatabaseSettings) -> Result<PgPool, sqlx::Error> {
    let options: PgConnectOptions = settings.url.parse()?;
    wait_until_reachable(&options, settings.connect_timeout).await?;
    PgPoolOptions::new()
        .max_connections(settings.max_connections)
        // Bounded queueing: a request waits this long for a connection, then gets a 503.
        .acquire_timeout(settings.acquire_timeout)
        // No ping round trip before every query: a dead connection fails the query
        // itself, which answers 503 and is not returned to the pool.
        .test_before_acquire(false)
        .connect_with(options)
        .await
}

/// Opens (and closes) single connections until one succeeds or `patience` runs out,
/// logging each failure with its reason.
async fn wait_until_reachable(
    options: &PgConnectOptions,
    patience: Duration,
) -> Result<(), sqlx::Error> {
    let deadline = Instant::now() + patience;
    let mut delay = Duration::from_millis(250);
    loop {
        let remaining = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(100));
        let error = match tokio::time::timeout(remaining, options.connect()).await {
            Ok(Ok(connection)) => return connection.close().await,
            Ok(Err(error)) => error,
            Err(_) => sqlx::Error::PoolTimedOut,
        };
        if Instant::now() + delay >= deadline {
            return Err(error);
        }
        tracing::warn!(%error, retry_in_ms = delay.as_millis() as u64, "database is not reachable yet");
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}
