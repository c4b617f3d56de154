//! `todo-api check`: validates the configuration, reaches the database, checks the
//! migrations are applied, fetches the JWKS; one line per finding, non-zero on a problem.
//! A development issuer (plain http) is reported as a warning.

use std::collections::HashSet;

use actix_auth0::KeyStore;
use env_settings::Env;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, PgConnection};

use super::{AdminError, CHECK_TIMEOUT};
use crate::configuration::Settings;
use crate::database::MIGRATOR;

pub async fn check(env: &Env<'_>) -> Result<(), AdminError> {
    let settings = match Settings::from_env(env) {
        Ok(settings) => settings,
        Err(err) => {
            println!("problem: configuration: {err}");
            return Err(AdminError::CheckFailed(1));
        }
    };
    println!("ok: configuration");
    if settings.auth.is_development_issuer() {
        println!(
            "warning: issuer: development issuer {} (plain http): never a real Auth0 tenant, never in production",
            settings.auth.issuer
        );
    }
    let mut problems = 0;
    match database(&settings).await {
        Ok(line) => println!("ok: {line}"),
        Err(line) => {
            problems += 1;
            println!("problem: {line}");
        }
    }
    match keys(&settings).await {
        Ok(line) => println!("ok: {line}"),
        Err(line) => {
            problems += 1;
            println!("problem: {line}");
        }
    }
    match problems {
        0 => Ok(()),
        problems => Err(AdminError::CheckFailed(problems)),
    }
}

/// The database answers (through `DATABASE_URL`, and on `DATABASE_DIRECT_URL` when that
/// differs) and every embedded migration is applied.
async fn database(settings: &Settings) -> Result<String, String> {
    let database = &settings.database;
    let direct_options = database
        .direct_url
        .parse()
        .map_err(|err| format!("database: DATABASE_DIRECT_URL: {err}"))?;
    let mut direct = connect(direct_options, "DATABASE_DIRECT_URL").await?;
    let missing = missing_migrations(&mut direct).await?;
    if database.url != database.direct_url {
        // As the request pool connects, so a pooler accepts it as it accepts the pool.
        let options = database
            .request_options()
            .map_err(|err| format!("database: DATABASE_URL: {err}"))?;
        let mut pooled = connect(options, "DATABASE_URL").await?;
        // A simple query: nothing prepared, so any pooler mode carries it.
        sqlx::Executor::execute(&mut pooled, "SELECT 1")
            .await
            .map_err(|err| format!("database: DATABASE_URL: {err}"))?;
    }
    if missing.is_empty() {
        Ok("database reachable; migrations applied".into())
    } else {
        Err(format!(
            "database: migrations not applied: {} (run `todo-api migrate`)",
            missing.join(", ")
        ))
    }
}

async fn connect(options: PgConnectOptions, var: &str) -> Result<PgConnection, String> {
    tokio::time::timeout(CHECK_TIMEOUT, options.connect())
        .await
        .map_err(|_| {
            format!(
                "database: {var}: no answer within {}s",
                CHECK_TIMEOUT.as_secs()
            )
        })?
        .map_err(|err| format!("database: {var}: unreachable: {err}"))
}

async fn missing_migrations(connection: &mut PgConnection) -> Result<Vec<String>, String> {
    // Absent on a database never migrated.
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&mut *connection)
            .await
            .or_else(|err| match &err {
                sqlx::Error::Database(db) if db.code().as_deref() == Some("42P01") => {
                    Ok(Vec::new())
                }
                _ => Err(format!(
                    "database: cannot read the applied migrations: {err}"
                )),
            })?;
    let applied: HashSet<i64> = applied.into_iter().collect();
    Ok(MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration() && !applied.contains(&m.version))
        .map(|m| format!("{} {}", m.version, m.description))
        .collect())
}

/// The tenant's JWKS can be fetched and holds a usable key.
async fn keys(settings: &Settings) -> Result<String, String> {
    let uri = settings.auth.jwks_uri.clone();
    let store = KeyStore::new(uri.clone(), settings.auth.jwks.clone())
        .map_err(|err| format!("JWKS: cannot build the HTTP client: {err}"))?;
    match store.fetch_now().await {
        Ok(keys) => Ok(format!("JWKS at {uri}: {keys} signing key(s)")),
        Err(err) => Err(format!("JWKS at {uri}: {err}")),
    }
}
