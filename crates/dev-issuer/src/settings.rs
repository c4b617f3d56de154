//! The dev issuer's configuration: the same `AUTH0_ISSUER` and `AUTH0_AUDIENCE` the API
//! reads, so one `.env` configures both, plus `DEV_ISSUER_*`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use actix_auth0::audience_from_env;
use env_settings::{ConfigError, Env};
use url::Url;

/// Where the single-page app is allowed to come from and go back to.
const DEFAULT_SPA_URL: &str = "http://localhost:4200";
const DEFAULT_USERS: &str = "auth0|alice=read:messages;auth0|bob=";
/// A shorter client secret is refused: it is all that stands between a caller and a token
/// for any subject.
const MIN_CLIENT_SECRET_CHARS: usize = 16;
const DAY_SECS: u64 = 86_400;

#[derive(Clone, Debug)]
pub struct DevIssuerSettings {
    /// Where to listen; loopback unless explicitly widened (a compose network).
    pub bind: SocketAddr,
    /// The `iss` of its tokens; `None` derives `http://<bind>/` once bound.
    pub issuer: Option<String>,
    pub audience: String,
    /// The machine-to-machine client (client credentials).
    pub client_id: String,
    pub client_secret: String,
    /// The single-page app (authorization code with PKCE, refresh tokens).
    pub spa: SpaClient,
    /// Who can log in on the login page, besides any user id typed there.
    pub users: Vec<DevUser>,
    /// Folder of the persisted signing key.
    pub key_dir: PathBuf,
    /// Lifetime of client-credentials access tokens.
    pub token_ttl_secs: u64,
    /// Lifetime of access and ID tokens issued to people through the single-page app
    /// (Auth0's "Token Expiration For Browser Flows").
    pub browser_token_ttl_secs: u64,
    /// How long login sessions and refresh tokens live.
    pub lifetimes: Lifetimes,
    /// The most entries of each kind (sessions, login forms, codes, refresh tokens) kept
    /// in memory; the least recently used go first.
    pub store_capacity: u64,
    /// Whether DPoP proofs at the token endpoint must carry its nonce, as Auth0 asks of
    /// public clients (`DEV_ISSUER_DPOP_REQUIRE_NONCE`).
    pub dpop_require_nonce: bool,
}

/// How long sessions and refresh tokens live: until idle that long, and at most that old.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lifetimes {
    pub session_idle: Duration,
    pub session_absolute: Duration,
    pub refresh_token_idle: Duration,
    pub refresh_token_absolute: Duration,
}

impl Default for Lifetimes {
    /// Auth0's defaults: sessions 3 days idle and 7 days at most; rotating refresh tokens
    /// 15 days idle and 30 days at most.
    fn default() -> Self {
        Self {
            session_idle: Duration::from_secs(3 * DAY_SECS),
            session_absolute: Duration::from_secs(7 * DAY_SECS),
            refresh_token_idle: Duration::from_secs(15 * DAY_SECS),
            refresh_token_absolute: Duration::from_secs(30 * DAY_SECS),
        }
    }
}

impl Lifetimes {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let secs = |var: &'static str, default: Duration| -> Result<Duration, ConfigError> {
            env.at_least(var, default.as_secs(), 1)
                .map(Duration::from_secs)
        };
        Ok(Self {
            session_idle: secs("DEV_ISSUER_SESSION_IDLE_SECS", defaults.session_idle)?,
            session_absolute: secs(
                "DEV_ISSUER_SESSION_LIFETIME_SECS",
                defaults.session_absolute,
            )?,
            refresh_token_idle: secs(
                "DEV_ISSUER_REFRESH_TOKEN_IDLE_SECS",
                defaults.refresh_token_idle,
            )?,
            refresh_token_absolute: secs(
                "DEV_ISSUER_REFRESH_TOKEN_LIFETIME_SECS",
                defaults.refresh_token_absolute,
            )?,
        })
    }
}

/// A public client (no secret), as Auth0's "Single Page Application" type.
#[derive(Clone, Debug)]
pub struct SpaClient {
    pub client_id: String,
    /// Allowed `redirect_uri`s, compared exactly.
    pub callback_urls: Vec<String>,
    /// Allowed `returnTo`s of `/v2/logout`, compared exactly.
    pub logout_urls: Vec<String>,
    /// Origins whose pages may call the token endpoint (CORS).
    pub web_origins: Vec<String>,
}

