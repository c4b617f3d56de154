//! Why a valid token's user is refused, rendered as the Auth0 layer renders refusals.

use actix_auth0::{AuthError, DpopMode, Refusal, RenderRefusal};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::error::{detail_response, DrfRefusals};

const INACTIVE: &str = "User inactive or deleted.";

/// Why a valid token's user may not use the API.
#[derive(Clone, Debug, thiserror::Error)]
pub enum UserError {
    /// The user row is deactivated, or gone.
    #[error("{INACTIVE}")]
    Inactive,
    /// The subject cannot be mapped to a user (name collision, name too long).
    #[error("{0}")]
    Refused(&'static str),
    /// The database could not be reached.
    #[error("The service is temporarily unavailable; try again shortly.")]
    Unavailable,
}

impl UserError {
    /// To the client, a user who may not sign in holds a token that is no longer good:
    /// `invalid_token`, with its challenge.
    pub fn as_auth_error(&self) -> Option<AuthError> {
        matches!(self, Self::Inactive).then_some(AuthError::InvalidToken(INACTIVE))
    }

    /// The label of `auth_failures_total{reason}`, beside the Auth0 layer's own reasons.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Inactive => "user_inactive",
            Self::Refused(_) => "user_refused",
            Self::Unavailable => "directory_unavailable",
        }
    }
}

impl ResponseError for UserError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Inactive => StatusCode::UNAUTHORIZED,
            Self::Refused(_) => StatusCode::FORBIDDEN,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self.as_auth_error() {
            // Outside authentication (a task written as the user is deleted) the
            // request's scheme is not at hand: both schemes are offered.
            Some(error) => DrfRefusals.render(&Refusal::new(&error, DpopMode::Allowed, None, None)),
            None => detail_response(self.status_code(), &self.to_string()),
        }
    }
}
