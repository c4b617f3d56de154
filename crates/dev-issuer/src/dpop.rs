//! DPoP at the issuer (RFC 9449 section 5): proofs at the token endpoint bind the tokens
//! it issues to the client's key; `/userinfo` takes such tokens with a proof.

use std::time::Duration;

use actix_auth0::{
    proof_header, verify_proof, InMemorySeenProofs, NonceIssuer, ProofRequest, SeenProofs,
    DPOP_NONCE,
};
use actix_web::http::header::HeaderMap;
use actix_web::http::StatusCode;

use crate::token::OAuthError;

/// How old a proof may be, and how far ahead: Auth0's and the API's defaults.
const IAT_OFFSET: Duration = Duration::from_secs(300);
const IAT_LEEWAY: Duration = Duration::from_secs(30);
/// How many proofs are remembered at most to refuse replays.
const SEEN_PROOFS: u64 = 100_000;

/// What the issuer keeps for DPoP: the proofs seen, and its nonces when it asks for them.
pub struct DpopState {
    seen: InMemorySeenProofs,
    nonces: Option<NonceIssuer>,
}

impl DpopState {
    pub fn new(require_nonce: bool) -> Self {
        let key = crate::store::random_token();
        Self {
            seen: InMemorySeenProofs::new(IAT_OFFSET + IAT_LEEWAY, SEEN_PROOFS),
            nonces: require_nonce.then(|| NonceIssuer::new(key.as_bytes(), IAT_OFFSET)),
        }
    }

    /// The thumbprint of the key of the request's proof, if it has one, after checking
    /// it for `method url` (and `access_token`'s hash when one is presented): signature,
    /// claims, nonce when required, first use.
    pub async fn proof_key(
        &self,
        headers: &HeaderMap,
        method: &str,
        url: &str,
        access_token: Option<&str>,
    ) -> Result<Option<String>, OAuthError> {
        let proof = match proof_header(headers) {
            Ok(Some(proof)) => proof,
            Ok(None) => return Ok(None),
            Err(err) => return Err(invalid_proof(&err.to_string())),
        };
        let request = ProofRequest {
            method,
            url,
            token: access_token,
            iat_offset: IAT_OFFSET,
            iat_leeway: IAT_LEEWAY,
        };
        let proof = verify_proof(proof, &request).map_err(|err| invalid_proof(&err.to_string()))?;
        if let Some(nonces) = &self.nonces {
            if !proof
                .nonce
                .as_deref()
                .is_some_and(|nonce| nonces.accepts(nonce))
            {
                return Err(OAuthError::new(
                    StatusCode::BAD_REQUEST,
                    "use_dpop_nonce",
                    "Authorization server requires nonce in DPoP proof",
                )
                .with_header(DPOP_NONCE, nonces.current()));
            }
        }
        let first = self
            .seen
            .first_sight(proof.id, proof.expires_at)
            .await
            .unwrap_or(false);
        if !first {
            return Err(invalid_proof("DPoP proof has already been used."));
        }
        Ok(Some(proof.thumbprint))
    }
}

pub fn invalid_proof(description: &str) -> OAuthError {
    OAuthError::new(StatusCode::BAD_REQUEST, "invalid_dpop_proof", description)
}
