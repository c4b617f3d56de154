//! Which issuer and audience to trust, where the issuer's keys live, and how long
//! verified tokens and keys are kept.

use std::net::IpAddr;
use std::time::Duration;

use jsonwebtoken::Algorithm;
use url::Url;

use env_settings::{ConfigError, Env};

use crate::DpopSettings;

/// Clock skew tolerated on `exp`, `nbf` and `iat`. 30 s absorbs ordinary NTP drift
/// between Auth0 and this host without keeping an expired token usable for long.
pub const DEFAULT_LEEWAY_SECS: u64 = 30;

/// Keys fetched this long ago are no longer trusted while refreshes fail (6 hours).
pub const DEFAULT_JWKS_MAX_STALE_SECS: u64 = 6 * 3600;

/// Which claims grant a scope to a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeSource {
    /// The space-separated `scope` and Auth0 RBAC's `permissions` (the default).
    Both,
    /// Only `permissions`: with Auth0 RBAC on, a client cannot grant itself a scope by
    /// asking for it in the token request's `scope` parameter.
    Permissions,
}

/// Everything [`Authenticator`](crate::Authenticator) needs, usually read with
/// [`AuthSettings::from_env`].
#[derive(Clone, Debug)]
pub struct AuthSettings {
    /// Compared for exact equality with the token's `iss`.
    pub issuer: String,
    /// Where the issuer publishes its signing keys.
    pub jwks_uri: Url,
    /// The API identifier tokens must name in `aud`.
    pub audience: String,
    /// Accepted signing algorithms (asymmetric only).
    pub algorithms: Vec<Algorithm>,
    /// Clock skew tolerated on `exp`, `nbf` and `iat`.
    pub leeway: Duration,
    /// How many verified tokens are remembered (until their `exp`); zero disables the cache.
    pub token_cache_capacity: u64,
    /// Which claims grant scopes.
    pub scope_source: ScopeSource,
    /// How the key set is fetched and cached.
    pub jwks: JwksSettings,
    /// Whether and how DPoP-bound tokens are accepted.
    pub dpop: DpopSettings,
}

/// How the issuer's key set is fetched and cached.
#[derive(Clone, Debug)]
pub struct JwksSettings {
    /// How long a fetched key set is trusted before it is fetched again.
    pub cache_ttl: Duration,
    /// The least time between two fetches caused by an unknown `kid`.
    pub refetch_cooldown: Duration,
    /// Upper bound on one fetch, so no request hangs on a slow issuer.
    pub fetch_timeout: Duration,
    /// Keys fetched longer ago than this are dropped while refreshes keep failing, so a
    /// key the tenant removed (after a leak) stops being trusted even when this service
    /// cannot reach the issuer.
    pub max_stale: Duration,
    /// `http://` to a non-loopback host was explicitly allowed (logged as a warning at start).
    pub insecure_http: bool,
    /// The `User-Agent` of key set requests.
    pub user_agent: String,
}

impl AuthSettings {
    /// Reads the `AUTH0_*` variables: `AUTH0_DOMAIN` or `AUTH0_ISSUER` (both only when
    /// they name the same issuer), `AUTH0_AUDIENCE` (or `API_IDENTIFIER`), and optional
    /// `AUTH0_JWKS_URI`, `AUTH0_ALGORITHMS`, `AUTH0_LEEWAY_SECS`,
    /// `AUTH0_TOKEN_CACHE_CAPACITY`, `AUTH0_SCOPE_SOURCE`, `AUTH0_JWKS_CACHE_TTL_SECS`,
    /// `AUTH0_JWKS_COOLDOWN_SECS`, `AUTH0_JWKS_TIMEOUT_SECS`, `AUTH0_JWKS_MAX_STALE_SECS`,
    /// `AUTH0_ALLOW_INSECURE_HTTP`, and DPoP's (see [`DpopSettings::from_env`]).
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let issuer = issuer_from_env(env)?;

        let allow_insecure_http = env.flag("AUTH0_ALLOW_INSECURE_HTTP", false)?;
        let jwks_uri = match env.optional("AUTH0_JWKS_URI") {
            Some(uri) => ("AUTH0_JWKS_URI", uri),
            None => (
                "AUTH0_ISSUER",
                format!("{}/.well-known/jwks.json", issuer.trim_end_matches('/')),
            ),
        };
        let (jwks_uri, insecure_http) =
            parse_jwks_uri(jwks_uri.0, &jwks_uri.1, allow_insecure_http)?;

