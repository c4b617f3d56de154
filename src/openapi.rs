//! The OpenAPI 3 document, assembled from the handlers' annotations (`GET /openapi.json`).
//! The routes know nothing of it: it reads them, never the other way round.

use actix_auth0::PublicRoutes;
use actix_web::http::Method;
use actix_web::web::{self, ServiceConfig};
use actix_web::HttpResponse;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::error::{BadRequest, ErrorDetail, ValidationErrors};
use crate::routes::messages::{Forbidden, Message};
use crate::routes::{self, health::Status, tasks::TaskCreate, tasks::TaskPatch};

/// The two ways to present a token: `bearer`, and `dpop` (RFC 9449), which OpenAPI has
/// no HTTP scheme for, so it is described as the headers it takes.
struct TokenSchemes;

impl Modify for TokenSchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An RS256 access token issued by the configured Auth0 tenant for this API's audience.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "dpop",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`Authorization: DPoP <token>` with a token bound to a key (`cnf.jkt`), and a `DPoP` header: a fresh ES256 proof by that key (RFC 9449) naming the request's method and URL (PUBLIC_URL when set) and the token's hash. Challenges: `DPoP algs=\"ES256\"`; a bad proof is 400 `invalid_dpop_proof`; with nonces required, 401 `use_dpop_nonce` and a `DPoP-Nonce` header to retry with.",
            ))),
        );
    }
}

/// What the authentication layer may answer on every protected operation, documented
/// once here rather than on each handler: 400 (several Authorization headers), 401 with
/// its challenge, 403 (a user the token cannot be mapped to), 503 with `Retry-After`
/// (the tenant's keys or the database unreachable). A response a handler documents
/// itself (a 400 of field errors, a 403 for a missing scope) is kept.
struct ProtectedResponses;

impl Modify for ProtectedResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        // Each is `{"detail": ...}`, with the header that goes with it, if any.
        let response = |description: &str, header: Option<(&str, &str)>| {
            let builder = ResponseBuilder::new().description(description).content(
                "application/json",
                Content::new(Some(Ref::from_schema_name("ErrorDetail"))),
            );
            match header {
                Some((name, meaning)) => builder.header(
                    name,
                    HeaderBuilder::new()
                        .description(Some(meaning.to_owned()))
                        .build(),
                ),
                None => builder,
            }
            .build()
        };
        let challenge = Some((
            "WWW-Authenticate",
            "RFC 6750 / RFC 9449 challenges, e.g. `Bearer realm=\"api\", error=\"invalid_token\", error_description=\"...\", DPoP algs=\"ES256\"`",
        ));
        let responses: [(&str, Response); 4] = [
            ("400", response("Several Authorization headers (`error=\"invalid_request\"`), a DPoP proof that is malformed, stale, replayed or names another request (`error=\"invalid_dpop_proof\"`)", challenge)),
            ("401", response("No token, or a token that is not valid for this API, a proof by another key than the token is bound to, a missing DPoP nonce (`use_dpop_nonce`, with `DPoP-Nonce`), or a user that is inactive", challenge)),
            ("403", response("The token's subject cannot be a user here (its username belongs to another subject, or is too long)", None)),
            ("503", response("The tenant's signing keys or the database are unreachable; try again", Some(("Retry-After", "Seconds to wait: 5")))),
        ];
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten().filter(is_protected) {
                for (status, response) in &responses {
                    operation
                        .responses
                        .responses
                        .entry((*status).to_owned())
                        .or_insert_with(|| RefOr::T(response.clone()));
                }
            }
        }
    }
}

fn is_protected(operation: &&mut Operation) -> bool {
    operation
        .security
        .as_ref()
        .is_some_and(|requirements| !requirements.is_empty())
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "todo-api",
        description = "A todo API protected by Auth0-issued JWT access tokens. Every path also answers without its trailing slash."
    ),
    paths(
        routes::health::healthz,
        routes::health::readyz,
        routes::messages::public,
        routes::messages::private,
        routes::messages::private_scoped,
        routes::me::me,
        routes::tasks::list,
        routes::tasks::create,
        routes::tasks::retrieve,
        routes::tasks::update,
        routes::tasks::partial_update,
        routes::tasks::destroy,
        serve,
    ),
    components(schemas(ErrorDetail, Message, ValidationErrors, BadRequest, Forbidden, Status, TaskCreate, TaskPatch)),
    modifiers(&TokenSchemes, &ProtectedResponses),
    tags(
        (name = "tasks", description = "The caller's todo list"),
        (name = "quickstart", description = "Auth0's API quickstart endpoints"),
        (name = "service", description = "Health and documentation"),
    )
)]
pub struct ApiDoc;

/// Registers `GET /openapi.json` as a public route.
pub fn configure(cfg: &mut ServiceConfig, public: &mut PublicRoutes) {
    cfg.service(routes::public_endpoint(
        public,
        "/openapi.json",
        [(Method::GET, web::to(serve))],
    ));
}

/// The OpenAPI document of this API.
#[utoipa::path(get, path = "/openapi.json", tag = "service",
    responses((status = 200, description = "OpenAPI 3 document", content_type = "application/json")))]
async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
