//! Refusing a proof seen before: [`SeenProofs`] is where proofs are remembered.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use moka::future::Cache;
use ring::digest::{Context, SHA256};

/// Identifies a proof: SHA-256 of its key's thumbprint and its `jti`. The proof itself
/// is never stored; two clients that pick the same `jti` do not collide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProofId(pub [u8; 32]);

impl ProofId {
    pub(crate) fn new(thumbprint: &str, jti: &str) -> Self {
        let mut context = Context::new(&SHA256);
        context.update(thumbprint.as_bytes());
        context.update(b"\0");
        context.update(jti.as_bytes());
        let mut id = [0; 32];
        id.copy_from_slice(context.finish().as_ref());
        Self(id)
    }
}

/// The store could not answer; the request is refused with 503 (fail closed).
#[derive(Debug, thiserror::Error)]
#[error("the store of seen DPoP proofs is unavailable: {0}")]
pub struct SeenProofsError(pub String);

/// The future [`SeenProofs::first_sight`] returns.
pub type FirstSight<'a> = Pin<Box<dyn Future<Output = Result<bool, SeenProofsError>> + 'a>>;

/// Where proofs already accepted are remembered, so that a proof is accepted once. An
/// API of several instances shares one store (a database table, Redis, ...); the default
/// [`InMemorySeenProofs`] serves one instance.
pub trait SeenProofs: 'static {
    /// Records `id`, to be kept at least until `expires_at` (after that the proof's
    /// `iat` is refused anyway). `Ok(true)` when `id` was not seen before.
    fn first_sight(&self, id: ProofId, expires_at: SystemTime) -> FirstSight<'_>;
}

/// Seen proofs in this process's memory, each forgotten once it could no longer be
/// accepted, at most `capacity` of them (the least recently seen go first).
pub struct InMemorySeenProofs {
    seen: Cache<ProofId, ()>,
}

impl InMemorySeenProofs {
    /// Remembers each proof for `window` (the proof acceptance window).
    pub fn new(window: Duration, capacity: u64) -> Self {
        Self {
            seen: Cache::builder()
                .max_capacity(capacity)
                .time_to_live(window)
                .build(),
        }
    }
}

impl SeenProofs for InMemorySeenProofs {
    fn first_sight(&self, id: ProofId, _expires_at: SystemTime) -> FirstSight<'_> {
        Box::pin(async move { Ok(self.seen.entry(id).or_insert(()).await.is_fresh()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn a_proof_is_fresh_once() {
        let store = InMemorySeenProofs::new(Duration::from_secs(60), 100);
        let (a, b) = (ProofId::new("key", "1"), ProofId::new("key", "2"));
        let later = SystemTime::now() + Duration::from_secs(60);
        assert!(store.first_sight(a, later).await.unwrap());
        assert!(!store.first_sight(a, later).await.unwrap());
        assert!(store.first_sight(b, later).await.unwrap());
        assert_ne!(ProofId::new("key", "1"), ProofId::new("other key", "1"));
    }
}
