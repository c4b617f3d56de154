//! Settings read from the environment (after `.env`, if present, is loaded).
//!
//! Every variable is documented in `.env.example`. Parsing never panics: a
//! missing or malformed variable becomes a [`ConfigError`] naming the variable,
//! which `main` prints as one line before exiting with status 1.

use std::fmt::Display;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use crate::auth::AuthSettings;

/// Everything the service needs to start.
#[derive(Clone, Debug)]
pub struct Settings {
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub cors: CorsSettings,
    pub auth: AuthSettings,
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
}

#[derive(Clone)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
    pub migrate: bool,
    /// How long a request waits for a pooled connection before answering 503.
    pub acquire_timeout: Duration,
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
            .field("max_connections", &self.max_connections)
            .field("migrate", &self.migrate)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("idle_check_after", &self.idle_check_after)
            .finish()
    }
}

#[derive(Clone, Debug)]
pub struct CorsSettings {
    pub allowed_origins: Vec<String>,
}

/// A variable that is missing or cannot be used; `Display` is the one line shown to the operator.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

impl ConfigError {
    pub fn new(var: &'static str, problem: impl Into<String>) -> Self {
        Self {
            var,
            problem: problem.into(),
        }
    }
}

type Lookup<'a> = Box<dyn Fn(&str) -> Option<String> + 'a>;

/// Reads variables by name; the process environment in production, a map in unit tests.
pub struct Env<'a> {
    lookup: Lookup<'a>,
}

impl<'a> Env<'a> {
    pub fn process() -> Env<'static> {
        Env {
            lookup: Box::new(|name| std::env::var(name).ok()),
        }
    }

    pub fn from_fn(lookup: impl Fn(&str) -> Option<String> + 'a) -> Self {
        Env {
            lookup: Box::new(lookup),
        }
    }

    /// The trimmed value, with empty values treated as unset (as `.env` files often leave them).
    pub fn optional(&self, var: &str) -> Option<String> {
        (self.lookup)(var)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    }

    pub fn required(&self, var: &'static str) -> Result<String, ConfigError> {
        self.optional(var)
            .ok_or_else(|| ConfigError::new(var, "is required but not set"))
    }

    /// Parses `var` with `FromStr`, falling back to `default` when unset.
    pub fn parsed<T>(&self, var: &'static str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: Display,
    {
        match self.optional(var) {
            None => Ok(default),
            Some(raw) => raw
                .parse()
                .map_err(|err| ConfigError::new(var, format!("invalid value {raw:?}: {err}"))),
        }
    }

    /// Like [`Env::parsed`] for a count that must be at least `min`.
    pub fn at_least<T>(&self, var: &'static str, default: T, min: T) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + Display + Copy,
        T::Err: Display,
    {
        let value = self.parsed(var, default)?;
        if value < min {
            return Err(ConfigError::new(
                var,
                format!("must be at least {min}, got {value}"),
            ));
        }
        Ok(value)
    }

    pub fn seconds(&self, var: &'static str, default: u64) -> Result<Duration, ConfigError> {
        self.parsed(var, default).map(Duration::from_secs)
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`), case-insensitive.
    pub fn flag(&self, var: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.optional(var).map(|raw| raw.to_ascii_lowercase()) {
            None => Ok(default),
            Some(raw) => match raw.as_str() {
                "true" | "1" | "yes" => Ok(true),
                "false" | "0" | "no" => Ok(false),
                _ => Err(ConfigError::new(
                    var,
                    format!("invalid value {raw:?}: expected true or false"),
                )),
            },
        }
    }

    /// A comma-separated list with blanks dropped; `default` when unset.
    pub fn list(&self, var: &str, default: &str) -> Vec<String> {
        self.optional(var)
            .unwrap_or_else(|| default.to_owned())
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

impl Settings {
    pub fn from_process_env() -> Result<Self, ConfigError> {
        Self::from_env(&Env::process())
    }

    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let http = HttpSettings {
            host: env.parsed("HOST", IpAddr::from([0, 0, 0, 0]))?,
            port: env.parsed("PORT", 8000)?,
            workers: match env.parsed("HTTP_WORKERS", 0usize)? {
                0 => None,
                workers => Some(workers),
            },
        };
        let database = DatabaseSettings {
            url: parse_database_url(env)?,
            max_connections: env.at_least("DATABASE_MAX_CONNECTIONS", 10, 1)?,
            migrate: env.flag("DATABASE_MIGRATE", true)?,
            acquire_timeout: env.seconds("DATABASE_ACQUIRE_TIMEOUT_SECS", 3)?,
            connect_timeout: env.seconds("DATABASE_CONNECT_TIMEOUT_SECS", 30)?,
            idle_check_after: env.seconds("DATABASE_IDLE_CHECK_SECS", 30)?,
        };
        let cors = CorsSettings {
            allowed_origins: parse_origins(env)?,
        };
        let (log_filter, log_json) = Self::logging_from_env(env)?;
        Ok(Self {
            http,
            database,
            cors,
            auth: AuthSettings::from_env(env)?,
            log_filter,
            log_json,
        })
    }
}

impl Settings {
    /// `RUST_LOG` (default `info`, validated) and whether `LOG_FORMAT` is `json`.
    pub fn logging_from_env(env: &Env) -> Result<(String, bool), ConfigError> {
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

fn parse_database_url(env: &Env) -> Result<String, ConfigError> {
    let url = env.required("DATABASE_URL")?;
    match url::Url::parse(&url) {
        Ok(parsed) if matches!(parsed.scheme(), "postgres" | "postgresql") => Ok(url),
        Ok(parsed) => Err(ConfigError::new(
            "DATABASE_URL",
            format!(
                "scheme must be postgres:// or postgresql://, got {}://",
                parsed.scheme()
            ),
        )),
        // The URL may hold a password, so the value itself is not echoed.
        Err(err) => Err(ConfigError::new(
            "DATABASE_URL",
            format!("not a valid URL: {err}"),
        )),
    }
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
            ("CORS_ALLOWED_ORIGINS", "http://localhost:4200/"),
            ("CORS_ALLOWED_ORIGINS", "localhost:4200"),
            ("RUST_LOG", "info,[=x"),
        ] {
            let err = settings(&with(&[(var, value)])).unwrap_err();
            assert_eq!(err.var, var, "{var}={value} gave {err}");
        }
    }

    #[test]
    fn database_url_password_is_not_in_debug_output() {
        let settings = settings(&with(&[(
            "DATABASE_URL",
            "postgres://app:hunter2@localhost/app",
        )]))
        .unwrap();
        assert!(!format!("{settings:?}").contains("hunter2"));
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
