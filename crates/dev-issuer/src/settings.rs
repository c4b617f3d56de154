//! The dev issuer's configuration: the same `AUTH0_ISSUER` and `AUTH0_AUDIENCE` the API
//! reads, so one `.env` configures both, plus `DEV_ISSUER_*`.

use std::net::SocketAddr;
use std::path::PathBuf;

use actix_auth0::{audience_from_env, ConfigError, Env};
use url::Url;

/// Where the single-page app is allowed to come from and go back to.
const DEFAULT_SPA_URL: &str = "http://localhost:4200";
const DEFAULT_USERS: &str = "auth0|alice=read:messages;auth0|bob=";

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
            client_secret: env
                .optional("DEV_ISSUER_CLIENT_SECRET")
                .unwrap_or_else(|| "dev-secret".into()),
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
        })
    }

    /// The default users: `auth0|alice` with `read:messages`, `auth0|bob` with none.
    pub fn default_users() -> Vec<DevUser> {
        DevUser::parse_list(DEFAULT_USERS).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
