//! The pool of connections that serves requests, on a thread of its own.

use std::time::Duration;

use deadpool::managed::{self, Metrics, Object, PoolError, RecycleResult};
use futures_util::future::BoxFuture;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};
use tokio::sync::oneshot;

use super::pooler::in_transaction;
use super::{is_connection_failure, DatabaseSettings};

/// The pool of connections that serves requests, driven by a thread of its own.
///
/// sqlx's own pool pings every connection as it goes back to the pool: a second round
/// trip for every query, holding the connection meanwhile. This pool (deadpool, holding
/// plain sqlx connections) hands a connection back as it is and checks it only after
/// an idle spell, so a request costs one round trip. Queries stay sqlx's
/// compile-time-checked macros, run on `&mut PgConnection`.
///
/// Queries run on the `database` thread's runtime, not on the HTTP worker that asked:
/// a busy worker polls its sockets only between the many requests it is serving, so a
/// reply sat unread and its connection stayed out of the pool meanwhile. The database
/// thread does nothing else, so a connection goes back as soon as its reply arrives.
pub struct Database {
    pool: managed::Pool<Connector>,
    request_timeout: Duration,
    /// Whether each call runs in a transaction of its own (see [`in_transaction`]).
    transaction_pooler: bool,
    /// The database thread's runtime, where every query runs.
    driver: tokio::runtime::Handle,
    /// Dropping it ends the database thread, closing its connections.
    _stop: oneshot::Sender<()>,
}

impl Database {
    /// A pool of at most `max_connections`, opened on first use, and the thread that
    /// runs its queries. Nothing is connected yet.
    pub fn new(settings: &DatabaseSettings) -> Result<Self, sqlx::Error> {
        let connector = Connector {
            options: settings.request_options()?,
            idle_check_after: settings.idle_check_after,
        };
        let acquire_timeout = Some(settings.acquire_timeout);
        // The wait for a free connection has no bound of its own: `run`'s deadline
        // covers it together with the query.
        let pool = managed::Pool::builder(connector)
            .max_size(settings.max_connections as usize)
            .runtime(deadpool::Runtime::Tokio1)
            .create_timeout(acquire_timeout)
            .recycle_timeout(acquire_timeout)
            .build()
            .expect("a runtime is configured, so building the pool cannot fail");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let driver = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel();
        std::thread::Builder::new()
            .name("database".into())
            .spawn(move || runtime.block_on(stopped))?;
        Ok(Self {
            pool,
            request_timeout: settings.request_timeout,
            transaction_pooler: settings.transaction_pooler,
            driver,
            _stop: stop,
        })
    }

    /// Runs `task` on the database thread until it ends or the thread stops (with the
    /// service): for sessions that live as long as the service, such as a LISTEN.
    pub fn spawn_background<F>(&self, task: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        self.driver.spawn(task);
    }

    /// The pool's connections: open, idle, and requests waiting for one.
    pub fn pool_status(&self) -> PoolStatus {
        let status = self.pool.status();
        PoolStatus {
            open: status.size,
            idle: status.available,
            waiting: status.waiting,
        }
    }

    /// Runs `query` on a pooled connection, on the database thread, within the request
    /// timeout (waiting for the connection included). A connection that failed, or whose
    /// query ran out of time, is closed rather than handed to the next request. The query
    /// runs to its end even if the caller stops waiting (its client went away).
    pub async fn run<T, Q>(&self, query: Q) -> Result<T, sqlx::Error>
    where
        T: Send + 'static,
        Q: for<'c> FnOnce(&'c mut PgConnection) -> BoxFuture<'c, Result<T, sqlx::Error>>
            + Send
            + 'static,
    {
        let (pool, budget) = (self.pool.clone(), self.request_timeout);
        let transaction_pooler = self.transaction_pooler;
        let outcome = self
            .driver
            .spawn(async move {
                let deadline = tokio::time::Instant::now() + budget;
                let checkout = tokio::time::timeout_at(deadline, pool.get());
                let checkout = match checkout.await {
                    Ok(connection) => connection.map_err(|error| match error {
                        PoolError::Backend(error) => error,
                        PoolError::Closed => sqlx::Error::PoolClosed,
                        // The last two cannot happen (the pool has a runtime and no hooks);
                        // like a timeout, they leave the request without a connection.
                        PoolError::Timeout(_)
                        | PoolError::NoRuntimeSpecified
                        | PoolError::PostCreateHook(_) => sqlx::Error::PoolTimedOut,
                    }),
                    Err(_) => Err(sqlx::Error::PoolTimedOut),
                };
                let mut connection = checkout.inspect_err(|_| count_error("connection"))?;
                let work = async {
                    if transaction_pooler {
                        in_transaction(&mut connection, query).await
                    } else {
                        query(&mut connection).await
                    }
                };
                let outcome = match tokio::time::timeout_at(deadline, work).await {
                    Ok(outcome) => outcome,
                    // Cut off mid-query, the connection's state is unknown.
                    Err(_) => Err(sqlx::Error::Io(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the database did not answer in time",
                    ))),
                };
                if let Err(error) = &outcome {
                    if is_connection_failure(error) {
                        // Out of the pool; dropping it closes the socket.
                        drop(Object::take(connection));
                        count_error("connection");
                    } else {
                        count_error("query");
                    }
                }
                outcome
            })
            .await;
        match outcome {
            Ok(outcome) => outcome,
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            // The database thread has stopped: the service is shutting down.
            Err(_) => Err(sqlx::Error::PoolClosed),
        }
    }
}

/// `database_errors_total{kind}`: `connection` (unreachable, timed out, ended by the
/// server) or `query`.
fn count_error(kind: &'static str) {
    metrics::counter!("database_errors_total", "kind" => kind).increment(1);
}

/// A snapshot of the request pool, for metrics.
#[derive(Clone, Copy, Debug)]
pub struct PoolStatus {
    pub open: usize,
    pub idle: usize,
    pub waiting: usize,
}

/// Opens connections for [`Database`] and checks them on their way out of the pool.
struct Connector {
    options: PgConnectOptions,
    /// A connection idle this long is pinged first, so one the server or a firewall
    /// dropped meanwhile is replaced instead of failing a request.
    idle_check_after: Duration,
}

impl managed::Manager for Connector {
    type Type = PgConnection;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<PgConnection, sqlx::Error> {
        self.options.connect().await
    }

    /// Free while the pool is busy; a ping only after a long idle spell. Nothing to
    /// drain: a query runs to its end on the database thread even when its client went
    /// away (see [`Database::run`]).
    async fn recycle(
        &self,
        connection: &mut PgConnection,
        metrics: &Metrics,
    ) -> RecycleResult<sqlx::Error> {
        if metrics.last_used() >= self.idle_check_after {
            connection.ping().await?;
        }
        Ok(())
    }
}
