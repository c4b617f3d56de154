//! Waiting for the database at start-up, so the service can start alongside it.

use std::time::{Duration, Instant};

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, PgConnection};

use super::DatabaseSettings;

/// One session on Postgres itself (`direct_url`), retried for
/// `DATABASE_CONNECT_TIMEOUT_SECS`: for start-up's migrations and the admin commands, not
/// for requests (they use [`Database`](super::Database)).
pub async fn connect_when_reachable(
    settings: &DatabaseSettings,
) -> Result<PgConnection, sqlx::Error> {
    let options: PgConnectOptions = settings.direct_url.parse()?;
    wait_until_reachable(&options, settings.connect_timeout).await
}

/// Opens single connections until one succeeds or `patience` runs out, logging each
/// failure with its reason, so the service can start alongside its database (as in
/// `docker compose up`).
async fn wait_until_reachable(
    options: &PgConnectOptions,
    patience: Duration,
) -> Result<PgConnection, sqlx::Error> {
    let deadline = Instant::now() + patience;
    let mut delay = Duration::from_millis(250);
    loop {
        let remaining = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(100));
        let error = match tokio::time::timeout(remaining, options.connect()).await {
            Ok(Ok(connection)) => return Ok(connection),
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
