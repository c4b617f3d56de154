//! Why a request was not authenticated, and the RFC 6750 / RFC 9449 answer for each reason.

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};
use serde_json::json;

use crate::dpop::{DpopMode, DPOP_ALGORITHMS};

/// The protection space named in every Bearer challenge.
const REALM: &str = "api";
/// Seconds a client should wait before retrying when a dependency is down.
const RETRY_AFTER_SECS: &str = "5";
/// The response header carrying a fresh server nonce (RFC 9449 section 8).
pub const DPOP_NONCE: HeaderName = HeaderName::from_static("dpop-nonce");

/// The authorization scheme a request's credentials used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// `Authorization: Bearer` (RFC 6750).
    Bearer,
    /// `Authorization: DPoP` with a `DPoP` proof header (RFC 9449).
    Dpop,
}

/// Why a request's credentials were refused.
#[derive(Clone, Debug, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header, or a scheme this API does not take.
    #[error("Authentication credentials were not provided.")]
    MissingCredentials,
    /// The request itself is malformed (`invalid_request`).
    #[error("{0}")]
    InvalidRequest(&'static str),
    /// The token is malformed, expired, forged or not meant for us (`invalid_token`).
    #[error("{0}")]
    InvalidToken(&'static str),
    /// The token is valid but lacks a scope the route requires.
    #[error("insufficient scope: {0}")]
    InsufficientScope(&'static str),
    /// No signing keys could be obtained from the issuer.
    #[error("The authorization server's signing keys are unavailable; try again shortly.")]
    KeysUnavailable,
    /// DPoP used wrongly at the request level: a proof beside a Bearer token, the DPoP
    /// scheme without exactly one proof (`invalid_request`).
    #[error("{0}")]
    DpopRequest(&'static str),
    /// The token's key binding does not hold: a proof by another key, a DPoP-scheme
    /// token without `cnf.jkt`, a bound token sent as Bearer (`invalid_token`).
    #[error("{0}")]
    DpopBinding(&'static str),
    /// The DPoP proof is malformed, stale, or names another request (`invalid_dpop_proof`).
    #[error("{0}")]
    InvalidDpopProof(&'static str),
    /// The DPoP proof was used before (`invalid_dpop_proof`).
    #[error("DPoP proof has already been used.")]
    ReplayedDpopProof,
    /// The proof lacks a valid server nonce; the answer carries one (`use_dpop_nonce`).
    #[error("DPoP proof must carry the server's current nonce (DPoP-Nonce).")]
    DpopNonceRequired,
    /// Only DPoP-bound tokens are accepted and the request sent a Bearer token.
    #[error(
        "This API accepts only DPoP-bound tokens: send Authorization: DPoP with a DPoP proof."
    )]
    DpopRequired,
    /// Whether the proof was used before could not be checked.
    #[error("DPoP proofs cannot be checked right now; try again shortly.")]
    SeenProofsUnavailable,
}

impl AuthError {
    /// A short, fixed label for metrics: `auth_failures_total{reason="..."}`.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::MissingCredentials => "missing_credentials",
            Self::InvalidRequest(_) => "invalid_request",
            Self::InvalidToken(_) => "invalid_token",
            Self::InsufficientScope(_) => "insufficient_scope",
            Self::KeysUnavailable => "keys_unavailable",
            Self::DpopRequest(_) => "dpop_invalid_request",
            Self::DpopBinding(_) => "dpop_binding",
            Self::InvalidDpopProof(_) => "dpop_invalid_proof",
            Self::ReplayedDpopProof => "dpop_replayed_proof",
            Self::DpopNonceRequired => "dpop_nonce_required",
            Self::DpopRequired => "dpop_required",
            Self::SeenProofsUnavailable => "dpop_store_unavailable",
        }
    }

    /// The OAuth error code (RFC 6750 section 3.1, RFC 9449 sections 7.1 and 9), when
    /// there is one: none when credentials are missing or a dependency is down.
    pub fn error_code(&self) -> Option<&'static str> {
        match self {
            Self::InvalidRequest(_) | Self::DpopRequest(_) => Some("invalid_request"),
            Self::InvalidToken(_) | Self::DpopBinding(_) => Some("invalid_token"),
            Self::InsufficientScope(_) => Some("insufficient_scope"),
            Self::InvalidDpopProof(_) | Self::ReplayedDpopProof => Some("invalid_dpop_proof"),
            Self::DpopNonceRequired => Some("use_dpop_nonce"),
            Self::MissingCredentials
            | Self::DpopRequired
            | Self::KeysUnavailable
            | Self::SeenProofsUnavailable => None,
        }
    }

    /// Counts this failure in `auth_failures_total` (a no-op without a metrics recorder).
    pub(crate) fn counted(self) -> Self {
        metrics::counter!("auth_failures_total", "reason" => self.reason()).increment(1);
        self
    }

    /// The `WWW-Authenticate` value for a client that used `scheme` (`None`: no
    /// credentials) under `mode`: the error goes on the challenge of the scheme used,
    /// the other accepted scheme is offered bare. Parameters are comma-separated.
    pub(crate) fn challenge(&self, mode: DpopMode, scheme: Option<Scheme>) -> Option<String> {
        if self.status_code() == StatusCode::SERVICE_UNAVAILABLE {
            return None;
        }
        let params = match (self, self.error_code()) {
            (Self::InsufficientScope(scope), Some(code)) => {
                format!(r#"error="{code}", scope="{scope}""#)
            }
            (_, Some(code)) => format!(
                r#"error="{code}", error_description="{}""#,
                self.to_string().replace(['"', '\\'], "'")
            ),
            (_, None) => String::new(),
        };
        let bearer = |params: &str| match params {
            "" => format!(r#"Bearer realm="{REALM}""#),
            params => format!(r#"Bearer realm="{REALM}", {params}"#),
        };
        let dpop = |params: &str| match params {
            "" => format!(r#"DPoP algs="{DPOP_ALGORITHMS}""#),
            params => format!(r#"DPoP {params}, algs="{DPOP_ALGORITHMS}""#),
        };
        Some(match (mode, scheme) {
            (DpopMode::Disabled, _) => bearer(&params),
            (DpopMode::Required, _) => dpop(&params),
            (DpopMode::Allowed, Some(Scheme::Dpop)) => format!("{}, {}", dpop(&params), bearer("")),
            (DpopMode::Allowed, _) => format!("{}, {}", bearer(&params), dpop("")),
        })
    }
}

impl ResponseError for AuthError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::MissingCredentials
            | Self::InvalidToken(_)
            | Self::DpopBinding(_)
            | Self::DpopNonceRequired
            | Self::DpopRequired => StatusCode::UNAUTHORIZED,
            Self::InvalidRequest(_)
            | Self::DpopRequest(_)
            | Self::InvalidDpopProof(_)
            | Self::ReplayedDpopProof => StatusCode::BAD_REQUEST,
            Self::InsufficientScope(_) => StatusCode::FORBIDDEN,
            Self::KeysUnavailable | Self::SeenProofsUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// Rendered alone (without an [`Authenticator`](crate::Authenticator) at hand): a
    /// Bearer challenge and [`OAuthErrorBody`].
    fn error_response(&self) -> HttpResponse {
        OAuthErrorBody.render(&Refusal::new(self, DpopMode::Disabled, None, None))
    }
}

/// A refusal ready to be rendered: the error, and the headers the protocol requires.
pub struct Refusal<'a> {
    error: &'a AuthError,
    challenge: Option<String>,
    nonce: Option<String>,
}

impl<'a> Refusal<'a> {
    /// `error` for a client that used `scheme` under `mode`, with `nonce` as the new
    /// `DPoP-Nonce` (see [`Authenticator::refuse`](crate::Authenticator::refuse), which
    /// fills these in for a request).
    pub fn new(
        error: &'a AuthError,
        mode: DpopMode,
        scheme: Option<Scheme>,
        nonce: Option<String>,
    ) -> Self {
        Self {
            error,
            challenge: error.challenge(mode, scheme),
            nonce,
        }
    }

    /// Why the request was refused.
    pub fn error(&self) -> &AuthError {
        self.error
    }

    /// The response's status and headers: `WWW-Authenticate`, `DPoP-Nonce` when the
    /// client must use a new nonce, `Retry-After` on 503. A renderer adds the body.
    pub fn response(&self) -> HttpResponseBuilder {
        let mut response = HttpResponseBuilder::new(self.error.status_code());
        let headers = [
            (header::WWW_AUTHENTICATE, self.challenge.as_deref()),
            (DPOP_NONCE, self.nonce.as_deref()),
            (
                header::RETRY_AFTER,
                (self.error.status_code() == StatusCode::SERVICE_UNAVAILABLE)
                    .then_some(RETRY_AFTER_SECS),
            ),
        ];
        for (name, value) in headers {
            // Every value is built from fixed ASCII strings, so it is always valid.
            if let Some(value) = value.and_then(|value| HeaderValue::from_str(value).ok()) {
                response.insert_header((name, value));
            }
        }
        response
    }
}

/// Turns a refusal into the response a client sees; an application supplies its own
/// to keep the error bodies its clients already parse.
pub trait RenderRefusal: Send + Sync + 'static {
    /// The response for `refusal`; start from [`Refusal::response`] to keep the headers.
    fn render(&self, refusal: &Refusal<'_>) -> HttpResponse;
}

/// The default body: `{"error": "<code>", "error_description": "<why>"}` (RFC 6749
/// section 5.2's shape), without `error` when there is no code.
pub struct OAuthErrorBody;

impl RenderRefusal for OAuthErrorBody {
    fn render(&self, refusal: &Refusal<'_>) -> HttpResponse {
        let error = refusal.error();
        let body = match error.error_code() {
            Some(code) => json!({ "error": code, "error_description": error.to_string() }),
            None => json!({ "error_description": error.to_string() }),
        };
        refusal.response().json(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::to_bytes;

    async fn parts(
        err: AuthError,
        mode: DpopMode,
        scheme: Option<Scheme>,
    ) -> (u16, Option<String>, serde_json::Value) {
        let response = OAuthErrorBody.render(&Refusal::new(&err, mode, scheme, None));
        let status = response.status().as_u16();
        let challenge = response
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap().to_owned());
        let body = to_bytes(response.into_body()).await.unwrap();
        (status, challenge, serde_json::from_slice(&body).unwrap())
    }

    #[actix_web::test]
    async fn bearer_only_challenges_are_comma_separated() {
        let (status, challenge, body) = parts(
            AuthError::InvalidToken("Token has expired."),
            DpopMode::Disabled,
            Some(Scheme::Bearer),
        )
        .await;
        assert_eq!(status, 401);
        assert_eq!(
            challenge.unwrap(),
            r#"Bearer realm="api", error="invalid_token", error_description="Token has expired.""#
        );
        assert_eq!(
            body,
            json!({"error": "invalid_token", "error_description": "Token has expired."})
        );
        let (status, challenge, _) = parts(
            AuthError::InsufficientScope("read:messages"),
            DpopMode::Disabled,
            Some(Scheme::Bearer),
        )
        .await;
        assert_eq!(status, 403);
        assert_eq!(
            challenge.unwrap(),
            r#"Bearer realm="api", error="insufficient_scope", scope="read:messages""#
        );
    }

    #[actix_web::test]
    async fn the_error_goes_on_the_challenge_of_the_scheme_used() {
        let missing = AuthError::MissingCredentials;
        assert_eq!(
            missing.challenge(DpopMode::Allowed, None).unwrap(),
            r#"Bearer realm="api", DPoP algs="ES256""#
        );
        assert_eq!(
            missing.challenge(DpopMode::Required, None).unwrap(),
            r#"DPoP algs="ES256""#
        );
        let proof = AuthError::InvalidDpopProof("DPoP proof has no jti.");
        assert_eq!(
            proof
                .challenge(DpopMode::Allowed, Some(Scheme::Dpop))
                .unwrap(),
            r#"DPoP error="invalid_dpop_proof", error_description="DPoP proof has no jti.", algs="ES256", Bearer realm="api""#
        );
        let token = AuthError::InvalidToken("Token has expired.");
        assert_eq!(
            token
                .challenge(DpopMode::Allowed, Some(Scheme::Bearer))
                .unwrap(),
            r#"Bearer realm="api", error="invalid_token", error_description="Token has expired.", DPoP algs="ES256""#
        );
        let (status, challenge, body) = parts(
            AuthError::SeenProofsUnavailable,
            DpopMode::Required,
            Some(Scheme::Dpop),
        )
        .await;
        assert_eq!((status, challenge), (503, None));
        assert_eq!(body["error"], serde_json::Value::Null);
    }
}
