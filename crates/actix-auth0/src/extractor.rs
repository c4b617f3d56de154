//! What handlers receive: the application's principal, optionally proven to hold a scope.

use std::future::{ready, Ready};
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use crate::{AuthError, Claims};

/// The principal [`ResolvePrincipal`](crate::ResolvePrincipal) made of the request's token.
///
/// Put in the request by [`require_authentication`](crate::require_authentication); a
/// handler that takes it on a route that was (wrongly) registered as public gets a 401,
/// never an anonymous principal. Dereferences to the principal.
#[derive(Clone, Debug)]
pub struct Principal<P>(pub P);

impl<P> Deref for Principal<P> {
    type Target = P;

    fn deref(&self) -> &P {
        &self.0
    }
}

impl<P: Clone + 'static> FromRequest for Principal<P> {
    type Error = AuthError;
    type Future = Ready<Result<Self, AuthError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Principal<P>>()
                .cloned()
                .ok_or(AuthError::MissingCredentials),
        )
    }
}

/// The validated claims of the request's token, as the middleware stored them.
#[derive(Clone)]
pub(crate) struct VerifiedClaims(pub(crate) Arc<Claims>);

/// A scope a route can require through [`Scoped`].
pub trait RequiredScope {
    /// The scope (or Auth0 RBAC permission) the token must grant, e.g. `read:messages`.
    const SCOPE: &'static str;
}

/// Proof that the request's token grants `S::SCOPE`; otherwise the request is answered
/// 403 `insufficient_scope` (401 without a token) before the handler runs.
pub struct Scoped<S: RequiredScope> {
    /// The validated claims that grant the scope.
    pub claims: Arc<Claims>,
    scope: PhantomData<S>,
}

impl<S: RequiredScope> FromRequest for Scoped<S> {
    type Error = AuthError;
    type Future = Ready<Result<Self, AuthError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = match req.extensions().get::<VerifiedClaims>() {
            None => Err(AuthError::MissingCredentials),
            Some(VerifiedClaims(claims)) if claims.has_scope(S::SCOPE) => Ok(Scoped {
                claims: Arc::clone(claims),
                scope: PhantomData,
            }),
            Some(_) => Err(AuthError::InsufficientScope(S::SCOPE).counted()),
        };
        ready(result)
    }
}
