//! The issuer's signing keys (JWKS), fetched over HTTP and cached.
//!
//! - Keys are fetched on first need, so the service starts while the issuer is unreachable.
//! - A fetched set is trusted for `cache_ttl`; a `kid` we do not know triggers a refetch
//!   (key rotation), at most once per `refetch_cooldown`.
//! - Concurrent requests share one fetch (single flight): whoever waited while another
//!   request fetched uses that result instead of fetching again.
//! - A failed fetch, cold or not, is not retried before `refetch_cooldown`, so an issuer
//!   that fails fast (429, 5xx, DNS) is not hammered.
//! - A failed refresh keeps the last good keys, for at most `max_stale` after they were
//!   fetched: then they are dropped, so a key the tenant removed stops being trusted even
//!   while the issuer cannot be reached. Every fetch is bounded by a timeout.
//! - Keys are parsed into verification keys once per fetch, not per request.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use url::Url;

use crate::JwksSettings;

/// A JWKS larger than this is refused (Auth0 serves a few KiB).
const MAX_JWKS_BYTES: usize = 1024 * 1024;

/// Why no key could be had for a token.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The issuer answered, and publishes no key with this `kid`.
    #[error("no key in the issuer's JWKS has this kid")]
    UnknownKid,
    /// The issuer could not be asked, and no cached key has this `kid`.
    #[error("the issuer's JWKS could not be fetched and no key is cached")]
    Unavailable,
    /// The keys fetched before are older than `max_stale` and could not be refreshed.
    #[error("the issuer's keys are too old to trust and could not be refreshed")]
    Expired,
}

/// Why the issuer's JWKS could not be had.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The request failed or answered a non-success status.
    #[error("request failed: {0}")]
    Http(#[from] reqwest::Error),
    /// The document exceeds the size limit.
    #[error("document is larger than {MAX_JWKS_BYTES} bytes")]
    TooLarge,
    /// The document is not a JWKS.
    #[error("document is not a JWKS: {0}")]
    Malformed(#[from] serde_json::Error),
    /// The document holds no key this crate can verify with.
    #[error("document has no usable signing key")]
    NoSigningKeys,
}

/// The key family a JWS algorithm needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyFamily {
    Rsa,
    Ec,
    Ed,
}

impl KeyFamily {
    fn of(algorithm: Algorithm) -> Option<Self> {
        use Algorithm::*;
        match algorithm {
            RS256 | RS384 | RS512 | PS256 | PS384 | PS512 => Some(Self::Rsa),
            ES256 | ES384 => Some(Self::Ec),
            EdDSA => Some(Self::Ed),
            HS256 | HS384 | HS512 => None,
        }
    }
}

/// One public signing key, ready to verify signatures.
pub struct VerificationKey {
    pub(crate) key: DecodingKey,
    family: KeyFamily,
    /// The `alg` the JWK pins the key to, if any.
    algorithm: Option<Algorithm>,
}

impl VerificationKey {
    /// Whether a token signed with `algorithm` may be verified with this key.
    pub fn accepts(&self, algorithm: Algorithm) -> bool {
        KeyFamily::of(algorithm) == Some(self.family)
            && self.algorithm.is_none_or(|pinned| pinned == algorithm)
    }

    /// Parses one JWK; `None` for keys that are not public signing keys we can use.
    fn from_jwk(jwk: &Jwk) -> Option<Self> {
        if !matches!(
            jwk.common.public_key_use,
            None | Some(PublicKeyUse::Signature)
        ) {
            return None;
        }
        let family = match jwk.algorithm {
            AlgorithmParameters::RSA(_) => KeyFamily::Rsa,
            AlgorithmParameters::EllipticCurve(_) => KeyFamily::Ec,
            AlgorithmParameters::OctetKeyPair(_) => KeyFamily::Ed,
            // A symmetric secret has no business in a public key set.
            AlgorithmParameters::OctetKey(_) => return None,
        };
        let algorithm = match jwk.common.key_algorithm {
            None => None,
            // Encryption algorithms (RSA-OAEP, ...) do not parse: such keys are skipped.
            Some(pinned) => Some(pinned.to_string().parse::<Algorithm>().ok()?),
        };
        Some(Self {
            key: DecodingKey::from_jwk(jwk).ok()?,
            family,
            algorithm,
        })
    }
}

