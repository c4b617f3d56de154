//! Errors of the HTTP handlers, rendered in Django REST Framework's shapes, and a
//! safety net that turns any other error response into JSON.

use std::collections::BTreeMap;

use actix_auth0::{AuthError, Refusal, RenderRefusal};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};
use serde_json::json;
use utoipa::ToSchema;

/// Seconds a client should wait before retrying when a dependency is down.
const RETRY_AFTER_SECS: &str = "5";

/// `{"detail": ...}` with `status`, and `Retry-After` when the status is 503 (a
/// dependency is down): the one shape of every refusal that is not about fields.
pub fn detail_response(status: StatusCode, detail: &str) -> HttpResponse {
    let mut response = HttpResponseBuilder::new(status);
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECS));
    }
    response.json(json!({ "detail": detail }))
}

/// The Auth0 layer's refusals in the shapes the tutorial's clients parse: DRF's
/// `{"detail": ...}`, and the Auth0 quickstart's message for a missing scope. Status,
/// challenges and `DPoP-Nonce` are the layer's.
pub struct DrfRefusals;

impl RenderRefusal for DrfRefusals {
    fn render(&self, refusal: &Refusal<'_>) -> HttpResponse {
        let body = match refusal.error() {
            AuthError::InsufficientScope(_) => {
                json!({ "message": "You don't have access to this resource" })
            }
            error => json!({ "detail": error.to_string() }),
        };
        refusal.response().json(body)
    }
}

/// Messages per field, as DRF's `ValidationError` renders them: `{"title": ["..."]}`.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// `{"detail": "..."}`: authentication failures, 404, 413, 415, 503.
#[derive(serde::Serialize, ToSchema)]
pub struct ErrorDetail {
    #[schema(example = "Not found.")]
    pub detail: String,
}

/// One list of messages per invalid field, e.g. `{"title": ["This field is required."]}`.
#[derive(serde::Serialize, ToSchema)]
#[schema(example = json!({"title": ["Ensure this field has no more than 50 characters."]}))]
pub struct ValidationErrors(pub BTreeMap<String, Vec<String>>);

/// A 400 body: field errors, or `{"detail": ...}` for a body that is not JSON, a bad query
/// string, or several Authorization headers.
#[derive(serde::Serialize, ToSchema)]
#[serde(untagged)]
pub enum BadRequest {
    Fields(ValidationErrors),
    Detail(ErrorDetail),
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("Not found.")]
    NotFound,
    #[error("invalid input")]
    Validation(FieldErrors),
    /// A request-level problem rendered as `{"detail": ...}`.
    #[error("{0}")]
    BadRequest(String),
    #[error("Unsupported media type \"{0}\" in request.")]
    UnsupportedMediaType(String),
    #[error("Request body is too large (at most {0} bytes).")]
    PayloadTooLarge(usize),
    #[error("The database is unavailable; try again shortly.")]
    DatabaseUnavailable,
    #[error("A server error occurred.")]
    Internal,
    /// The request's user may not (or no longer) use the API.
    #[error(transparent)]
    User(#[from] crate::users::UserError),
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        // The database is down or unreachable, not the query wrong.
        if crate::database::is_connection_failure(&error) {
            tracing::warn!(%error, "database unavailable");
            Self::DatabaseUnavailable
        } else {
            tracing::error!(%error, "database query failed");
            Self::Internal
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Validation(_) | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::DatabaseUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::User(error) => error.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::User(error) => error.error_response(),
            Self::Validation(fields) => HttpResponse::build(self.status_code()).json(fields),
            other => detail_response(other.status_code(), &other.to_string()),
        }
    }
}

/// Middleware that gives error responses without a JSON body (the router's 404/405,
/// actix-web's own extractor and protocol errors) a `{"detail": ...}` body, keeping
/// status and headers. Bodies that are already JSON pass through untouched.
pub fn json_error_bodies<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(|res: ServiceResponse<B>| {
        let is_json = res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/json"));
        if is_json {
            return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
        }
        let detail = detail_for(res.status(), res.request().method().as_str());
        let (req, mut res) = res.into_parts();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let body = BoxBody::new(json!({ "detail": detail }).to_string());
        Ok(ErrorHandlerResponse::Response(
            ServiceResponse::new(req, res.set_body(body)).map_into_right_body(),
        ))
    })
}

/// DRF's wording where it has one, else the standard reason phrase.
fn detail_for(status: StatusCode, method: &str) -> String {
    match status {
        StatusCode::NOT_FOUND => "Not found.".into(),
        StatusCode::METHOD_NOT_ALLOWED => format!("Method \"{method}\" not allowed."),
        StatusCode::INTERNAL_SERVER_ERROR => "A server error occurred.".into(),
        status => status
            .canonical_reason()
            .map_or_else(|| status.to_string(), |reason| format!("{reason}.")),
    }
}
