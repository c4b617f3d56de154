//! Why a request was not authenticated, and the RFC 6750 response for each reason.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};
use serde_json::json;

/// The protection space named in every challenge.
const REALM: &str = "api";
/// Seconds a client should wait before retrying when a dependency is down.
const RETRY_AFTER_SECS: &str = "5";

/// A refusal as this crate answers it: `{"detail": ...}` with `status`, and
/// `Retry-After` when the status is 503 (a dependency is down). Applications use it for
/// their own refusals too, so every error has one shape and one retry hint.
pub fn detail_response(status: StatusCode, detail: &str) -> HttpResponse {
    let mut response = HttpResponseBuilder::new(status);
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECS));
    }
    response.json(json!({ "detail": detail }))
}

/// Why a request's credentials were refused. As an actix-web [`ResponseError`] it renders
/// the RFC 6750 response: status, `WWW-Authenticate` challenge and a JSON body.
#[derive(Clone, Debug, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header, or a scheme other than Bearer.
    #[error("Authentication credentials were not provided.")]
    MissingCredentials,
    /// The request itself is malformed (RFC 6750 `invalid_request`).
    #[error("{0}")]
    InvalidRequest(&'static str),
    /// The token is malformed, expired, forged or not meant for us (RFC 6750 `invalid_token`).
    #[error("{0}")]
    InvalidToken(&'static str),
    /// The token is valid but lacks a scope the route requires.
    #[error("insufficient scope: {0}")]
    InsufficientScope(&'static str),
    /// No signing keys could be obtained from the issuer.
    #[error("The authorization server's signing keys are unavailable; try again shortly.")]
    KeysUnavailable,
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
        }
    }

    /// Counts this failure in `auth_failures_total` (a no-op without a metrics recorder).
    pub(crate) fn counted(self) -> Self {
        metrics::counter!("auth_failures_total", "reason" => self.reason()).increment(1);
        self
    }

    /// The `WWW-Authenticate` value; parameters are comma-separated as RFC 7235 requires.
    fn challenge(&self) -> Option<String> {
        let invalid = |error: &str, description: &str| {
            format!(r#"Bearer realm="{REALM}", error="{error}", error_description="{description}""#)
        };
        match self {
            Self::MissingCredentials => Some(format!(r#"Bearer realm="{REALM}""#)),
            Self::InvalidRequest(reason) => Some(invalid("invalid_request", reason)),
            Self::InvalidToken(reason) => Some(invalid("invalid_token", reason)),
            Self::InsufficientScope(scope) => Some(format!(
                r#"Bearer realm="{REALM}", error="insufficient_scope", scope="{scope}""#
            )),
            Self::KeysUnavailable => None,
        }
    }
}

impl ResponseError for AuthError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::MissingCredentials | Self::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            Self::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            Self::InsufficientScope(_) => StatusCode::FORBIDDEN,
            Self::KeysUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = match self {
            // Auth0's quickstart answers a missing scope with exactly this body.
            Self::InsufficientScope(_) => HttpResponseBuilder::new(self.status_code())
                .json(json!({ "message": "You don't have access to this resource" })),
            _ => detail_response(self.status_code(), &self.to_string()),
        };
        if let Some(challenge) = self.challenge() {
            // Every reason is a fixed ASCII string, so the header is always valid.
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::to_bytes;

    async fn parts(err: AuthError) -> (u16, Option<String>, serde_json::Value) {
        let response = err.error_response();
        let status = response.status().as_u16();
        let challenge = response
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap().to_owned());
        let body = to_bytes(response.into_body()).await.unwrap();
        (status, challenge, serde_json::from_slice(&body).unwrap())
    }

    #[actix_web::test]
    async fn challenges_are_comma_separated() {
        let (status, challenge, body) = parts(AuthError::InvalidToken("Token has expired.")).await;
        assert_eq!(status, 401);
        assert_eq!(
            challenge.unwrap(),
            r#"Bearer realm="api", error="invalid_token", error_description="Token has expired.""#
        );
        assert_eq!(body, json!({"detail": "Token has expired."}));

        let (status, challenge, body) = parts(AuthError::InsufficientScope("read:messages")).await;
        assert_eq!(status, 403);
        assert_eq!(
            challenge.unwrap(),
            r#"Bearer realm="api", error="insufficient_scope", scope="read:messages""#
        );
        assert_eq!(
            body,
            json!({"message": "You don't have access to this resource"})
        );
    }
}
