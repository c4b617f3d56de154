//! What `manage.py` gives Django users: `todo-api migrate`, `todo-api check`, and
//! `todo-api users ...`. Each runs once and exits; `main` maps the outcome to an exit code.

mod check;
mod users;

use std::time::Duration;

use env_settings::ConfigError;
use sqlx::PgConnection;

use crate::database::{self, DatabaseSettings};

pub use check::check;
pub use users::{users, UsersCommand};

/// Why an admin command failed; `Display` is the line shown to the operator.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("configuration error: {0}")]
    Config(#[from] ConfigError),
    #[error("database unreachable: {0}")]
    Database(sqlx::Error),
    #[error("migrations failed: {0}")]
    Migrations(#[from] sqlx::migrate::MigrateError),
    #[error("no user has the username or subject {0:?}")]
    NoSuchUser(String),
    #[error("not confirmed: nothing was deleted (type the username, or pass --yes)")]
    NotConfirmed,
    #[error("{0} problem(s) found")]
    CheckFailed(usize),
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

/// One connection to the database, retried (a deploy step may start beside its database).
async fn connect(settings: &DatabaseSettings) -> Result<PgConnection, AdminError> {
    database::connect_when_reachable(settings)
        .await
        .map_err(AdminError::Database)
}

/// `todo-api migrate`: applies the embedded migrations and exits (a deploy step, an init
/// container). Concurrent runs are safe: sqlx serialises them with an advisory lock.
pub async fn migrate(settings: DatabaseSettings) -> Result<(), AdminError> {
    let mut connection = connect(&settings).await?;
    database::MIGRATOR.run(&mut connection).await?;
    println!(
        "migrations are up to date ({} known)",
        database::MIGRATOR
            .iter()
            .filter(|m| m.migration_type.is_up_migration())
            .count()
    );
    Ok(())
}

/// How long `check` waits for each dependency.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);
