//! Database connections: waiting for the server at start-up, the embedded migrations,
//! the connection pool that serves requests, what a transaction-mode pooler needs, and
//! the readiness probe's own connection.

mod pool;
mod pooler;
pub mod probe;
mod settings;
mod startup;

pub use pool::{Database, PoolStatus};
pub use settings::DatabaseSettings;
pub use startup::connect_when_reachable;

/// The SQL migrations in `migrations/`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

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