/// The usable keys of one fetched JWKS, by `kid`.
struct KeySet {
    keys: HashMap<String, Arc<VerificationKey>>,
    fetched_at: Instant,
}

impl KeySet {
    fn parse(document: &[u8]) -> Result<Self, FetchError> {
        #[derive(serde::Deserialize)]
        struct Document {
            keys: Vec<serde_json::Value>,
        }
        let document: Document = serde_json::from_slice(document)?;
        // Each key is parsed on its own so that one odd entry does not hide the others.
        let keys: HashMap<_, _> = document
            .keys
            .into_iter()
            .filter_map(|value| serde_json::from_value::<Jwk>(value).ok())
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                Some((kid, Arc::new(VerificationKey::from_jwk(&jwk)?)))
            })
            .collect();
        if keys.is_empty() {
            return Err(FetchError::NoSigningKeys);
        }
        Ok(Self {
            keys,
            fetched_at: Instant::now(),
        })
    }

    fn get(&self, kid: &str) -> Option<Arc<VerificationKey>> {
        self.keys.get(kid).cloned()
    }
}

/// Bookkeeping of the single-flight fetch, guarded by its mutex.
#[derive(Default)]
struct FetchLog {
    /// Set by a refetch for an unknown kid and by a failed fetch: until then, cached
    /// keys are used as they are rather than fetched again.
    quiet_until: Option<Instant>,
    last_failed: bool,
}

/// The issuer's signing keys, fetched from its JWKS URL on first need and cached.
pub struct KeyStore {
    client: reqwest::Client,
    uri: Url,
    settings: JwksSettings,
    cached: RwLock<Option<Arc<KeySet>>>,
    /// Some key set was fetched once: no keys now means they were dropped as too old.
    ever_fetched: AtomicBool,
    /// Completed fetch attempts; lets a waiter see that someone fetched while it waited.
    attempts: AtomicU64,
    fetch: tokio::sync::Mutex<FetchLog>,
}

