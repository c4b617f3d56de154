//! What handlers receive: the application's principal, optionally proven to hold a scope.

use std::future::{ready, Ready};
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::error::InternalError;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use crate::{AuthError, Authenticator, Claims, Scheme};

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
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let principal = req.extensions().get::<Principal<P>>().cloned();
        ready(principal.ok_or_else(|| refusal(req, AuthError::MissingCredentials, None)))
    }
}

/// The validated claims of the request's token and the scheme it came with, as the
/// middleware stored them.
#[derive(Clone)]
pub(crate) struct VerifiedClaims {
    pub(crate) claims: Arc<Claims>,
    pub(crate) scheme: Scheme,
}

/// `error` as the app's authenticator renders it (or, without one, as
/// [`AuthError`]'s own response).
fn refusal(req: &HttpRequest, error: AuthError, scheme: Option<Scheme>) -> actix_web::Error {
    match req.app_data::<web::Data<Authenticator>>() {
        Some(authenticator) => {
            let response = authenticator.refuse(&error, scheme);
            InternalError::from_response(error, response).into()
        }
        None => error.into(),
    }
}

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
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verified = req.extensions().get::<VerifiedClaims>().cloned();
        let result = match verified {
            None => Err(refusal(req, AuthError::MissingCredentials, None)),
            Some(VerifiedClaims { claims, .. }) if claims.has_scope(S::SCOPE) => Ok(Scoped {
                claims,
                scope: PhantomData,
            }),
            Some(VerifiedClaims { scheme, .. }) => Err(refusal(
                req,
                AuthError::InsufficientScope(S::SCOPE).counted(),
                Some(scheme),
            )),
        };
        ready(result)
    }
}
