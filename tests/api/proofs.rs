//! DPoP proofs built in the tests: a P-256 key per test, and proofs any way a test wants
//! them, valid or not.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};

use crate::helpers::now;

/// A client's DPoP key.
pub struct DpopKey {
    pair: EcdsaKeyPair,
    rng: SystemRandom,
    pub jwk: Value,
    /// RFC 7638 thumbprint: what a token bound to this key carries in `cnf.jkt`.
    pub thumbprint: String,
}

impl DpopKey {
    pub fn generate() -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let point = pair.public_key().as_ref();
        let (x, y) = (b64(&point[1..33]), b64(&point[33..65]));
        let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        let thumbprint =
            b64(ring::digest::digest(&ring::digest::SHA256, canonical.as_bytes()).as_ref());
        Self {
            pair,
            rng,
            jwk: json!({"kty": "EC", "crv": "P-256", "x": x, "y": y}),
            thumbprint,
        }
    }

    /// A valid proof for `method url` carrying `token`'s hash; change it before signing.
    pub fn proof(&self, method: &str, url: &str, token: &str) -> Proof<'_> {
        Proof {
            key: self,
            header: json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk}),
            claims: json!({
                "htm": method,
                "htu": url,
                "iat": now(),
                "jti": uuid::Uuid::new_v4().to_string(),
                "ath": ath(token),
            }),
        }
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.pair
            .sign(&self.rng, message)
            .unwrap()
            .as_ref()
            .to_vec()
    }
}

/// base64url(SHA-256(token)): a proof's `ath`.
pub fn ath(token: &str) -> String {
    b64(ring::digest::digest(&ring::digest::SHA256, token.as_bytes()).as_ref())
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A proof about to be signed.
pub struct Proof<'k> {
    key: &'k DpopKey,
    pub header: Value,
    pub claims: Value,
}

impl Proof<'_> {
    pub fn claim(mut self, name: &str, value: Value) -> Self {
        self.claims[name] = value;
        self
    }

    pub fn without(mut self, name: &str) -> Self {
        self.claims.as_object_mut().unwrap().remove(name);
        self
    }

    pub fn header(mut self, name: &str, value: Value) -> Self {
        self.header[name] = value;
        self
    }

    /// Signed by its own key.
    pub fn sign(self) -> String {
        let key = self.key;
        self.sign_with(key)
    }

    /// Signed by `key`, whatever the header's `jwk` says.
    pub fn sign_with(self, key: &DpopKey) -> String {
        let message = format!(
            "{}.{}",
            b64(self.header.to_string().as_bytes()),
            b64(self.claims.to_string().as_bytes())
        );
        format!("{message}.{}", b64(&key.sign(message.as_bytes())))
    }
}
