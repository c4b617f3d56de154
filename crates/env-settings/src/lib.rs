//! Reading settings from environment variables without panicking.
//!
//! A missing or malformed variable becomes a [`ConfigError`] naming the variable, so a
//! service can print one line and exit instead of starting half-configured.

use std::fmt::Display;
use std::str::FromStr;
use std::time::Duration;

/// A variable that is missing or cannot be used; `Display` is the one line shown to the operator.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    /// The variable's name, e.g. `AUTH0_AUDIENCE`.
    pub var: &'static str,
    /// What is wrong with it, for a human.
    pub problem: String,
}

impl ConfigError {
    /// A problem with variable `var`.
    pub fn new(var: &'static str, problem: impl Into<String>) -> Self {
        Self {
            var,
            problem: problem.into(),
        }
    }
}

type Lookup<'a> = Box<dyn Fn(&str) -> Option<String> + 'a>;

/// Reads variables by name: the process environment in production, a map in tests.
pub struct Env<'a> {
    lookup: Lookup<'a>,
}

impl<'a> Env<'a> {
    /// The process environment.
    pub fn process() -> Env<'static> {
        Env {
            lookup: Box::new(|name| std::env::var(name).ok()),
        }
    }

    /// Variables answered by `lookup` (a map in tests, a config file, ...).
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

    /// The value of `var`, or an error saying it is required.
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

    /// A whole number of seconds, `default` when unset.
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
