//! Settings read from the environment (after `.env`, if present, is loaded).
//!
//! Every variable is documented in `.env.example`. Parsing never panics: a
//! missing or malformed variable becomes a [`ConfigError`] naming the variable,
//! which `main` prints as one line before exiting with status 1. Each layer reads its
//! own settings (`AuthSettings` in the Auth0 layer, `DatabaseSettings`, `UserSettings`);
//! this module only puts them together.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use actix_auth0::AuthSettings;
use env_settings::{ConfigError, Env};

use crate::database::DatabaseSettings;
use crate::users::UserSettings;

/// Everything the service needs to start.
#[derive(Clone, Debug)]
pub struct Settings {
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub cors: CorsSettings,
    pub auth: AuthSettings,
    pub users: UserSettings,
    /// `RUST_LOG` directives, validated at start.
    pub log_filter: String,
    /// `LOG_FORMAT=json`: one JSON object per log line instead of text.
    pub log_json: bool,
}

#[derive(Clone, Debug)]
pub struct HttpSettings {
    pub host: IpAddr,
    /// `0` asks the OS for a free port (used by the tests).
    pub port: u16,
    /// Worker threads; `None` lets actix-web use one per core.
    pub workers: Option<usize>,
    /// Where Prometheus metrics are served (`METRICS_ADDR`); `None` turns them off.
    pub metrics_addr: Option<SocketAddr>,
    /// After SIGTERM, how long the instance keeps serving while `/readyz` says it is
    /// going (`SHUTDOWN_DRAIN_SECS`), so a load balancer stops sending it requests first.
    pub shutdown_drain: Duration,
    /// `/readyz` fails once the database has not answered for this long
    /// (`READINESS_DATABASE_GRACE_SECS`): a blip shorter than that takes no instance out.
    pub readiness_grace: Duration,
}

#[derive(Clone, Debug)]
pub struct CorsSettings {
    pub allowed_origins: Vec<String>,
}

impl Settings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let http = HttpSettings {
            host: env.parsed("HOST", IpAddr::from([0, 0, 0, 0]))?,
            port: env.parsed("PORT", 8000)?,
            workers: match env.parsed("HTTP_WORKERS", 0usize)? {
                0 => None,
                workers => Some(workers),
            },
            metrics_addr: parse_metrics_addr(env)?,
            shutdown_drain: env.seconds("SHUTDOWN_DRAIN_SECS", 0)?,
            readiness_grace: env.seconds("READINESS_DATABASE_GRACE_SECS", 10)?,
        };
        let database = DatabaseSettings::from_env(env)?;
        let cors = CorsSettings {
            allowed_origins: parse_origins(env)?,
        };
        let (log_filter, log_json) = Self::logging_from_env(env)?;
        let mut auth = AuthSettings::from_env(env)?;
        auth.jwks.user_agent = concat!("todo-api/", env!("CARGO_PKG_VERSION")).to_owned();
        Ok(Self {
            http,
            database,
            cors,
            auth,
            users: UserSettings::from_env(env)?,
            log_filter,
            log_json,
        })
    }
}

impl Settings {
    /// `RUST_LOG` (default `info`, validated) and whether `LOG_FORMAT` is `json`.
    fn logging_from_env(env: &Env) -> Result<(String, bool), ConfigError> {
        let filter = env.optional("RUST_LOG").unwrap_or_else(|| "info".into());
        tracing_subscriber::EnvFilter::try_new(&filter)
            .map_err(|err| ConfigError::new("RUST_LOG", format!("invalid filter: {err}")))?;
        let json = match env.optional("LOG_FORMAT").as_deref() {
            None | Some("text") => false,
            Some("json") => true,
            Some(other) => {
                return Err(ConfigError::new(
                    "LOG_FORMAT",
                    format!("invalid value {other:?}: expected text or json"),
                ))
            }
        };
        Ok((filter, json))
    }
}

fn parse_metrics_addr(env: &Env) -> Result<Option<SocketAddr>, ConfigError> {
    let Some(raw) = env.optional("METRICS_ADDR") else {
        return Ok(None);
    };
    let addr: SocketAddr = raw.parse().map_err(|err| {
        ConfigError::new(
            "METRICS_ADDR",
            format!("invalid value {raw:?}: {err} (e.g. 127.0.0.1:9100)"),
        )
    })?;
    let port = env.parsed("PORT", 8000u16)?;
    if addr.port() != 0 && addr.port() == port {
        return Err(ConfigError::new(
            "METRICS_ADDR",
            "must not be the public port (PORT): metrics are served on a listener of their own",
        ));
    }
    Ok(Some(addr))
}