impl Default for SpaClient {
    fn default() -> Self {
        Self {
            client_id: "dev-spa".into(),
            callback_urls: vec![DEFAULT_SPA_URL.into()],
            logout_urls: vec![DEFAULT_SPA_URL.into()],
            web_origins: vec![DEFAULT_SPA_URL.into()],
        }
    }
}

/// A user of the login page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DevUser {
    /// e.g. `auth0|alice`.
    pub sub: String,
    /// The part after `|`: `alice`.
    pub name: String,
    /// `alice@example.com`.
    pub email: String,
    /// Auth0 RBAC permissions, put in the access token's `permissions`.
    pub permissions: Vec<String>,
}

impl DevUser {
    /// A user for `sub`, with a name and an address derived from it.
    pub fn new(sub: &str, permissions: Vec<String>) -> Self {
        let name = sub.rsplit('|').next().unwrap_or(sub).to_owned();
        Self {
            sub: sub.to_owned(),
            email: format!("{name}@example.com"),
            name,
            permissions,
        }
    }

    /// `auth0|alice=read:messages write:x;auth0|bob=`: users by subject, each with
    /// space-separated permissions.
    pub fn parse_list(list: &str) -> Result<Vec<Self>, String> {
        list.split(';')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                let (sub, permissions) = entry.split_once('=').unwrap_or((entry, ""));
                let sub = sub.trim();
                if sub.is_empty() || sub.chars().any(char::is_whitespace) {
                    return Err(format!("{entry:?} is not SUBJECT=PERMISSIONS"));
                }
                let permissions = permissions.split_whitespace().map(str::to_owned).collect();
                Ok(Self::new(sub, permissions))
            })
            .collect()
    }
}

impl DevIssuerSettings {
    /// An issuer on a free loopback port for `audience`, with the default users and
    /// single-page app, hour-long tokens and Auth0's lifetimes; for tests and benches,
    /// which change what they need.
    pub fn local(audience: &str, client_secret: &str, key_dir: PathBuf) -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            issuer: None,
            audience: audience.to_owned(),
            client_id: "dev-client".into(),
            client_secret: client_secret.to_owned(),
            spa: SpaClient::default(),
            users: Self::default_users(),
            key_dir,
            token_ttl_secs: 3600,
            browser_token_ttl_secs: 3600,
            lifetimes: Lifetimes::default(),
            store_capacity: 10_000,
            dpop_require_nonce: false,
        }
    }

    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let issuer = env.optional("AUTH0_ISSUER");
        let issuer_url = match &issuer {
            Some(issuer) => Some(Url::parse(issuer).map_err(|err| {
                ConfigError::new("AUTH0_ISSUER", format!("not a valid URL: {err}"))
            })?),
            None => None,
        };
        let default_port = issuer_url
            .as_ref()
            .and_then(Url::port_or_known_default)
            .unwrap_or(8001);
        let bind = env.parsed(
            "DEV_ISSUER_BIND",
            SocketAddr::from(([127, 0, 0, 1], default_port)),
        )?;
        let urls = |var: &'static str| -> Result<Vec<String>, ConfigError> {
            let urls = env.list(var, DEFAULT_SPA_URL);
            for url in &urls {
                Url::parse(url)
                    .map_err(|err| ConfigError::new(var, format!("{url:?} is not a URL: {err}")))?;
            }
            Ok(urls)
        };
        let users = DevUser::parse_list(
            &env.optional("DEV_ISSUER_USERS")
                .unwrap_or_else(|| DEFAULT_USERS.into()),
        )
        .map_err(|problem| ConfigError::new("DEV_ISSUER_USERS", problem))?;
        Ok(Self {
            bind,
            issuer,
            audience: audience_from_env(env)?,
            client_id: env
                .optional("DEV_ISSUER_CLIENT_ID")
                .unwrap_or_else(|| "dev-client".into()),
            client_secret: client_secret_from_env(env)?,
            spa: SpaClient {
                client_id: env
                    .optional("DEV_ISSUER_SPA_CLIENT_ID")
                    .unwrap_or_else(|| SpaClient::default().client_id),
                callback_urls: urls("DEV_ISSUER_CALLBACK_URLS")?,
                logout_urls: urls("DEV_ISSUER_LOGOUT_URLS")?,
                web_origins: urls("DEV_ISSUER_WEB_ORIGINS")?,
            },
            users,
            key_dir: env
                .optional("DEV_ISSUER_KEY_DIR")
                .unwrap_or_else(|| ".local/dev-issuer".into())
                .into(),
            token_ttl_secs: env.at_least("DEV_ISSUER_TOKEN_TTL_SECS", 86_400, 1)?,
            browser_token_ttl_secs: env.at_least("DEV_ISSUER_BROWSER_TOKEN_TTL_SECS", 7_200, 1)?,
            lifetimes: Lifetimes::from_env(env)?,
            store_capacity: env.at_least("DEV_ISSUER_STORE_CAPACITY", 10_000, 1)?,
            dpop_require_nonce: env.flag("DEV_ISSUER_DPOP_REQUIRE_NONCE", false)?,
        })
    }

    /// The default users: `auth0|alice` with `read:messages`, `auth0|bob` with none.
    pub fn default_users() -> Vec<DevUser> {
        DevUser::parse_list(DEFAULT_USERS).unwrap_or_default()
    }
}

