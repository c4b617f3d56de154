//! DPoP (RFC 9449): sender-constrained tokens. A DPoP-bound access token names the
//! thumbprint of a key in `cnf.jkt`; each request carries a fresh proof signed by that
//! key, naming the request's method and URL and the token's hash.

mod nonce;
mod proof;
mod replay;
mod settings;
mod url;

pub use nonce::NonceIssuer;
pub use proof::{proof_header, verify_proof, ProofRequest, VerifiedProof};
pub use replay::{FirstSight, InMemorySeenProofs, ProofId, SeenProofs, SeenProofsError};
pub use settings::{DpopMode, DpopSettings, PublicUrl};

/// The proof signing algorithms accepted, as advertised in `DPoP algs="..."`.
pub const DPOP_ALGORITHMS: &str = "ES256";

/// Proofs longer than this are refused unread (a P-256 proof is well under 1 KiB).
pub const MAX_PROOF_BYTES: usize = 8 * 1024;

/// `jti`s longer than this are refused (RFC 9449 asks for enough entropy, not length).
pub const MAX_JTI_CHARS: usize = 512;