impl KeyStore {
    /// A store for the JWKS at `uri`; builds the HTTP client, fetches nothing yet.
    pub fn new(uri: Url, settings: JwksSettings) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(settings.fetch_timeout)
            .connect_timeout(settings.fetch_timeout)
            // Never follow a redirect from https down to plain http.
            .https_only(uri.scheme() == "https")
            .user_agent(settings.user_agent.clone())
            .build()?;
        Ok(Self {
            client,
            uri,
            settings,
            cached: RwLock::new(None),
            ever_fetched: AtomicBool::new(false),
            attempts: AtomicU64::new(0),
            fetch: tokio::sync::Mutex::new(FetchLog::default()),
        })
    }

    /// The key named `kid`, fetching or refreshing the JWKS when needed.
    pub async fn key(&self, kid: &str) -> Result<Arc<VerificationKey>, KeyError> {
        let observed_attempts = self.attempts.load(Ordering::Acquire);
        let cached = self.snapshot();
        let cached_key = cached.as_ref().and_then(|set| set.get(kid));
        if let (Some(set), Some(key)) = (&cached, &cached_key) {
            if self.is_fresh(set) {
                return Ok(Arc::clone(key));
            }
        }
        let mut log = match (cached_key, self.fetch.try_lock()) {
            (_, Ok(log)) => log,
            // The set expired but still has this key and a refresh is under way: use it.
            (Some(stale), Err(_)) => return Ok(stale),
            (None, Err(_)) => self.fetch.lock().await,
        };

        let fetched_meanwhile = self.attempts.load(Ordering::Acquire) != observed_attempts;
        let quiet = log.quiet_until.is_some_and(|until| Instant::now() < until);
        let (should_fetch, unknown_kid) = match self.snapshot() {
            _ if fetched_meanwhile => (false, false),
            // Cold (or keys dropped as too old): try, unless a fetch failed just now.
            None => (!quiet, false),
            Some(set) if set.get(kid).is_none() => (!quiet, true),
            Some(set) => (!self.is_fresh(&set) && !quiet, false),
        };
        if should_fetch {
            let outcome = self.fetch_key_set().await;
            log.last_failed = outcome.is_err();
            if unknown_kid || log.last_failed {
                log.quiet_until = Some(Instant::now() + self.settings.refetch_cooldown);
            }
            match outcome {
                Ok(set) => {
                    tracing::info!(keys = set.keys.len(), "fetched the issuer's JWKS");
                    self.keep(set);
                }
                Err(error) => {
                    tracing::warn!(%error, uri = %self.uri, "JWKS fetch failed; keeping cached keys, if any");
                }
            }
            self.attempts.fetch_add(1, Ordering::Release);
        }
        let last_failed = log.last_failed;
        drop(log);

        match self.snapshot() {
            Some(set) => match set.get(kid) {
                Some(key) => Ok(key),
                // We could not ask the issuer, so the kid may be a legitimate new key.
                None if last_failed => Err(KeyError::Unavailable),
                None => Err(KeyError::UnknownKid),
            },
            None if self.ever_fetched.load(Ordering::Acquire) => Err(KeyError::Expired),
            None => Err(KeyError::Unavailable),
        }
    }

    /// Fetches the JWKS now, whatever the cache holds, and keeps it: how many usable
    /// signing keys it has, or why it could not be had. For health checks and operators.
    pub async fn fetch_now(&self) -> Result<usize, FetchError> {
        let _log = self.fetch.lock().await;
        let set = self.fetch_key_set().await?;
        let keys = set.keys.len();
        self.keep(set);
        self.attempts.fetch_add(1, Ordering::Release);
        Ok(keys)
    }

    /// Trusts `set` from now on.
    fn keep(&self, set: KeySet) {
        metrics::gauge!("jwks_keys").set(set.keys.len() as f64);
        *self.cached.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(set));
        self.ever_fetched.store(true, Ordering::Release);
    }

    /// Whether the issuer still publishes `kid`: answered from a fresh key set, else
    /// through [`KeyStore::key`], which refreshes an expired one.
    pub async fn still_publishes(&self, kid: &str) -> bool {
        match self.snapshot() {
            Some(set) if self.is_fresh(&set) => set.keys.contains_key(kid),
            _ => self.key(kid).await.is_ok(),
        }
    }

    /// The cached key set, unless it is older than `max_stale`: such a set is dropped.
    fn snapshot(&self) -> Option<Arc<KeySet>> {
        let set = self
            .cached
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()?;
        if set.fetched_at.elapsed() < self.settings.max_stale {
            return Some(set);
        }
        let mut cached = self.cached.write().unwrap_or_else(|e| e.into_inner());
        if cached
            .as_ref()
            .is_some_and(|current| Arc::ptr_eq(current, &set))
        {
            *cached = None;
            metrics::gauge!("jwks_keys").set(0.0);
            tracing::error!(
                uri = %self.uri,
                max_stale_secs = self.settings.max_stale.as_secs(),
                "the issuer's keys could not be refreshed for too long: dropped; tokens are refused until a fetch succeeds"
            );
        }
        None
    }

    fn is_fresh(&self, set: &KeySet) -> bool {
        set.fetched_at.elapsed() < self.settings.cache_ttl
    }

    /// One fetch, counted in `jwks_fetches_total{outcome}`.
    async fn fetch_key_set(&self) -> Result<KeySet, FetchError> {
        let outcome = self.request_key_set().await;
        let label = if outcome.is_ok() { "ok" } else { "error" };
        metrics::counter!("jwks_fetches_total", "outcome" => label).increment(1);
        outcome
    }

    async fn request_key_set(&self) -> Result<KeySet, FetchError> {
        let mut response = self
            .client
            .get(self.uri.clone())
            .send()
            .await?
            .error_for_status()?;
        let mut document = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if document.len() + chunk.len() > MAX_JWKS_BYTES {
                return Err(FetchError::TooLarge);
            }
            document.extend_from_slice(&chunk);
        }
        KeySet::parse(&document)
    }
}

