//! Request extractors with Django REST Framework's error shapes.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::BytesMut;
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde_json::{Map, Value};

use crate::error::ApiError;

/// Request bodies larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A JSON object request body (`Content-Type: application/json`, at most 64 KiB).
///
/// - another media type: 415 `{"detail": "Unsupported media type \"text/plain\" in request."}`
/// - not JSON: 400 `{"detail": "JSON parse error - ..."}`
/// - JSON but not an object: 400 `{"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}`
pub struct JsonObject(pub Map<String, Value>);

impl FromRequest for JsonObject {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .unwrap_or_default();
        let declared_length = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !is_json(&content_type) {
                return Err(ApiError::UnsupportedMediaType(content_type));
            }
            if declared_length.is_some_and(|length| length > MAX_BODY_BYTES) {
                return Err(ApiError::PayloadTooLarge(MAX_BODY_BYTES));
            }
            let mut body = BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|err| {
                    ApiError::BadRequest(format!("Could not read the request body: {err}"))
                })?;
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(ApiError::PayloadTooLarge(MAX_BODY_BYTES));
                }
                body.extend_from_slice(&chunk);
            }
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(object)) => Ok(JsonObject(object)),
                Ok(other) => Err(field_error(
                    "non_field_errors",
                    format!(
                        "Invalid data. Expected a dictionary, but got {}.",
                        python_type_name(&other)
                    ),
                )),
                Err(err) => Err(ApiError::BadRequest(format!("JSON parse error - {err}"))),
            }
        })
    }
}

/// `application/json` or a `+json` type, parameters (charset) allowed.
fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The name DRF uses for a parsed JSON value's type in its messages.
fn python_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// A validation error with one message for one field.
pub fn field_error(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::Validation([(field.to_owned(), vec![message.into()])].into())
}
