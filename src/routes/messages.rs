//! The Auth0 API quickstart's endpoints, with its exact messages.

use actix_auth0::{Principal, RequiredScope, Scoped};
use actix_web::HttpResponse;
use serde_json::json;
use utoipa::ToSchema;

use crate::error::ErrorDetail;
use crate::users::AuthenticatedUser;

/// `{"message": "..."}`: the quickstart endpoints and a missing scope (403).
#[derive(serde::Serialize, ToSchema)]
pub struct Message {
    #[schema(example = "You don't have access to this resource")]
    pub message: String,
}

/// A 403 of `/api/private-scoped`: the quickstart's message for a missing scope, or a
/// token whose subject cannot be a user here.
#[derive(serde::Serialize, ToSchema)]
#[serde(untagged)]
pub enum Forbidden {
    MissingScope(Message),
    UserRefused(ErrorDetail),
}

/// The Auth0 quickstart's scope for `/api/private-scoped`.
pub struct ReadMessages;

impl RequiredScope for ReadMessages {
    const SCOPE: &'static str = "read:messages";
}

fn message(text: &str) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "message": text }))
}

/// `GET /api/public`: registered as public; the Authorization header is never read.
#[utoipa::path(get, path = "/api/public", tag = "quickstart",
    responses((status = 200, body = Message)))]
pub async fn public() -> HttpResponse {
    message("Hello from a public endpoint! You don't need to be authenticated to see this.")
}

/// `GET /api/private`: any valid token.
#[utoipa::path(get, path = "/api/private", tag = "quickstart",
    responses((status = 200, body = Message)),
    security(("bearer" = []), ("dpop" = [])))]
pub async fn private(_: Principal<AuthenticatedUser>) -> HttpResponse {
    message("Hello from a private endpoint! You need to be authenticated to see this.")
}

/// `GET /api/private-scoped`: a valid token granting `read:messages`.
#[utoipa::path(get, path = "/api/private-scoped", tag = "quickstart",
    responses((status = 200, body = Message),
              (status = 403, description = "The token lacks read:messages (`error=\"insufficient_scope\"`), or its subject cannot be a user here",
               body = Forbidden, headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"api\", error=\"insufficient_scope\", scope=\"read:messages\"`")))),
    security(("bearer" = ["read:messages"]), ("dpop" = ["read:messages"])))]
pub async fn private_scoped(_: Scoped<ReadMessages>) -> HttpResponse {
    message("Hello from a private endpoint! You need to be authenticated and have a scope of read:messages to see this.")
}
