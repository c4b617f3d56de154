//! `GET /api/me`: the user the caller's token maps to.

use actix_web::web::Json;

use crate::auth::{AuthenticatedUser, User};

#[utoipa::path(get, path = "/api/me", tag = "quickstart",
    responses((status = 200, body = User), (status = 401, body = crate::openapi::ErrorDetail)),
    security(("bearer" = [])))]
pub async fn me(principal: AuthenticatedUser) -> Json<User> {
    Json(User::clone(&principal.user))
}