#[cfg(test)]
impl KeyStore {
    /// A store already holding the keys of `document`, as if just fetched.
    pub(crate) fn preloaded(document: &[u8], settings: JwksSettings) -> Self {
        let unreachable = Url::parse("http://127.0.0.1:9/jwks.json").expect("static URL");
        let store = Self::new(unreachable, settings).expect("client");
        let set = KeySet::parse(document).expect("a valid test JWKS");
        *store.cached.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(set));
        store
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rsa_jwk(kid: &str, extra: serde_json::Value) -> serde_json::Value {
        let mut jwk = json!({
            "kty": "RSA", "kid": kid, "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw",
            "e": "AQAB"
        });
        if let (Some(jwk), Some(extra)) = (jwk.as_object_mut(), extra.as_object()) {
            jwk.extend(extra.clone());
        }
        jwk
    }

    fn parse(keys: Vec<serde_json::Value>) -> Result<KeySet, FetchError> {
        KeySet::parse(json!({ "keys": keys }).to_string().as_bytes())
    }

    #[test]
    fn signing_keys_are_kept_and_others_skipped() {
        let set = parse(vec![
            rsa_jwk("plain", json!({})),
            rsa_jwk("sig", json!({"use": "sig", "alg": "RS256"})),
            rsa_jwk("enc", json!({"use": "enc"})),
            rsa_jwk("oaep", json!({"alg": "RSA-OAEP"})),
            json!({"kty": "oct", "kid": "secret", "k": "c2VjcmV0"}),
            json!({"kty": "RSA", "kid": "broken"}),
            json!({"kty": "RSA", "n": "AQAB", "e": "AQAB"}),
        ])
        .unwrap();
        let mut kids: Vec<_> = set.keys.keys().cloned().collect();
        kids.sort();
        assert_eq!(kids, ["plain", "sig"]);
    }

    #[test]
    fn keys_accept_only_algorithms_of_their_family_and_pin() {
        let set = parse(vec![
            rsa_jwk("any-rsa", json!({})),
            rsa_jwk("pinned", json!({"alg": "RS256"})),
        ])
        .unwrap();
        let any = set.get("any-rsa").unwrap();
        assert!(any.accepts(Algorithm::RS256) && any.accepts(Algorithm::PS256));
        assert!(!any.accepts(Algorithm::HS256) && !any.accepts(Algorithm::ES256));
        let pinned = set.get("pinned").unwrap();
        assert!(pinned.accepts(Algorithm::RS256) && !pinned.accepts(Algorithm::RS512));
    }

    #[test]
    fn documents_without_usable_keys_are_errors() {
        assert!(matches!(parse(vec![]), Err(FetchError::NoSigningKeys)));
        assert!(matches!(
            KeySet::parse(b"<html>"),
            Err(FetchError::Malformed(_))
        ));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    const JWK_FIELDS: &[&str] = &["kty", "kid", "use", "alg", "n", "e", "x", "y", "crv", "k"];

    proptest! {
        #![proptest_config(fuzz_strategies::config())]

        #[test]
        fn any_bytes_parse_or_fail_cleanly(document in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = KeySet::parse(&document);
        }

        /// Key sets whose keys are arbitrary objects made of JWK field names.
        #[test]
        fn any_key_set_parses_or_fails_cleanly(
            keys in prop::collection::vec(fuzz_strategies::json_object_with_keys(JWK_FIELDS), 0..6)
        ) {
            let document = serde_json::json!({ "keys": keys }).to_string();
            if let Ok(set) = KeySet::parse(document.as_bytes()) {
                prop_assert!(!set.keys.is_empty());
            }
        }
    }
}
