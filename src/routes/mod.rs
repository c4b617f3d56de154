//! Route registration, one file per resource.
//!
//! Routes are protected unless registered through [`PublicRoutes`]. Every resource
//! answers a method it lacks with 405 and `Allow` (RFC 9110 section 15.5.6), OPTIONS and
//! TRACE included; CORS preflights are answered before routing.

pub mod health;
pub mod me;
pub mod messages;
pub mod tasks;

use actix_auth0::PublicRoutes;
use actix_web::http::{header, Method};
use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpResponse, Resource, Route};

pub fn configure(cfg: &mut ServiceConfig, public: &mut PublicRoutes) {
    let get = |route| [(Method::GET, route)];
    cfg.service(public_endpoint(
        public,
        "/healthz",
        get(web::to(health::healthz)),
    ))
    .service(public_endpoint(
        public,
        "/readyz",
        get(web::to(health::readyz)),
    ))
    .service(public_endpoint(
        public,
        "/api/public",
        get(web::to(messages::public)),
    ))
    .service(endpoint(
        web::resource("/api/private"),
        get(web::to(messages::private)),
    ))
    .service(endpoint(
        web::resource("/api/private-scoped"),
        get(web::to(messages::private_scoped)),
    ))
    .service(endpoint(web::resource("/api/me"), get(web::to(me::me))))
    .service(endpoint(
        web::resource(["/api/task/", "/api/task"]),
        [
            (Method::GET, web::to(tasks::list)),
            (Method::POST, web::to(tasks::create)),
        ],
    ))
    .service(endpoint(
        web::resource(["/api/task/{id}/", "/api/task/{id}"]),
        [
            (Method::GET, web::to(tasks::retrieve)),
            (Method::PUT, web::to(tasks::update)),
            (Method::PATCH, web::to(tasks::partial_update)),
            (Method::DELETE, web::to(tasks::destroy)),
        ],
    ));
}

/// An [`endpoint`] at `path` whose routes need no token; any other method there is
/// protected (401 without a token, then 405).
pub fn public_endpoint<const N: usize>(
    public: &mut PublicRoutes,
    path: &str,
    routes: [(Method, Route); N],
) -> Resource {
    let resource = public.resource(path, routes.iter().map(|(method, _)| method.clone()));
    endpoint(resource, routes)
}

/// `resource` serving each route for its method, and 405 with `Allow` for any other.
pub fn endpoint<const N: usize>(resource: Resource, routes: [(Method, Route); N]) -> Resource {
    let allow = routes
        .iter()
        .map(|(method, _)| method.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    routes
        .into_iter()
        .fold(resource, |resource, (method, route)| {
            resource.route(route.method(method))
        })
        .default_service(web::to(move || {
            // The body is filled in by `error::json_error_bodies`, as for every 405.
            let response = HttpResponse::MethodNotAllowed()
                .insert_header((header::ALLOW, allow.clone()))
                .finish();
            async move { response }
        }))
}