        let audience = audience_from_env(env)?;
        let cache_ttl = env.seconds("AUTH0_JWKS_CACHE_TTL_SECS", 600)?;
        let max_stale = env.seconds("AUTH0_JWKS_MAX_STALE_SECS", DEFAULT_JWKS_MAX_STALE_SECS)?;
        if max_stale < cache_ttl {
            return Err(ConfigError::new(
                "AUTH0_JWKS_MAX_STALE_SECS",
                format!(
                    "must be at least AUTH0_JWKS_CACHE_TTL_SECS ({}), got {}",
                    cache_ttl.as_secs(),
                    max_stale.as_secs()
                ),
            ));
        }

        Ok(Self {
            issuer,
            jwks_uri,
            audience,
            algorithms: parse_algorithms(&env.list("AUTH0_ALGORITHMS", "RS256"))?,
            leeway: env.seconds("AUTH0_LEEWAY_SECS", DEFAULT_LEEWAY_SECS)?,
            token_cache_capacity: env.parsed("AUTH0_TOKEN_CACHE_CAPACITY", 10_000)?,
            scope_source: scope_source_from_env(env)?,
            jwks: JwksSettings {
                cache_ttl,
                refetch_cooldown: env.seconds("AUTH0_JWKS_COOLDOWN_SECS", 30)?,
                fetch_timeout: Duration::from_secs(env.at_least(
                    "AUTH0_JWKS_TIMEOUT_SECS",
                    5,
                    1,
                )?),
                max_stale,
                insecure_http,
                user_agent: concat!("actix-auth0/", env!("CARGO_PKG_VERSION")).to_owned(),
            },
            dpop: DpopSettings::from_env(env)?,
        })
    }
}

impl AuthSettings {
    /// [`AuthSettings::from_env`] on the process environment.
    pub fn from_process_env() -> Result<Self, ConfigError> {
        Self::from_env(&Env::process())
    }

    /// Whether the issuer is plain http: a development issuer (such as a local Auth0
    /// stand-in), never a real tenant.
    pub fn is_development_issuer(&self) -> bool {
        self.issuer.starts_with("http://")
    }
}

/// The issuer `AUTH0_ISSUER` names, or `https://AUTH0_DOMAIN/`. Both set must agree: an
/// operator who sets a tenant's domain and forgets the development issuer would
/// otherwise trust the development issuer.
fn issuer_from_env(env: &Env) -> Result<String, ConfigError> {
    let issuer = env
        .optional("AUTH0_ISSUER")
        .map(|issuer| {
            Url::parse(&issuer)
                .map(|_| issuer)
                .map_err(|err| ConfigError::new("AUTH0_ISSUER", format!("not a valid URL: {err}")))
        })
        .transpose()?;
    let from_domain = env
        .optional("AUTH0_DOMAIN")
        .map(|domain| issuer_from_domain(&domain))
        .transpose()?;
    match (issuer, from_domain) {
        (Some(issuer), Some(from_domain)) if issuer.trim_end_matches('/') != from_domain.trim_end_matches('/') => {
            Err(ConfigError::new(
                "AUTH0_ISSUER",
                format!(
                    "{issuer:?} disagrees with AUTH0_DOMAIN, whose issuer is {from_domain:?}: set one of AUTH0_ISSUER and AUTH0_DOMAIN, or both to the same issuer"
                ),
            ))
        }
        (Some(issuer), _) => Ok(issuer),
        (None, Some(from_domain)) => Ok(from_domain),
        (None, None) => Err(ConfigError::new(
            "AUTH0_DOMAIN",
            "is required (or set AUTH0_ISSUER to the full issuer URL)",
        )),
    }
}

/// `AUTH0_SCOPE_SOURCE`: `both` (default) or `permissions`.
fn scope_source_from_env(env: &Env) -> Result<ScopeSource, ConfigError> {
    match env
        .optional("AUTH0_SCOPE_SOURCE")
        .map(|raw| raw.to_ascii_lowercase())
        .as_deref()
    {
        None | Some("both") => Ok(ScopeSource::Both),
        Some("permissions") => Ok(ScopeSource::Permissions),
        Some(other) => Err(ConfigError::new(
            "AUTH0_SCOPE_SOURCE",
            format!("invalid value {other:?}: expected both or permissions"),
        )),
    }
}

