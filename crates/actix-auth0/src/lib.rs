#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod claims;
mod credentials;
mod dpop;
mod error;
mod extractor;
mod jwks;
mod middleware;
mod settings;

use std::future::Future;
use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, ResponseError};

pub use claims::{CacheStats, Claims, TokenValidator};
pub use credentials::MAX_TOKEN_BYTES;
pub use dpop::{
    proof_header, verify_proof, DpopMode, DpopSettings, FirstSight, InMemorySeenProofs,
    NonceIssuer, ProofId, ProofRequest, PublicUrl, SeenProofs, SeenProofsError, VerifiedProof,
    DPOP_ALGORITHMS, MAX_JTI_CHARS, MAX_PROOF_BYTES,
};
pub use error::{AuthError, OAuthErrorBody, Refusal, RenderRefusal, Scheme, DPOP_NONCE};
pub use extractor::{Principal, RequiredScope, Scoped};
pub use jwks::{FetchError, KeyError, KeyStore, VerificationKey};
pub use middleware::{require_authentication, PublicRoutes};
pub use settings::{
    audience_from_env, AuthSettings, JwksSettings, ScopeSource, DEFAULT_JWKS_MAX_STALE_SECS,
    DEFAULT_LEEWAY_SECS,
};

/// How many proofs the default in-memory store remembers at most.
const IN_MEMORY_SEEN_PROOFS: u64 = 1_000_000;

/// Turns a request's credentials into validated claims: the token (Bearer, or DPoP with
/// its proof), and the refusal when they are not good.
pub struct Authenticator {
    tokens: TokenValidator,
    dpop: DpopSettings,
    seen_proofs: Box<dyn SeenProofs + Send + Sync>,
    nonces: Option<NonceIssuer>,
    renderer: Box<dyn RenderRefusal>,
}

/// A request whose credentials checked out.
pub struct Authenticated {
    /// The token's claims.
    pub claims: Arc<Claims>,
    /// The scheme it came with.
    pub scheme: Scheme,
    /// A newer server nonce for the client, when it used an older one.
    pub fresh_nonce: Option<String>,
}

/// A refused request: why, and the scheme the client used (for the challenge).
#[derive(Debug)]
pub struct Refused {
    /// Why.
    pub error: AuthError,
    /// The scheme of the request's `Authorization` header, when it had one this API takes.
    pub scheme: Option<Scheme>,
}