fn parse_origins(env: &Env) -> Result<Vec<String>, ConfigError> {
    let origins = env.list("CORS_ALLOWED_ORIGINS", "http://localhost:4200");
    for origin in &origins {
        let valid = url::Url::parse(origin).is_ok_and(|url| {
            matches!(url.scheme(), "http" | "https")
                && url.origin().ascii_serialization() == *origin
        });
        if !valid {
            return Err(ConfigError::new(
                "CORS_ALLOWED_ORIGINS",
                format!("{origin:?} is not an origin like http://localhost:4200 (scheme://host[:port], no path or trailing slash)"),
            ));
        }
    }
    Ok(origins)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let env = Env::from_fn(|name| vars.get(name).cloned());
        Settings::from_env(&env)
    }

    const MINIMAL: &[(&str, &str)] = &[
        ("DATABASE_URL", "postgres://app@localhost/app"),
        ("AUTH0_DOMAIN", "example.us.auth0.com"),
        ("AUTH0_AUDIENCE", "https://todo-api"),
    ];

    fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut vars = MINIMAL.to_vec();
        vars.extend_from_slice(extra);
        vars
    }

    #[test]
    fn defaults_apply_when_only_required_variables_are_set() {
        let settings = settings(MINIMAL).expect("minimal settings are valid");
        assert_eq!(settings.http.host.to_string(), "0.0.0.0");
        assert_eq!(settings.http.port, 8000);
        assert_eq!(settings.database.max_connections, 10);
        assert!(settings.database.migrate);
        assert_eq!(settings.cors.allowed_origins, ["http://localhost:4200"]);
        assert_eq!(settings.log_filter, "info");
    }

    #[test]
    fn missing_database_url_is_named() {
        let err = settings(&MINIMAL[1..]).unwrap_err();
        assert_eq!(err.var, "DATABASE_URL");
        assert_eq!(err.to_string(), "DATABASE_URL: is required but not set");
    }

    #[test]
    fn malformed_values_are_named() {
        for (var, value) in [
            ("PORT", "eighty"),
            ("PORT", "70000"),
            ("HOST", "not-an-ip"),
            ("DATABASE_MAX_CONNECTIONS", "0"),
            ("DATABASE_MIGRATE", "maybe"),
            ("DATABASE_URL", "mysql://localhost/db"),
            ("DATABASE_DIRECT_URL", "mysql://localhost/db"),
            ("DATABASE_TRANSACTION_POOLER", "sometimes"),
            ("SHUTDOWN_DRAIN_SECS", "soon"),
            ("CORS_ALLOWED_ORIGINS", "http://localhost:4200/"),
            ("CORS_ALLOWED_ORIGINS", "localhost:4200"),
            ("RUST_LOG", "info,[=x"),
        ] {
            let err = settings(&with(&[(var, value)])).unwrap_err();
            assert_eq!(err.var, var, "{var}={value} gave {err}");
        }
    }

    #[test]
    fn the_direct_database_url_defaults_to_the_database_url() {
        let default = settings(MINIMAL).unwrap();
        assert_eq!(default.database.direct_url, default.database.url);
        assert!(!default.database.transaction_pooler);
        assert!(default.http.shutdown_drain.is_zero());
        assert_eq!(default.http.readiness_grace, Duration::from_secs(10));
        let pooled = settings(&with(&[
            ("DATABASE_URL", "postgres://app@pgbouncer:6432/app"),
            ("DATABASE_DIRECT_URL", "postgres://app@postgres/app"),
            ("DATABASE_TRANSACTION_POOLER", "true"),
        ]))
        .unwrap();
        assert_eq!(pooled.database.direct_url, "postgres://app@postgres/app");
        assert!(pooled.database.transaction_pooler);
    }

    #[test]
    fn database_url_password_is_not_in_debug_output() {
        let settings = settings(&with(&[
            ("DATABASE_URL", "postgres://app:hunter2@localhost/app"),
            (
                "DATABASE_DIRECT_URL",
                "postgres://app:hunter3@localhost/app",
            ),
        ]))
        .unwrap();
        let debug = format!("{settings:?}");
        assert!(!debug.contains("hunter2") && !debug.contains("hunter3"));
    }

    #[test]
    fn origins_are_split_and_trimmed() {
        let settings = settings(&with(&[(
            "CORS_ALLOWED_ORIGINS",
            " http://localhost:4200, https://app.example.com ,",
        )]))
        .unwrap();
        assert_eq!(
            settings.cors.allowed_origins,
            ["http://localhost:4200", "https://app.example.com"]
        );
    }
}
