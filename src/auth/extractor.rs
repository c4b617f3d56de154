//! What handlers receive: the authenticated user, optionally proven to hold a scope.

use std::future::{ready, Ready};
use std::marker::PhantomData;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use super::{AuthError, Claims, User};

/// The mapped user and the validated claims of the request's token.
///
/// Put in the request by [`super::require_authentication`]; a handler that takes it on
/// a route that was (wrongly) registered as public gets a 401, never an anonymous user.
#[derive(Clone, Debug)]
pub struct AuthenticatedUser {
    pub user: Arc<User>,
    pub claims: Arc<Claims>,
}

impl FromRequest for AuthenticatedUser {
    type Error = AuthError;
    type Future = Ready<Result<Self, AuthError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<AuthenticatedUser>()
                .cloned()
                .ok_or(AuthError::MissingCredentials),
        )
    }
}

/// A scope a route can require through [`Scoped`].
pub trait RequiredScope {
    const SCOPE: &'static str;
}

/// The Auth0 quickstart's scope for `/api/private-scoped`.
pub struct ReadMessages;

impl RequiredScope for ReadMessages {
    const SCOPE: &'static str = "read:messages";
}

/// An [`AuthenticatedUser`] whose token grants `S::SCOPE`; otherwise the request is
/// answered 403 `insufficient_scope` before the handler runs.
pub struct Scoped<S: RequiredScope> {
    pub principal: AuthenticatedUser,
    scope: PhantomData<S>,
}

impl<S: RequiredScope> FromRequest for Scoped<S> {
    type Error = AuthError;
    type Future = Ready<Result<Self, AuthError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let result = AuthenticatedUser::from_request(req, payload)
            .into_inner()
            .and_then(|principal| {
                if principal.claims.has_scope(S::SCOPE) {
                    Ok(Scoped {
                        principal,
                        scope: PhantomData,
                    })
                } else {
                    Err(AuthError::InsufficientScope(S::SCOPE))
                }
            });
        ready(result)
    }
}