/// `DEV_ISSUER_CLIENT_SECRET`: required, and long enough to guess at no better than
/// chance. There is no default: a documented one would let anyone mint tokens.
fn client_secret_from_env(env: &Env) -> Result<String, ConfigError> {
    const VAR: &str = "DEV_ISSUER_CLIENT_SECRET";
    let secret = env.optional(VAR).ok_or_else(|| {
        ConfigError::new(
            VAR,
            "is required: scripts/run generates one in .env on first use",
        )
    })?;
    if secret.chars().count() < MIN_CLIENT_SECRET_CHARS {
        return Err(ConfigError::new(
            VAR,
            format!("must be at least {MIN_CLIENT_SECRET_CHARS} characters (scripts/run generates one in .env)"),
        ));
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<DevIssuerSettings, ConfigError> {
        let env = Env::from_fn(|name| {
            vars.iter()
                .find(|(var, _)| *var == name)
                .map(|(_, value)| value.to_string())
        });
        DevIssuerSettings::from_env(&env)
    }

    #[test]
    fn the_client_secret_has_no_default_and_must_be_long() {
        let base = [("AUTH0_AUDIENCE", "https://api")];
        assert_eq!(settings(&base).unwrap_err().var, "DEV_ISSUER_CLIENT_SECRET");
        let mut short = base.to_vec();
        short.push(("DEV_ISSUER_CLIENT_SECRET", "dev-secret"));
        assert_eq!(
            settings(&short).unwrap_err().var,
            "DEV_ISSUER_CLIENT_SECRET"
        );
        let mut long = base.to_vec();
        long.push(("DEV_ISSUER_CLIENT_SECRET", "0123456789abcdef"));
        assert_eq!(settings(&long).unwrap().client_secret, "0123456789abcdef");
    }

    #[test]
    fn lifetimes_default_to_auth0s_and_can_be_set() {
        let base = [
            ("AUTH0_AUDIENCE", "https://api"),
            ("DEV_ISSUER_CLIENT_SECRET", "0123456789abcdef"),
        ];
        let defaults = settings(&base).unwrap();
        assert_eq!(
            defaults.lifetimes.refresh_token_absolute,
            Duration::from_secs(30 * DAY_SECS)
        );
        assert_eq!(
            defaults.lifetimes.refresh_token_idle,
            Duration::from_secs(15 * DAY_SECS)
        );
        let mut set = base.to_vec();
        set.extend([
            ("DEV_ISSUER_REFRESH_TOKEN_IDLE_SECS", "60"),
            ("DEV_ISSUER_SESSION_LIFETIME_SECS", "120"),
            ("DEV_ISSUER_STORE_CAPACITY", "5"),
        ]);
        let set = settings(&set).unwrap();
        assert_eq!(set.lifetimes.refresh_token_idle, Duration::from_secs(60));
        assert_eq!(set.lifetimes.session_absolute, Duration::from_secs(120));
        assert_eq!(set.store_capacity, 5);
        let mut zero = base.to_vec();
        zero.push(("DEV_ISSUER_SESSION_IDLE_SECS", "0"));
        assert_eq!(
            settings(&zero).unwrap_err().var,
            "DEV_ISSUER_SESSION_IDLE_SECS"
        );
    }

    #[test]
    fn users_are_parsed_with_their_permissions() {
        let users = DevUser::parse_list("auth0|alice=read:messages write:x; auth0|bob=").unwrap();
        assert_eq!(users[0].sub, "auth0|alice");
        assert_eq!(users[0].name, "alice");
        assert_eq!(users[0].email, "alice@example.com");
        assert_eq!(users[0].permissions, ["read:messages", "write:x"]);
        assert!(users[1].permissions.is_empty());
        assert!(DevUser::parse_list("not a subject=x").is_err());
        assert_eq!(DevIssuerSettings::default_users().len(), 2);
    }
}
