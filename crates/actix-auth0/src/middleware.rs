//! Protected by default: every request is authenticated unless its route was registered
//! through [`PublicRoutes::route`].

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ResourceDef, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::{self, ServiceConfig};
use actix_web::{Error, HttpMessage, Resource, Route};

use crate::extractor::VerifiedClaims;
use crate::{Authenticator, Principal, ResolvePrincipal};

/// The routes that need no token. Built while registering routes, then handed to the
/// middleware as app data (`web::Data<PublicRoutes>`).
#[derive(Default)]
pub struct PublicRoutes {
    patterns: Vec<ResourceDef>,
}

impl PublicRoutes {
    /// Registers `route` at `path` and exempts that path from authentication.
    pub fn route(&mut self, cfg: &mut ServiceConfig, path: &str, route: Route) {
        cfg.service(self.resource(path).route(route));
    }

    /// Exempts `path` from authentication and returns its resource, for routes of more
    /// than one method; register it with `cfg.service(...)`.
    pub fn resource(&mut self, path: &str) -> Resource {
        self.patterns.push(ResourceDef::new(path));
        web::resource(path)
    }

    fn contains(&self, path: &str) -> bool {
        self.patterns.iter().any(|pattern| pattern.is_match(path))
    }
}

/// App-wide middleware (`App::wrap(from_fn(require_authentication::<R>))`): authenticates
/// every request to a non-public path with the app's `web::Data<Authenticator>`, turns
/// the claims into a principal with its `web::Data<R>`, and stores the
/// [`Principal`] in the request. Failures are answered here as responses (not errors) so
/// outer middleware, such as CORS, still decorates them. Without an authenticator or a
/// resolver in the app data, every protected request fails closed with 500.
pub async fn require_authentication<R: ResolvePrincipal>(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let public = req
        .app_data::<web::Data<PublicRoutes>>()
        .is_some_and(|public| public.contains(req.match_info().as_str()));
    if public {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    let (Some(authenticator), Some(resolver)) = (
        req.app_data::<web::Data<Authenticator>>().cloned(),
        req.app_data::<web::Data<R>>().cloned(),
    ) else {
        return Ok(private(
            req.error_response(actix_web::error::ErrorInternalServerError(
                "authentication is not configured",
            )),
        )
        .map_into_right_body());
    };
    let claims = match authenticator.authenticate(req.headers()).await {
        Ok(claims) => claims,
        Err(err) => return Ok(private(req.error_response(err.counted())).map_into_right_body()),
    };
    match resolver.resolve(&claims).await {
        Ok(principal) => {
            req.extensions_mut().insert(Principal(principal));
            req.extensions_mut().insert(VerifiedClaims(claims));
            let response = next.call(req).await?;
            Ok(private(response).map_into_left_body())
        }
        Err(err) => Ok(private(req.error_response(err)).map_into_right_body()),
    }
}

/// Answers about a protected resource are per-user: no shared cache may keep them.
fn private<B>(mut response: ServiceResponse<B>) -> ServiceResponse<B> {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use actix_web::middleware::from_fn;
    use actix_web::{test, App, HttpResponse};

    use super::*;
    use crate::{AuthError, AuthSettings, Claims, Env};

    /// Never reached by the requests below: each is decided before a principal is needed.
    struct Unreachable;

    impl ResolvePrincipal for Unreachable {
        type Principal = ();
        type Error = AuthError;

        async fn resolve(&self, _: &Arc<Claims>) -> Result<(), AuthError> {
            unreachable!("no request here carries a valid token")
        }
    }

    #[actix_web::test]
    async fn a_route_registered_without_marking_is_protected() {
        let env = Env::from_fn(|name| match name {
            "AUTH0_ISSUER" => Some("http://127.0.0.1:9/".into()),
            "AUTH0_AUDIENCE" => Some("https://api".into()),
            _ => None,
        });
        let settings = AuthSettings::from_env(&env).unwrap();
        let authenticator = web::Data::new(Authenticator::new(&settings).unwrap());

        let mut public = PublicRoutes::default();
        let app = App::new()
            .app_data(authenticator)
            .app_data(web::Data::new(Unreachable))
            .configure(|cfg| {
                public.route(cfg, "/open/{name}", web::get().to(HttpResponse::Ok));
                // A handler that takes no extractor: only the middleware can protect it.
                cfg.route("/unmarked", web::get().to(HttpResponse::Ok));
            });
        let app = test::init_service(
            app.app_data(web::Data::new(public))
                .wrap(from_fn(require_authentication::<Unreachable>)),
        )
        .await;

        let unmarked = test::TestRequest::get().uri("/unmarked").to_request();
        assert_eq!(test::call_service(&app, unmarked).await.status(), 401);
        let garbage = test::TestRequest::get()
            .uri("/unmarked")
            .insert_header(("Authorization", "Bearer not.a.token"))
            .to_request();
        assert_eq!(test::call_service(&app, garbage).await.status(), 401);
        let open = test::TestRequest::get()
            .uri("/open/anything")
            .insert_header(("Authorization", "Bearer garbage!"))
            .to_request();
        assert_eq!(test::call_service(&app, open).await.status(), 200);
    }
}
