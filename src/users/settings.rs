//! How tokens map to users, and how long mapped users are cached.

use std::time::Duration;

use env_settings::{ConfigError, Env};

/// How a valid token becomes a row in `users`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserMapping {
    /// One row per token subject, created on first sight (Django's RemoteUserBackend).
    Remote,
    /// Every token is the seeded `auth0user`, as the original tutorial did.
    Shared,
}

/// How tokens map to users, and how long mapped users are cached.
#[derive(Clone, Debug)]
pub struct UserSettings {
    pub mapping: UserMapping,
    /// How long a mapped user is reused without reading the database; zero disables the cache.
    pub cache_ttl: Duration,
    /// How many mapped users are cached at most; zero disables the cache.
    pub cache_capacity: u64,
}

impl UserSettings {
    /// `AUTH0_USER_MAPPING`, `USER_CACHE_TTL_SECS` and `USER_CACHE_CAPACITY`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let mapping = match env.optional("AUTH0_USER_MAPPING").as_deref() {
            None | Some("remote") => UserMapping::Remote,
            Some("shared") => UserMapping::Shared,
            Some(other) => {
                return Err(ConfigError::new(
                    "AUTH0_USER_MAPPING",
                    format!("invalid value {other:?}: expected remote or shared"),
                ))
            }
        };
        Ok(Self {
            mapping,
            cache_ttl: env.seconds("USER_CACHE_TTL_SECS", 60)?,
            cache_capacity: env.parsed("USER_CACHE_CAPACITY", 100_000)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_default_to_remote_users_and_name_bad_variables() {
        let unset = UserSettings::from_env(&Env::from_fn(|_| None)).unwrap();
        assert_eq!(unset.mapping, UserMapping::Remote);
        for (var, value) in [
            ("AUTH0_USER_MAPPING", "everyone"),
            ("USER_CACHE_TTL_SECS", "soon"),
            ("USER_CACHE_CAPACITY", "many"),
        ] {
            let env = Env::from_fn(|name| (name == var).then(|| value.to_owned()));
            assert_eq!(
                UserSettings::from_env(&env).unwrap_err().var,
                var,
                "{var}={value}"
            );
        }
    }
}
