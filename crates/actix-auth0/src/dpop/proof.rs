//! Checking one DPoP proof (RFC 9449 section 4.3) against the request it came with.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::http::header::HeaderMap;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::digest::{digest, SHA256};
use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_FIXED};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{url, ProofId, MAX_JTI_CHARS, MAX_PROOF_BYTES};
use crate::AuthError;

/// What a proof must match.
pub struct ProofRequest<'a> {
    /// The request's method.
    pub method: &'a str,
    /// The URL the client called (normalised here before comparing).
    pub url: &'a str,
    /// The access token the proof must name in `ath`; `None` at a token endpoint, where
    /// no access token is presented.
    pub token: Option<&'a str>,
    /// How old `iat` may be.
    pub iat_offset: Duration,
    /// How far in the future `iat` may be.
    pub iat_leeway: Duration,
}

/// A proof whose signature and claims checked out. Its first use is for the caller to
/// check ([`SeenProofs`](crate::SeenProofs)), with [`VerifiedProof::id`].
pub struct VerifiedProof {
    /// RFC 7638 thumbprint of the proof's key, to compare with the token's `cnf.jkt`.
    pub thumbprint: String,
    /// Identifies the proof for replay detection.
    pub id: ProofId,
    /// The server nonce it carries, if any.
    pub nonce: Option<String>,
    /// When the proof can no longer be accepted, so its id can be forgotten.
    pub expires_at: SystemTime,
}

#[derive(Deserialize)]
struct Header {
    typ: Option<String>,
    alg: Option<String>,
    jwk: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
struct Claims {
    htm: Option<String>,
    htu: Option<String>,
    iat: Option<f64>,
    jti: Option<String>,
    ath: Option<String>,
    nonce: Option<String>,
}

/// Members that only a private or symmetric JWK has.
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

fn invalid(reason: &'static str) -> AuthError {
    AuthError::InvalidDpopProof(reason)
}

/// Verifies `proof` for `request`: a `dpop+jwt` signed with ES256 by the public P-256
/// key in its header, naming the request's method, URL and token, recently issued, with
/// a `jti`. Failures are [`AuthError::InvalidDpopProof`], or
/// [`AuthError::InvalidRequest`] when the request's own URL is not one.
pub fn verify_proof(proof: &str, request: &ProofRequest<'_>) -> Result<VerifiedProof, AuthError> {
    let request_htu = url::normalize(request.url).ok_or(AuthError::InvalidRequest(
        "The request's URL cannot be made from its Host header.",
    ))?;
    if proof.len() > MAX_PROOF_BYTES {
        return Err(invalid("DPoP proof is too large."));
    }
    let mut parts = proof.split('.');
    let (Some(header_b64), Some(claims_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid("DPoP proof is not a JWT."));
    };
    let header: Header =
        decode_json(header_b64).ok_or(invalid("DPoP proof header is malformed."))?;
    if !header
        .typ
        .is_some_and(|typ| typ.eq_ignore_ascii_case("dpop+jwt"))
    {
        return Err(invalid("DPoP proof typ must be dpop+jwt."));
    }
    if header.alg.as_deref() != Some("ES256") {
        return Err(invalid("DPoP proof algorithm is not accepted (ES256 is)."));
    }
    let jwk = header.jwk.ok_or(invalid("DPoP proof has no jwk."))?;
    let key = PublicKey::from_jwk(&jwk)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .map_err(|_| invalid("DPoP proof signature is malformed."))?;
    let signed = &proof[..header_b64.len() + 1 + claims_b64.len()];
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &key.point)
        .verify(signed.as_bytes(), &signature)
        .map_err(|_| invalid("DPoP proof signature is invalid."))?;

