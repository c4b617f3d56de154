//! The issuer's RSA signing key: generated on first start, kept on disk, published as a JWK.

use std::path::Path;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rsa::pkcs8::der::zeroize::Zeroizing;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

use crate::DevIssuerError;

/// RSA modulus size, as Auth0 uses.
const KEY_BITS: usize = 2048;
const KEY_FILE: &str = "signing-key.pem";

/// The RSA key tokens are signed with, and its public JWK.
pub struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    jwk: Value,
}

impl SigningKey {
    /// Loads `dir/signing-key.pem`, generating and saving it on first use so tokens
    /// stay valid across restarts.
    pub fn load_or_generate(dir: &Path) -> Result<Self, DevIssuerError> {
        let path = dir.join(KEY_FILE);
        let failed = |reason: String| DevIssuerError::Key {
            path: path.clone(),
            reason,
        };
        let (key, pem) = match std::fs::read_to_string(&path) {
            Ok(pem) => {
                let key =
                    rsa::PrivateKey::from_pkcs8_pem(&pem).map_err(|err| failed(err.to_string()))?;
                (key, Zeroizing::new(pem))
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                tracing::info!(path = %path.display(), "generating the dev issuer's signing key");
                let key = rsa::PrivateKey::new(&mut getrandom::SysRng, KEY_BITS)
                    .map_err(|err| failed(err.to_string()))?;
                let pem = key
                    .to_pkcs8_pem(LineEnding::LF)
                    .map_err(|err| failed(err.to_string()))?;
                write_private(&path, pem.as_bytes()).map_err(|err| failed(err.to_string()))?;
                (key, pem)
            }
            Err(err) => return Err(failed(err.to_string())),
        };
        let encoding =
            EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|err| failed(err.to_string()))?;
        let b64 = |bytes: &[u8]| {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        };
        let n = b64(&key.n_bytes());
        // A stable kid derived from the modulus, like a JWK thumbprint.
        let kid = b64(&ring::digest::digest(&ring::digest::SHA256, n.as_bytes()).as_ref()[..16]);
        let e = b64(&key.e_bytes());
        let decoding =
            DecodingKey::from_rsa_components(&n, &e).map_err(|err| failed(err.to_string()))?;
        let jwk = json!({
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e,
        });
        Ok(Self {
            kid,
            encoding,
            decoding,
            jwk,
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK, for `/.well-known/jwks.json`.
    pub fn jwk(&self) -> &Value {
        &self.jwk
    }

    /// An RS256 JWT of `claims`, naming this key in `kid`.
    pub fn sign(&self, claims: &impl Serialize) -> Result<String, jsonwebtoken::errors::Error> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
    }

    /// The claims of a token this key signed, checked as `validation` says.
    pub fn verify<T: DeserializeOwned>(
        &self,
        token: &str,
        validation: &Validation,
    ) -> Result<T, jsonwebtoken::errors::Error> {
        jsonwebtoken::decode(token, &self.decoding, validation).map(|data| data.claims)
    }
}

fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(&mut options.open(path)?, contents)
}
