//! `GET /api/me`: the user the caller's token maps to.

use actix_auth0::Principal;
use actix_web::web::Json;

use crate::users::{AuthenticatedUser, User};

#[utoipa::path(get, path = "/api/me", tag = "quickstart",
    responses((status = 200, body = User)),
    security(("bearer" = []), ("dpop" = [])))]
pub async fn me(principal: Principal<AuthenticatedUser>) -> Json<User> {
    Json(User::clone(&principal.user))
}