    let claims: Claims =
        decode_json(claims_b64).ok_or(invalid("DPoP proof claims are malformed."))?;
    let iat = claims
        .iat
        .filter(|iat| iat.is_finite())
        .ok_or(invalid("DPoP proof has no iat."))?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |elapsed| elapsed.as_secs_f64());
    if iat < now - request.iat_offset.as_secs_f64() || iat > now + request.iat_leeway.as_secs_f64()
    {
        return Err(invalid("DPoP proof iat is outside the acceptable range."));
    }
    if claims.htm.as_deref() != Some(request.method) {
        return Err(invalid("DPoP proof htm does not match the request method."));
    }
    let htu = claims.htu.ok_or(invalid("DPoP proof has no htu."))?;
    if url::normalize(&htu) != Some(request_htu) {
        return Err(invalid("DPoP proof htu does not match the request URL."));
    }
    let jti = claims
        .jti
        .filter(|jti| !jti.is_empty())
        .ok_or(invalid("DPoP proof has no jti."))?;
    if jti.chars().count() > MAX_JTI_CHARS {
        return Err(invalid("DPoP proof jti is too long."));
    }
    if let Some(token) = request.token {
        let ath = claims.ath.ok_or(invalid("DPoP proof has no ath."))?;
        if ath != URL_SAFE_NO_PAD.encode(digest(&SHA256, token.as_bytes())) {
            return Err(invalid("DPoP proof ath does not match the access token."));
        }
    }
    let expires_at = iat + request.iat_offset.as_secs_f64() + request.iat_leeway.as_secs_f64();
    Ok(VerifiedProof {
        id: ProofId::new(&key.thumbprint, &jti),
        thumbprint: key.thumbprint,
        nonce: claims.nonce,
        expires_at: UNIX_EPOCH + Duration::from_secs_f64(expires_at.max(0.0)),
    })
}

/// The request's `DPoP` header: `None` without one; more than one, or one that is not
/// text, is refused.
pub fn proof_header(headers: &HeaderMap) -> Result<Option<&str>, AuthError> {
    let mut proofs = headers.get_all("dpop");
    match (proofs.next(), proofs.next()) {
        (None, _) => Ok(None),
        (Some(proof), None) => proof
            .to_str()
            .map(Some)
            .map_err(|_| invalid("DPoP proof is not a JWT.")),
        (Some(_), Some(_)) => Err(AuthError::DpopRequest(
            "The DPoP scheme needs exactly one DPoP proof header.",
        )),
    }
}

fn decode_json<T: for<'de> Deserialize<'de>>(segment: &str) -> Option<T> {
    let bytes = URL_SAFE_NO_PAD.decode(segment).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// A proof's P-256 public key.
struct PublicKey {
    /// The uncompressed SEC1 point, `04 || x || y`.
    point: Vec<u8>,
    /// RFC 7638 thumbprint, base64url.
    thumbprint: String,
}

impl PublicKey {
    fn from_jwk(jwk: &Map<String, Value>) -> Result<Self, AuthError> {
        if PRIVATE_MEMBERS
            .iter()
            .any(|member| jwk.contains_key(*member))
        {
            return Err(invalid("DPoP proof jwk must be a public key."));
        }
        let member = |name: &str| jwk.get(name).and_then(Value::as_str);
        if member("kty") != Some("EC") || member("crv") != Some("P-256") {
            return Err(invalid("DPoP proof jwk must be an EC P-256 key."));
        }
        let coordinate = |name: &str| {
            member(name)
                .and_then(|value| URL_SAFE_NO_PAD.decode(value).ok())
                .filter(|bytes| bytes.len() == 32)
                .ok_or(invalid("DPoP proof jwk coordinates are malformed."))
        };
        let (x, y) = (coordinate("x")?, coordinate("y")?);
        // The thumbprint's members in lexicographic order, coordinates re-encoded so
        // that one key has one thumbprint (RFC 7638 section 3.2).
        let canonical = format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            URL_SAFE_NO_PAD.encode(&x),
            URL_SAFE_NO_PAD.encode(&y)
        );
        let thumbprint = URL_SAFE_NO_PAD.encode(digest(&SHA256, canonical.as_bytes()));
        let mut point = Vec::with_capacity(65);
        point.push(0x04);
        point.extend_from_slice(&x);
        point.extend_from_slice(&y);
        Ok(Self { point, thumbprint })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thumbprint_is_rfc_7638s() {
        // RFC 7638 has no P-256 example; this key and thumbprint are RFC 9449's
        // (figure 4's key, section 6.1's "jkt").
        let jwk: Map<String, Value> = serde_json::from_str(
            r#"{"kty":"EC","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs","y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA","crv":"P-256"}"#,
        )
        .unwrap();
        assert_eq!(
            PublicKey::from_jwk(&jwk).unwrap().thumbprint,
            "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
        );
    }

    #[test]
    fn private_and_non_p256_keys_are_refused() {
        for jwk in [
            r#"{"kty":"EC","crv":"P-256","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs","y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA","d":"AAAA"}"#,
            r#"{"kty":"EC","crv":"P-384","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs","y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"}"#,
            r#"{"kty":"oct","k":"c2VjcmV0"}"#,
            r#"{"kty":"EC","crv":"P-256","x":"AAAA","y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"}"#,
        ] {
            let jwk: Map<String, Value> = serde_json::from_str(jwk).unwrap();
            assert!(PublicKey::from_jwk(&jwk).is_err(), "{jwk:?}");
        }
    }
}