impl Authenticator {
    /// Prepares the JWKS client and the verified-token cache; nothing is fetched yet, so
    /// a service starts while its issuer is unreachable. Seen DPoP proofs are kept in
    /// memory and nonces are keyed per process until [`Authenticator::with_seen_proofs`]
    /// and [`Authenticator::with_nonce_key`] say otherwise; refusals are rendered by
    /// [`OAuthErrorBody`] until [`Authenticator::with_renderer`].
    pub fn new(settings: &AuthSettings) -> Result<Self, reqwest::Error> {
        if settings.is_development_issuer() {
            tracing::warn!(
                issuer = %settings.issuer,
                "the token issuer is plain http: a development issuer, never a real Auth0 tenant"
            );
        }
        if settings.jwks.insecure_http {
            tracing::warn!(
                jwks_uri = %settings.jwks_uri,
                "AUTH0_ALLOW_INSECURE_HTTP is set: signing keys are fetched over plain http; never do this in production"
            );
        }
        let keys = KeyStore::new(settings.jwks_uri.clone(), settings.jwks.clone())?;
        let dpop = settings.dpop.clone();
        let nonces = dpop.require_nonce.then(|| {
            let mut key = [0; 32];
            // An unusable system RNG leaves the key zero; with_nonce_key replaces it.
            let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut key);
            NonceIssuer::new(&key, dpop.iat_offset)
        });
        Ok(Self {
            tokens: TokenValidator::new(settings, keys),
            seen_proofs: Box::new(InMemorySeenProofs::new(
                dpop.iat_offset + dpop.iat_leeway,
                IN_MEMORY_SEEN_PROOFS,
            )),
            nonces,
            dpop,
            renderer: Box::new(OAuthErrorBody),
        })
    }

    /// Remembers seen DPoP proofs in `store`: one shared by every instance of the API,
    /// so a proof replayed to another instance is refused too.
    pub fn with_seen_proofs(mut self, store: impl SeenProofs + Send + Sync) -> Self {
        self.seen_proofs = Box::new(store);
        self
    }

    /// Keys server nonces with `key` (at least 32 random bytes), shared by every
    /// instance so that each accepts the others' nonces. Used when nonces are required.
    pub fn with_nonce_key(mut self, key: &[u8]) -> Self {
        if self.nonces.is_some() {
            self.nonces = Some(NonceIssuer::new(key, self.dpop.iat_offset));
        }
        self
    }

    /// Renders refusals with `renderer` (the default is [`OAuthErrorBody`]).
    pub fn with_renderer(mut self, renderer: impl RenderRefusal) -> Self {
        self.renderer = Box::new(renderer);
        self
    }

    /// How many verified tokens are remembered now; see [`TokenValidator::cached_tokens`].
    pub async fn cached_tokens(&self) -> u64 {
        self.tokens.cached_tokens().await
    }

    /// Hits and misses of the verified-token cache; see [`TokenValidator::cache_stats`].
    pub fn token_cache_stats(&self) -> CacheStats {
        self.tokens.cache_stats()
    }

    /// Checks `req`'s credentials: the token, and under the DPoP scheme its proof
    /// (RFC 9449 section 7), its key binding, nonce and first use.
    pub async fn authenticate(&self, req: &HttpRequest) -> Result<Authenticated, Refused> {
        let mode = self.dpop.mode;
        let credentials = credentials::extract(req.headers(), mode != DpopMode::Disabled)
            .map_err(|(error, scheme)| Refused { error, scheme })?;
        let scheme = credentials.scheme;
        let refused = |error| Refused {
            error,
            scheme: Some(scheme),
        };
        let token = credentials.token.token();
        let proof = match (mode, scheme) {
            (DpopMode::Disabled, _) => None,
            (DpopMode::Required, Scheme::Bearer) => return Err(refused(AuthError::DpopRequired)),
            (DpopMode::Allowed, Scheme::Bearer) if req.headers().contains_key("dpop") => {
                return Err(refused(AuthError::DpopRequest(
                    "A DPoP proof was sent with a Bearer token; use the DPoP scheme.",
                )))
            }
            (DpopMode::Allowed, Scheme::Bearer) => None,
            (_, Scheme::Dpop) => Some(proof_header(req.headers()).map_err(refused)?.ok_or(
                refused(AuthError::DpopRequest(
                    "The DPoP scheme needs exactly one DPoP proof header.",
                )),
            )?),
        };
        let claims = self.tokens.validate(token).await.map_err(refused)?;
        let Some(proof) = proof else {
            if mode != DpopMode::Disabled && claims.jkt.is_some() {
                return Err(refused(AuthError::DpopBinding(
                    "This token is bound to a key: send it with the DPoP scheme and a proof.",
                )));
            }
            return Ok(Authenticated {
                claims,
                scheme,
                fresh_nonce: None,
            });
        };
        let fresh_nonce = self
            .check_proof(req, proof, token, &claims)
            .await
            .map_err(refused)?;
        Ok(Authenticated {
            claims,
            scheme,
            fresh_nonce,
        })
    }

    /// The proof's checks after the token's; a newer nonce for the client, if any.
    async fn check_proof(
        &self,
        req: &HttpRequest,
        proof: &str,
        token: &str,
        claims: &Claims,
    ) -> Result<Option<String>, AuthError> {
        let jkt = claims.jkt.as_deref().ok_or(AuthError::DpopBinding(
            "Token is not bound to a key (no cnf.jkt); send it with the Bearer scheme.",
        ))?;
        let url = self.dpop.public_url.url_of(req);
        let proof = verify_proof(
            proof,
            &ProofRequest {
                method: req.method().as_str(),
                url: &url,
                token: Some(token),
                iat_offset: self.dpop.iat_offset,
                iat_leeway: self.dpop.iat_leeway,
            },
        )?;
        if proof.thumbprint != jkt {
            return Err(AuthError::DpopBinding(
                "DPoP proof was signed by another key than the token is bound to.",
            ));
        }
        let fresh_nonce = match &self.nonces {
            None => None,
            Some(nonces) => {
                let nonce = proof.nonce.as_deref().unwrap_or_default();
                if !nonces.accepts(nonce) {
                    return Err(AuthError::DpopNonceRequired);
                }
                Some(nonces.current()).filter(|current| current != nonce)
            }
        };
        let first = self
            .seen_proofs
            .first_sight(proof.id, proof.expires_at)
            .await
            .map_err(|err| {
                tracing::warn!(error = %err, "DPoP replay check failed");
                AuthError::SeenProofsUnavailable
            })?;
        if !first {
            return Err(AuthError::ReplayedDpopProof);
        }
        Ok(fresh_nonce)
    }

    /// The response refusing a request with `error`, whose client used `scheme`:
    /// challenges as the DPoP mode says, a new nonce when one is needed, rendered by
    /// the configured [`RenderRefusal`].
    pub fn refuse(&self, error: &AuthError, scheme: Option<Scheme>) -> HttpResponse {
        let nonce = match (error, &self.nonces) {
            (AuthError::DpopNonceRequired, Some(nonces)) => Some(nonces.current()),
            _ => None,
        };
        self.renderer
            .render(&Refusal::new(error, self.dpop.mode, scheme, nonce))
    }
}

/// The application's part of authentication: what a verified token means to it (a user
/// row, a tenant, ...). [`require_authentication`] calls it for every protected request
/// and hands the result to handlers as [`Principal<Self::Principal>`](Principal).
pub trait ResolvePrincipal: 'static {
    /// What handlers receive.
    type Principal: Clone + 'static;
    /// Why a valid token is still refused (an inactive user, an unreachable directory);
    /// its response is sent as it is, unless [`ResolvePrincipal::as_auth_error`] makes
    /// it an authentication refusal.
    type Error: ResponseError + 'static;

    /// The principal for these validated claims.
    fn resolve(
        &self,
        claims: &Arc<Claims>,
    ) -> impl Future<Output = Result<Self::Principal, Self::Error>>;

    /// `error` as an authentication refusal (such as `invalid_token` for a user who may
    /// no longer sign in), rendered with the challenges of the request's scheme; `None`
    /// (the default) sends `error`'s own response.
    fn as_auth_error(error: &Self::Error) -> Option<AuthError> {
        let _ = error;
        None
    }
}
