//! `AUTH0_DPOP_*` and `PUBLIC_URL`.

use std::time::Duration;

use actix_web::http::header::HOST;
use actix_web::HttpRequest;
use env_settings::{ConfigError, Env};
use url::Url;

/// Which token schemes the API accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DpopMode {
    /// Bearer tokens and DPoP-bound tokens with proofs (the default). A bound token sent
    /// as `Bearer` is refused.
    Allowed,
    /// DPoP-bound tokens with proofs only.
    Required,
    /// Bearer only, as before DPoP: `cnf` is ignored, `DPoP` headers too.
    Disabled,
}

/// How DPoP proofs are checked.
#[derive(Clone, Debug)]
pub struct DpopSettings {
    /// Which schemes are accepted.
    pub mode: DpopMode,
    /// How old a proof's `iat` may be.
    pub iat_offset: Duration,
    /// How far in the future a proof's `iat` may be (client clock skew).
    pub iat_leeway: Duration,
    /// Whether every proof must carry a nonce this API issued (`DPoP-Nonce`).
    pub require_nonce: bool,
    /// The URL clients call, which proofs must name.
    pub public_url: PublicUrl,
}

impl Default for DpopSettings {
    fn default() -> Self {
        Self {
            mode: DpopMode::Allowed,
            iat_offset: Duration::from_secs(300),
            iat_leeway: Duration::from_secs(30),
            require_nonce: false,
            public_url: PublicUrl::default(),
        }
    }
}

impl DpopSettings {
    /// `AUTH0_DPOP_MODE` (`allowed`, `required` or `disabled`),
    /// `AUTH0_DPOP_IAT_OFFSET_SECS` (300), `AUTH0_DPOP_IAT_LEEWAY_SECS` (30),
    /// `AUTH0_DPOP_REQUIRE_NONCE` (false) and `PUBLIC_URL`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let mode = match env
            .optional("AUTH0_DPOP_MODE")
            .map(|raw| raw.to_ascii_lowercase())
            .as_deref()
        {
            None | Some("allowed") => DpopMode::Allowed,
            Some("required") => DpopMode::Required,
            Some("disabled") => DpopMode::Disabled,
            Some(other) => {
                return Err(ConfigError::new(
                    "AUTH0_DPOP_MODE",
                    format!("invalid value {other:?}: expected allowed, required or disabled"),
                ))
            }
        };
        let require_nonce = env.flag("AUTH0_DPOP_REQUIRE_NONCE", false)?;
        if require_nonce && mode == DpopMode::Disabled {
            return Err(ConfigError::new(
                "AUTH0_DPOP_REQUIRE_NONCE",
                "needs AUTH0_DPOP_MODE allowed or required (DPoP is disabled)",
            ));
        }
        Ok(Self {
            mode,
            iat_offset: env.seconds("AUTH0_DPOP_IAT_OFFSET_SECS", defaults.iat_offset.as_secs())?,
            iat_leeway: env.seconds("AUTH0_DPOP_IAT_LEEWAY_SECS", defaults.iat_leeway.as_secs())?,
            require_nonce,
            public_url: PublicUrl::from_env(env)?,
        })
    }
}

/// The scheme, host and path prefix clients call this API at: `PUBLIC_URL` behind a
/// proxy or load balancer, else the request's `Host` and the connection's scheme.
/// `Forwarded` and `X-Forwarded-*` headers are never trusted: any client can send them.
#[derive(Clone, Debug, Default)]
pub struct PublicUrl {
    /// Without a trailing slash.
    configured: Option<String>,
}

impl PublicUrl {
    /// `PUBLIC_URL`, e.g. `https://api.example.com` (http or https, no query).
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let Some(raw) = env.optional("PUBLIC_URL") else {
            return Ok(Self::default());
        };
        let problem = |what: &str| ConfigError::new("PUBLIC_URL", format!("{raw:?} {what}"));
        let url = Url::parse(&raw).map_err(|err| problem(&format!("is not a URL: {err}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(problem("must be an http or https URL with a host"));
        }
        if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
            return Err(problem("must have no query, fragment or user name"));
        }
        Ok(Self {
            configured: Some(url.as_str().trim_end_matches('/').to_owned()),
        })
    }

    /// The absolute URL of `req`'s path (no query), as its client called it:
    /// `PUBLIC_URL` (scheme, host and any path prefix) or the request's own, then the path.
    pub fn url_of(&self, req: &HttpRequest) -> String {
        let path = req.uri().path();
        if let Some(configured) = &self.configured {
            return format!("{configured}{path}");
        }
        let scheme = if req.app_config().secure() {
            "https"
        } else {
            "http"
        };
        let host = req
            .headers()
            .get(HOST)
            .and_then(|host| host.to_str().ok())
            .or_else(|| req.uri().authority().map(|authority| authority.as_str()))
            .unwrap_or_else(|| req.app_config().host());
        format!("{scheme}://{host}{path}")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn dpop(vars: &[(&str, &str)]) -> Result<DpopSettings, ConfigError> {
        let vars: HashMap<&str, &str> = vars.iter().copied().collect();
        let env = Env::from_fn(|name| vars.get(name).map(|v| v.to_string()));
        DpopSettings::from_env(&env)
    }

    #[test]
    fn defaults_are_allowed_300_30_no_nonce() {
        let settings = dpop(&[]).unwrap();
        assert_eq!(settings.mode, DpopMode::Allowed);
        assert_eq!(settings.iat_offset, Duration::from_secs(300));
        assert_eq!(settings.iat_leeway, Duration::from_secs(30));
        assert!(!settings.require_nonce);
        let request = actix_web::test::TestRequest::get()
            .uri("/api/task/?limit=2")
            .insert_header((HOST, "api.test:8000"))
            .insert_header(("X-Forwarded-Host", "evil.example"))
            .to_http_request();
        assert_eq!(
            settings.public_url.url_of(&request),
            "http://api.test:8000/api/task/"
        );
        assert_eq!(
            dpop(&[("AUTH0_DPOP_MODE", "Required")]).unwrap().mode,
            DpopMode::Required
        );
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (var, value) in [
            ("AUTH0_DPOP_MODE", "optional"),
            ("AUTH0_DPOP_IAT_OFFSET_SECS", "-1"),
            ("AUTH0_DPOP_IAT_OFFSET_SECS", "five"),
            ("AUTH0_DPOP_IAT_LEEWAY_SECS", "-30"),
            ("AUTH0_DPOP_REQUIRE_NONCE", "maybe"),
            ("PUBLIC_URL", "api.example.com"),
            ("PUBLIC_URL", "ftp://api.example.com"),
            ("PUBLIC_URL", "https://api.example.com/?a=b"),
        ] {
            assert_eq!(dpop(&[(var, value)]).unwrap_err().var, var, "{var}={value}");
        }
        let nonce_without_dpop = dpop(&[
            ("AUTH0_DPOP_MODE", "disabled"),
            ("AUTH0_DPOP_REQUIRE_NONCE", "true"),
        ]);
        assert_eq!(
            nonce_without_dpop.unwrap_err().var,
            "AUTH0_DPOP_REQUIRE_NONCE"
        );
    }

    #[test]
    fn the_public_url_loses_its_trailing_slash() {
        let settings = dpop(&[("PUBLIC_URL", "https://API.example.com/todo/")]).unwrap();
        let request = actix_web::test::TestRequest::get()
            .uri("/api/task/")
            .to_http_request();
        assert_eq!(
            settings.public_url.url_of(&request),
            "https://api.example.com/todo/api/task/"
        );
    }
}
