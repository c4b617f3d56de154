//! Database connections: waiting for the server at start-up, the embedded migrations,
//! and the connection pool that serves requests.

use std::time::{Duration, Instant};

use deadpool::managed::{self, Metrics, Object, PoolError, RecycleResult};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};

/// The SQL migrations in `migrations/`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

/// A pooled connection idle for longer than this is pinged before use, so one the
/// server or a firewall dropped meanwhile is replaced instead of failing a request.
const IDLE_PING_AFTER: Duration = Duration::from_secs(30);

/// Opens single connections until one succeeds or `patience` runs out, logging each
/// failure with its reason, so the service can start alongside its database (as in
/// `docker compose up`).
pub async fn wait_until_reachable(
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

/// Whether `error` says the connection (or the server) failed, rather than the query.
pub fn is_connection_failure(error: &sqlx::Error) -> bool {
    matches!(
        error,
        sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
    )
}

/// The pool of connections that serves requests.
///
/// sqlx's own pool pings every connection as it goes back to the pool: a second round
/// trip for every query, holding the connection meanwhile. This pool (deadpool, holding
/// plain sqlx connections) hands a connection back as it is and checks it only after
/// an idle spell, so a request costs one round trip. Queries stay sqlx's
/// compile-time-checked macros, run on `&mut PgConnection`.
pub struct Database {
    pool: managed::Pool<Connector>,
}

impl Database {
    /// A pool of at most `size` connections, opened on first use. A request waits at
    /// most `acquire_timeout` for one.
    pub fn new(options: PgConnectOptions, size: usize, acquire_timeout: Duration) -> Self {
        // Every query here is a short indexed lookup whose best plan does not depend on
        // its parameters. Left to choose, Postgres re-plans the task list (its LIMIT and
        // OFFSET parameters make the generic plan look dearer) on every execution.
        let options = options.options([("plan_cache_mode", "force_generic_plan")]);
        let pool = managed::Pool::builder(Connector(options))
            .max_size(size)
            .runtime(deadpool::Runtime::Tokio1)
            .wait_timeout(Some(acquire_timeout))
            .create_timeout(Some(acquire_timeout))
            .recycle_timeout(Some(acquire_timeout))
            .build()
            .expect("a runtime is configured, so building the pool cannot fail");
        Self { pool }
    }

    /// Runs `query` on a pooled connection. A connection that failed is closed rather
    /// than handed to the next request.
    pub async fn run<T>(
        &self,
        query: impl AsyncFnOnce(&mut PgConnection) -> Result<T, sqlx::Error>,
    ) -> Result<T, sqlx::Error> {
        let mut connection = self.pool.get().await.map_err(|error| match error {
            PoolError::Backend(error) => error,
            PoolError::Closed => sqlx::Error::PoolClosed,
            // The last two cannot happen (the pool has a runtime and no hooks); like a
            // timeout, they leave the request without a connection.
            PoolError::Timeout(_)
            | PoolError::NoRuntimeSpecified
            | PoolError::PostCreateHook(_) => sqlx::Error::PoolTimedOut,
        })?;
        let outcome = query(&mut connection).await;
        if outcome.as_ref().is_err_and(is_connection_failure) {
            // Out of the pool; dropping it closes the socket.
            drop(Object::take(connection));
        }
        outcome
    }
}

/// Opens connections for [`Database`] and checks them on their way out of the pool.
struct Connector(PgConnectOptions);

impl managed::Manager for Connector {
    type Type = PgConnection;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<PgConnection, sqlx::Error> {
        self.0.connect().await
    }

    /// Free while the pool is busy; a ping only after a long idle spell. A query
    /// abandoned half-way (its client went away) needs nothing here: sqlx drains its
    /// pending replies before the connection's next query.
    async fn recycle(
        &self,
        connection: &mut PgConnection,
        metrics: &Metrics,
    ) -> RecycleResult<sqlx::Error> {
        if metrics.last_used() > IDLE_PING_AFTER {
            connection.ping().await?;
        }
        Ok(())
    }
}