/// `AUTH0_AUDIENCE`, or `API_IDENTIFIER` (the name Auth0's samples use); required.
pub fn audience_from_env(env: &Env) -> Result<String, ConfigError> {
    env.optional("AUTH0_AUDIENCE")
        .or_else(|| env.optional("API_IDENTIFIER"))
        .ok_or_else(|| {
            ConfigError::new(
                "AUTH0_AUDIENCE",
                "is required (the API identifier from the Auth0 dashboard; API_IDENTIFIER is accepted too)",
            )
        })
}

fn issuer_from_domain(domain: &str) -> Result<String, ConfigError> {
    let issuer = format!("https://{domain}/");
    match Url::parse(&issuer) {
        Ok(url) if url.path() == "/" && url.query().is_none() && !domain.contains("://") => {
            Ok(issuer)
        }
        _ => Err(ConfigError::new(
            "AUTH0_DOMAIN",
            format!("{domain:?} is not a host name like example.us.auth0.com (no scheme, no path)"),
        )),
    }
}

/// Returns the URL and whether it is plain http to a non-loopback host.
fn parse_jwks_uri(
    var: &'static str,
    uri: &str,
    allow_insecure_http: bool,
) -> Result<(Url, bool), ConfigError> {
    let url = Url::parse(uri)
        .map_err(|err| ConfigError::new(var, format!("JWKS URL {uri:?} is not valid: {err}")))?;
    match url.scheme() {
        "https" => Ok((url, false)),
        "http" if is_loopback(&url) => Ok((url, false)),
        "http" if allow_insecure_http => Ok((url, true)),
        "http" => Err(ConfigError::new(
            var,
            format!("JWKS URL {uri:?} must use https (http is allowed for loopback hosts, or with AUTH0_ALLOW_INSECURE_HTTP=true)"),
        )),
        other => Err(ConfigError::new(
            var,
            format!("JWKS URL scheme must be https, got {other}"),
        )),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

fn parse_algorithms(names: &[String]) -> Result<Vec<Algorithm>, ConfigError> {
    const VAR: &str = "AUTH0_ALGORITHMS";
    if names.is_empty() {
        return Err(ConfigError::new(VAR, "must name at least one algorithm"));
    }
    names
        .iter()
        .map(|name| match name.parse::<Algorithm>() {
            Ok(Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) => Err(ConfigError::new(
                VAR,
                format!("{name} is symmetric; only asymmetric algorithms (RS*, PS*, ES*, EdDSA) can be verified with a JWKS"),
            )),
            Ok(alg) => Ok(alg),
            Err(_) => Err(ConfigError::new(
                VAR,
                format!("unknown algorithm {name:?}"),
            )),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn auth(vars: &[(&str, &str)]) -> Result<AuthSettings, ConfigError> {
        let vars: HashMap<&str, &str> = vars.iter().copied().collect();
        let env = Env::from_fn(|name| vars.get(name).map(|value| value.to_string()));
        AuthSettings::from_env(&env)
    }

    #[test]
    fn domain_gives_auth0_issuer_and_jwks() {
        let settings = auth(&[
            ("AUTH0_DOMAIN", "example.us.auth0.com"),
            ("AUTH0_AUDIENCE", "https://api"),
        ])
        .unwrap();
        assert_eq!(settings.issuer, "https://example.us.auth0.com/");
        assert_eq!(
            settings.jwks_uri.as_str(),
            "https://example.us.auth0.com/.well-known/jwks.json"
        );
        assert_eq!(settings.algorithms, [Algorithm::RS256]);
        assert_eq!(settings.leeway, Duration::from_secs(DEFAULT_LEEWAY_SECS));
    }

    #[test]
    fn issuer_and_domain_must_agree_when_both_are_set() {
        let err = auth(&[
            ("AUTH0_DOMAIN", "tenant.auth0.com"),
            ("AUTH0_ISSUER", "http://127.0.0.1:8001/"),
            ("AUTH0_AUDIENCE", "https://api"),
        ])
        .unwrap_err();
        assert_eq!(err.var, "AUTH0_ISSUER");
        assert!(err.problem.contains("AUTH0_DOMAIN"), "{err}");
        assert!(err.problem.contains("http://127.0.0.1:8001/"), "{err}");
        assert!(err.problem.contains("https://tenant.auth0.com/"), "{err}");
        let agreeing = auth(&[
            ("AUTH0_DOMAIN", "tenant.auth0.com"),
            ("AUTH0_ISSUER", "https://tenant.auth0.com/"),
            ("AUTH0_AUDIENCE", "https://api"),
        ])
        .unwrap();
        assert_eq!(agreeing.issuer, "https://tenant.auth0.com/");
        assert!(!agreeing.is_development_issuer());
    }

    #[test]
    fn scope_source_is_both_or_permissions() {
        let base = [("AUTH0_DOMAIN", "t.auth0.com"), ("AUTH0_AUDIENCE", "a")];
        assert_eq!(auth(&base).unwrap().scope_source, ScopeSource::Both);
        let mut permissions = base.to_vec();
        permissions.push(("AUTH0_SCOPE_SOURCE", "permissions"));
        assert_eq!(
            auth(&permissions).unwrap().scope_source,
            ScopeSource::Permissions
        );
    }

    #[test]
    fn stale_keys_are_kept_six_hours_by_default_and_never_less_than_the_ttl() {
        let base = [("AUTH0_DOMAIN", "t.auth0.com"), ("AUTH0_AUDIENCE", "a")];
        assert_eq!(
            auth(&base).unwrap().jwks.max_stale,
            Duration::from_secs(6 * 3600)
        );
        let mut short = base.to_vec();
        short.extend([
            ("AUTH0_JWKS_CACHE_TTL_SECS", "60"),
            ("AUTH0_JWKS_MAX_STALE_SECS", "59"),
        ]);
        assert_eq!(auth(&short).unwrap_err().var, "AUTH0_JWKS_MAX_STALE_SECS");
    }

    #[test]
    fn issuer_and_jwks_overrides_and_audience_alias() {
        let settings = auth(&[
            ("AUTH0_ISSUER", "http://127.0.0.1:9999/"),
            ("AUTH0_JWKS_URI", "http://localhost:9999/keys"),
            ("API_IDENTIFIER", "https://api"),
        ])
        .unwrap();
        assert_eq!(settings.issuer, "http://127.0.0.1:9999/");
        assert_eq!(settings.jwks_uri.as_str(), "http://localhost:9999/keys");
        assert_eq!(settings.audience, "https://api");
        assert!(!settings.jwks.insecure_http);
        assert!(settings.is_development_issuer());
    }

    #[test]
    fn plain_http_needs_loopback_or_explicit_opt_in() {
        let base = [
            ("AUTH0_ISSUER", "http://issuer:8080/"),
            ("AUTH0_AUDIENCE", "https://api"),
        ];
        assert_eq!(auth(&base).unwrap_err().var, "AUTH0_ISSUER");
        let mut allowed = base.to_vec();
        allowed.push(("AUTH0_ALLOW_INSECURE_HTTP", "true"));
        assert!(auth(&allowed).unwrap().jwks.insecure_http);
    }

    #[test]
    fn bad_values_name_their_variable() {
        let ok = [("AUTH0_DOMAIN", "t.auth0.com"), ("AUTH0_AUDIENCE", "a")];
        for (var, value) in [
            ("AUTH0_ALGORITHMS", "HS256"),
            ("AUTH0_ALGORITHMS", "RS256,XX999"),
            ("AUTH0_LEEWAY_SECS", "-1"),
            ("AUTH0_JWKS_URI", "ftp://t.auth0.com/keys"),
            ("AUTH0_JWKS_TIMEOUT_SECS", "0"),
            ("AUTH0_JWKS_MAX_STALE_SECS", "soon"),
            ("AUTH0_SCOPE_SOURCE", "scope"),
        ] {
            let mut vars = ok.to_vec();
            vars.push((var, value));
            assert_eq!(auth(&vars).unwrap_err().var, var, "{var}={value}");
        }
        assert_eq!(
            auth(&[
                ("AUTH0_DOMAIN", "https://t.auth0.com"),
                ("AUTH0_AUDIENCE", "a")
            ])
            .unwrap_err()
            .var,
            "AUTH0_DOMAIN"
        );
        assert_eq!(
            auth(&[("AUTH0_AUDIENCE", "a")]).unwrap_err().var,
            "AUTH0_DOMAIN"
        );
        assert_eq!(
            auth(&[("AUTH0_DOMAIN", "t.auth0.com")]).unwrap_err().var,
            "AUTH0_AUDIENCE"
        );
    }
}
