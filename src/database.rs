//! Database connections: waiting for the server at start-up, the embedded migrations,
//! and the connection pool that serves requests.

use std::time::{Duration, Instant};

use deadpool::managed::{self, Metrics, Object, PoolError, RecycleResult};
use futures_util::future::BoxFuture;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};
use tokio::sync::oneshot;

use actix_auth0::{ConfigError, Env};

/// Where the database is and how the request pool uses it.
#[derive(Clone)]
pub struct DatabaseSettings {
    /// Where requests' queries go: Postgres, or a pooler in front of it.
    pub url: String,
    /// Postgres itself, for what needs a session of its own: migrations (an advisory
    /// lock) and hearing about user changes (LISTEN). `DATABASE_URL` unless set.
    pub direct_url: String,
    /// `url` is a transaction-mode pooler (PgBouncer `pool_mode = transaction`): each
    /// database call's queries run in one transaction, which drops the statements it
    /// prepared before it ends.
    pub transaction_pooler: bool,
    pub max_connections: u32,
    pub migrate: bool,
    /// How long opening a connection, or the idle check's ping, may take before the
    /// database counts as unreachable.
    pub acquire_timeout: Duration,
    /// Bound on one database call of a request: the wait for a pooled connection (a busy
    /// pool of a slow database is no outage), opening it, and the query; then 503.
    pub request_timeout: Duration,
    /// How long start-up keeps retrying an unreachable database before giving up.
    pub connect_timeout: Duration,
    /// A pooled connection idle this long is pinged before it serves a request.
    pub idle_check_after: Duration,
}

// The URL may carry a password: keep it out of `{:?}` output and logs.
impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &"<redacted>")
            .field("direct_url", &"<redacted>")
            .field("transaction_pooler", &self.transaction_pooler)
            .field("max_connections", &self.max_connections)
            .field("migrate", &self.migrate)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("idle_check_after", &self.idle_check_after)
            .finish()
    }
}

impl DatabaseSettings {
    /// `DATABASE_URL` (required) and the optional `DATABASE_*` tuning variables.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let url = parse_database_url(env, "DATABASE_URL")?;
        let direct_url = match env.optional("DATABASE_DIRECT_URL") {
            Some(_) => parse_database_url(env, "DATABASE_DIRECT_URL")?,
            None => url.clone(),
        };
        Ok(Self {
            url,
            direct_url,
            transaction_pooler: env.flag("DATABASE_TRANSACTION_POOLER", false)?,
            max_connections: env.at_least("DATABASE_MAX_CONNECTIONS", 10, 1)?,
            migrate: env.flag("DATABASE_MIGRATE", true)?,
            acquire_timeout: env.seconds("DATABASE_ACQUIRE_TIMEOUT_SECS", 3)?,
            request_timeout: Duration::from_secs(env.at_least(
                "DATABASE_REQUEST_TIMEOUT_SECS",
                8,
                1,
            )?),
            connect_timeout: env.seconds("DATABASE_CONNECT_TIMEOUT_SECS", 30)?,
            idle_check_after: env.seconds("DATABASE_IDLE_CHECK_SECS", 30)?,
        })
    }

    /// How the request pool connects to `url`, through a transaction pooler or not.
    pub fn request_options(&self) -> Result<PgConnectOptions, sqlx::Error> {
        let options: PgConnectOptions = self.url.parse()?;
        // Names the service's sessions in `pg_stat_activity`.
        let options = options.application_name(APPLICATION_NAME);
        Ok(if self.transaction_pooler {
            // Statements prepared in one transaction may be gone in the next (another
            // server session): cache none, and `Database::run` deallocates them before it
            // commits. PgBouncer refuses startup parameters it does not know.
            options.statement_cache_capacity(0).extra_float_digits(None)
        } else {
            // Every query here is a short indexed lookup whose best plan does not depend
            // on its parameters. Left to choose, Postgres re-plans the task list (its
            // LIMIT and OFFSET parameters make the generic plan look dearer) on every
            // execution.
            options.options([("plan_cache_mode", "force_generic_plan")])
        })
    }
}

fn parse_database_url(env: &Env, var: &'static str) -> Result<String, ConfigError> {
    let url = env.required(var)?;
    match url::Url::parse(&url) {
        Ok(parsed) if matches!(parsed.scheme(), "postgres" | "postgresql") => Ok(url),
        Ok(parsed) => Err(ConfigError::new(
            var,
            format!(
                "scheme must be postgres:// or postgresql://, got {}://",
                parsed.scheme()
            ),
        )),
        // The URL may hold a password, so the value itself is not echoed.
        Err(err) => Err(ConfigError::new(var, format!("not a valid URL: {err}"))),
    }
}

/// The SQL migrations in `migrations/`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

/// One session on Postgres itself (`direct_url`), retried for
/// `DATABASE_CONNECT_TIMEOUT_SECS`: for start-up's migrations and the admin commands, not
/// for requests (they use [`Database`]).
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

/// What the request pool's sessions are called in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "todo-api";

/// Whether `error` says the connection (or the server) failed, rather than the query:
/// I/O and protocol failures, and the server ending the session (SQLSTATE classes 08,
/// connection exception, and 57P, e.g. `pg_terminate_backend` or a shutdown).
pub fn is_connection_failure(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(error) => error
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}

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

/// Runs `query` in a transaction and drops the statements it prepared before the
/// transaction ends. A transaction-mode pooler hands the session to another client when a
/// transaction ends, and sqlx prepares a statement, then binds it, in two exchanges: in
/// one transaction both reach the same server session, and nothing prepared is left for
/// the session's next client.
async fn in_transaction<T, Q>(connection: &mut PgConnection, query: Q) -> Result<T, sqlx::Error>
where
    Q: for<'c> FnOnce(&'c mut PgConnection) -> BoxFuture<'c, Result<T, sqlx::Error>>,
{
    simple_query(connection, "BEGIN").await?;
    let outcome = query(&mut *connection).await;
    // One message each, so the pooler sees the end of the transaction only after the
    // deallocation.
    let end = match outcome {
        Ok(_) => "DEALLOCATE ALL; COMMIT",
        Err(_) => "ROLLBACK; DEALLOCATE ALL",
    };
    simple_query(connection, end).await?;
    outcome
}

/// Boxed, so the futures that embed it stay `Send` for every connection lifetime.
fn simple_query<'c>(
    connection: &'c mut PgConnection,
    sql: &'static str,
) -> BoxFuture<'c, Result<(), sqlx::Error>> {
    Box::pin(async move {
        // A `&str` with no arguments goes as one simple Query message.
        sqlx::Executor::execute(connection, sql).await?;
        Ok(())
    })
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
