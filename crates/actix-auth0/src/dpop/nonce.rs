//! Server nonces (RFC 9449 section 8) that every instance sharing a key accepts.

use std::sync::RwLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::hmac;

/// A new nonce is issued every minute.
const STEP_SECS: u64 = 60;

/// Issues and checks nonces without storing them: a nonce is a time step and its HMAC
/// under a key the instances share, so any of them accepts another's nonce until it
/// is `lifetime` old.
pub struct NonceIssuer {
    key: hmac::Key,
    /// Steps a nonce stays valid after the one it was issued in.
    steps_valid: u64,
    /// The current step's nonce, made once per step.
    current: RwLock<(u64, String)>,
}

impl NonceIssuer {
    /// Nonces keyed by `key` (at least 32 random bytes shared by the instances), each
    /// valid for about `lifetime` (at least one minute).
    pub fn new(key: &[u8], lifetime: Duration) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, key),
            steps_valid: (lifetime.as_secs() / STEP_SECS).max(1),
            current: RwLock::new((u64::MAX, String::new())),
        }
    }

    /// The nonce to hand out now.
    pub fn current(&self) -> String {
        let step = current_step();
        if let Ok(current) = self.current.read() {
            if current.0 == step {
                return current.1.clone();
            }
        }
        let nonce = self.nonce_for(step);
        if let Ok(mut current) = self.current.write() {
            *current = (step, nonce.clone());
        }
        nonce
    }

    /// Whether `nonce` was issued with this key and has not expired.
    pub fn accepts(&self, nonce: &str) -> bool {
        let Ok(bytes) = URL_SAFE_NO_PAD.decode(nonce) else {
            return false;
        };
        let Some((step, tag)) = bytes.split_first_chunk::<8>() else {
            return false;
        };
        let step = u64::from_be_bytes(*step);
        let now = current_step();
        step <= now
            && now - step <= self.steps_valid
            && hmac::verify(&self.key, &step.to_be_bytes(), tag).is_ok()
    }

    fn nonce_for(&self, step: u64) -> String {
        let tag = hmac::sign(&self.key, &step.to_be_bytes());
        let mut bytes = step.to_be_bytes().to_vec();
        bytes.extend_from_slice(tag.as_ref());
        URL_SAFE_NO_PAD.encode(bytes)
    }
}

fn current_step() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() / STEP_SECS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_accepted_by_issuers_sharing_the_key_until_they_expire() {
        let lifetime = Duration::from_secs(300);
        let (one, other) = (
            NonceIssuer::new(b"k1", lifetime),
            NonceIssuer::new(b"k1", lifetime),
        );
        let stranger = NonceIssuer::new(b"k2", lifetime);
        let nonce = one.current();
        assert!(other.accepts(&nonce));
        assert!(!stranger.accepts(&nonce));
        let step = current_step();
        assert!(one.accepts(&one.nonce_for(step - 5)));
        assert!(!one.accepts(&one.nonce_for(step - 6)));
        assert!(!one.accepts(&one.nonce_for(step + 1)));
        for garbage in ["", "not base64!", "AAAA"] {
            assert!(!one.accepts(garbage));
        }
    }
}
