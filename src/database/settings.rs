//! Where the database is and how the request pool connects to it (`DATABASE_*`).

use std::time::Duration;

use sqlx::postgres::PgConnectOptions;

use env_settings::{ConfigError, Env};

use super::APPLICATION_NAME;

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
