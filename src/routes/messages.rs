//! The Auth0 API quickstart's endpoints, with its exact messages.

use actix_web::HttpResponse;
use serde_json::json;

use crate::auth::{AuthenticatedUser, ReadMessages, Scoped};

fn message(text: &str) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "message": text }))
}

/// `GET /api/public`: registered as public; the Authorization header is never read.
#[utoipa::path(get, path = "/api/public", tag = "quickstart",
    responses((status = 200, body = crate::openapi::Message)))]
pub async fn public() -> HttpResponse {
    message("Hello from a public endpoint! You don't need to be authenticated to see this.")
}

/// `GET /api/private`: any valid token.
#[utoipa::path(get, path = "/api/private", tag = "quickstart",
    responses((status = 200, body = crate::openapi::Message),
              (status = 401, body = crate::openapi::ErrorDetail)),
    security(("bearer" = [])))]
pub async fn private(_: AuthenticatedUser) -> HttpResponse {
    message("Hello from a private endpoint! You need to be authenticated to see this.")
}

/// `GET /api/private-scoped`: a valid token granting `read:messages`.
#[utoipa::path(get, path = "/api/private-scoped", tag = "quickstart",
    responses((status = 200, body = crate::openapi::Message),
              (status = 401, body = crate::openapi::ErrorDetail),
              (status = 403, description = "The token lacks read:messages", body = crate::openapi::Message)),
    security(("bearer" = ["read:messages"])))]
pub async fn private_scoped(_: Scoped<ReadMessages>) -> HttpResponse {
    message("Hello from a private endpoint! You need to be authenticated and have a scope of read:messages to see this.")
}
