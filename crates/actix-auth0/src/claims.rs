//! Verifying an access token: header, signature, then registered claims.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use moka::future::Cache;
use moka::Expiry;
use serde::Deserialize;

use crate::jwks::{KeyError, KeyStore};
use crate::{AuthError, AuthSettings, ScopeSource};

/// The validated claims a handler may rely on.
#[derive(Clone, Debug)]
pub struct Claims {
    /// The subject, never empty (e.g. `auth0|abc123`, or `client@clients`).
    pub sub: String,
    /// The issuer, equal to the configured one.
    pub iss: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: i64,
    /// Issued at, seconds since the Unix epoch, when the token says.
    pub iat: Option<i64>,
    /// Auth0 RBAC's `permissions`, with the space-separated `scope` added unless
    /// [`ScopeSource::Permissions`] is configured.
    pub scopes: HashSet<String>,
    /// The thumbprint of the key a DPoP-bound token is bound to (`cnf.jkt`, RFC 9449).
    pub jkt: Option<String>,
}

impl Claims {
    /// Whether the token grants `scope` (see [`Claims::scopes`]).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.contains(scope)
    }
}

/// The payload as sent. Registered claims default when absent so that jsonwebtoken's
/// own checks, which run before this is read, report which one is missing. jsonwebtoken
/// skips a time claim it cannot read as a number; here such a claim fails the token.
#[derive(Deserialize)]
struct Payload {
    #[serde(default)]
    sub: String,
    #[serde(default)]
    iss: String,
    #[serde(default, deserialize_with = "numeric_date")]
    exp: i64,
    /// Checked against the clock by jsonwebtoken; read here only to refuse a wrong type.
    #[serde(default, rename = "nbf", deserialize_with = "optional_numeric_date")]
    _not_before: Option<i64>,
    #[serde(default, deserialize_with = "optional_numeric_date")]
    iat: Option<i64>,
    #[serde(default)]
    scope: Option<Words>,
    /// Auth0 RBAC sends a list; some providers send one space-separated string, like `scope`.
    #[serde(default)]
    permissions: Option<Words>,
    /// RFC 7800 confirmation: a DPoP-bound token names its key's thumbprint here.
    #[serde(default)]
    cnf: Option<Confirmation>,
}

#[derive(Deserialize)]
struct Confirmation {
    #[serde(default)]
    jkt: Option<String>,
}

/// A list given as one space-separated string or as an array.
#[derive(Deserialize)]
#[serde(untagged)]
enum Words {
    SpaceSeparated(String),
    List(Vec<String>),
}

impl Words {
    fn into_iter(self) -> impl Iterator<Item = String> {
        let words = match self {
            Self::SpaceSeparated(words) => words.split_whitespace().map(str::to_owned).collect(),
            Self::List(words) => words,
        };
        words.into_iter()
    }
}

/// RFC 7519's NumericDate: a JSON number of seconds (fractions allowed), never a string,
/// boolean, null, array or object.
fn numeric_date<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let seconds = f64::deserialize(deserializer)?;
    if !seconds.is_finite() {
        return Err(serde::de::Error::custom("NumericDate is not finite"));
    }
    // Saturates far outside the range of any real date.
    Ok(seconds.floor() as i64)
}

fn optional_numeric_date<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<i64>, D::Error> {
    numeric_date(deserializer).map(Some)
}

/// Verifies access tokens against the issuer's keys and remembers the ones it verified.
pub struct TokenValidator {
    keys: KeyStore,
    /// One prepared rule set per accepted algorithm.
    validations: HashMap<Algorithm, Validation>,
    leeway_secs: u64,
    scope_source: ScopeSource,
    /// Tokens already verified, by SHA-256 of the token, each until it expires; so a
    /// token seen before costs a hash instead of an RSA verification. A token seen for
    /// the first time by several requests at once is verified once (single flight).
    verified: Option<Cache<TokenDigest, Arc<VerifiedToken>>>,
    /// Lookups of `verified` answered without verifying, and verifications.
    lookups: CacheCounter,
}

/// How often a cache answered a lookup, and how often it did not, since start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups answered from the cache (or by waiting for another lookup's work).
    pub hits: u64,
    /// Lookups that did the work.
    pub misses: u64,
}

/// Counts a cache's hits and misses with two relaxed atomics, so a lookup pays no
/// metrics registry lookup; a metrics endpoint reads the stats when scraped.
#[derive(Debug, Default)]
struct CacheCounter {
    hits: AtomicU64,
    misses: AtomicU64,
}

impl CacheCounter {
    /// Counts one lookup, answered from the cache (`hit`) or not.
    fn record(&self, hit: bool) {
        let counter = if hit { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The counts so far.
    fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}

type TokenDigest = [u8; 32];

struct VerifiedToken {
    claims: Arc<Claims>,
    /// The key that verified it: the entry is only trusted while the JWKS still has it.
    kid: String,
    /// When it stops being valid (`exp` plus leeway), on the monotonic clock.
    valid_until: Instant,
}

/// Each cache entry lives until its token expires.
struct UntilTokenExpiry;

impl Expiry<TokenDigest, Arc<VerifiedToken>> for UntilTokenExpiry {
    fn expire_after_create(
        &self,
        _: &TokenDigest,
        token: &Arc<VerifiedToken>,
        created_at: Instant,
    ) -> Option<Duration> {
        Some(token.valid_until.saturating_duration_since(created_at))
    }
}

impl TokenValidator {
    /// A validator for `settings`' issuer, audience and algorithms, with keys from `keys`.
    pub fn new(settings: &AuthSettings, keys: KeyStore) -> Self {
        let validations = settings
            .algorithms
            .iter()
            .map(|&algorithm| {
                let mut validation = Validation::new(algorithm);
                validation.set_issuer(&[&settings.issuer]);
                validation.set_audience(&[&settings.audience]);
                validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
                validation.validate_nbf = true;
                validation.leeway = settings.leeway.as_secs();
                (algorithm, validation)
            })
            .collect();
        let verified = (settings.token_cache_capacity > 0).then(|| {
            Cache::builder()
                .max_capacity(settings.token_cache_capacity)
                .expire_after(UntilTokenExpiry)
                .build()
        });
        Self {
            keys,
            validations,
            leeway_secs: settings.leeway.as_secs(),
            scope_source: settings.scope_source,
            verified,
            lookups: CacheCounter::default(),
        }
    }

    /// Hits and misses of the verified-token cache, for metrics.
    pub fn cache_stats(&self) -> CacheStats {
        self.lookups.stats()
    }

    /// Verifies `token`, or recognises it as verified before (same bytes, still within
    /// `exp`, signing key still published).
    pub async fn validate(&self, token: &str) -> Result<Arc<Claims>, AuthError> {
        let Some(cache) = &self.verified else {
            return self.verify(token).await.map(|(claims, _)| Arc::new(claims));
        };
        let digest: TokenDigest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes())
            .as_ref()
            .try_into()
            .map_err(|_| AuthError::InvalidToken("Token is malformed."))?;
        if let Some(hit) = cache.get(&digest).await {
            if Instant::now() < hit.valid_until && self.keys.still_publishes(&hit.kid).await {
                self.lookups.record(true);
                return Ok(Arc::clone(&hit.claims));
            }
            cache.invalidate(&digest).await;
        }
        // Concurrent first sights of one token wait for a single verification.
        let entry = cache
            .entry(digest)
            .or_try_insert_with(self.verified_token(token))
            .await
            .map_err(|err| AuthError::clone(&err))?;
        self.lookups.record(!entry.is_fresh());
        Ok(Arc::clone(&entry.into_value().claims))
    }

    /// Verifies `token` and says how long it may be remembered.
    async fn verified_token(&self, token: &str) -> Result<Arc<VerifiedToken>, AuthError> {
        let (claims, kid) = self.verify(token).await?;
        let lifetime = claims.exp.saturating_add(self.leeway_secs as i64) - now_secs();
        let lifetime = Duration::from_secs(u64::try_from(lifetime).unwrap_or(0));
        Ok(Arc::new(VerifiedToken {
            claims: Arc::new(claims),
            kid,
            valid_until: Instant::now() + lifetime,
        }))
    }

    /// How many verified tokens are remembered now (0 with the cache off). Settles the
    /// cache's pending work first, so call it when reporting, not per request.
    pub async fn cached_tokens(&self) -> u64 {
        match &self.verified {
            Some(cache) => {
                cache.run_pending_tasks().await;
                cache.entry_count()
            }
            None => 0,
        }
    }

    /// Full verification: header, key, signature, claims. Returns the claims and the kid.
    async fn verify(&self, token: &str) -> Result<(Claims, String), AuthError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| AuthError::InvalidToken("Token is malformed."))?;
        if let Some(typ) = &header.typ {
            let typ = typ.to_ascii_lowercase();
            if !matches!(typ.as_str(), "jwt" | "at+jwt" | "application/at+jwt") {
                return Err(AuthError::InvalidToken(
                    "Token type is not an access token.",
                ));
            }
        }
        let validation = self
            .validations
            .get(&header.alg)
            .ok_or(AuthError::InvalidToken(
                "Token signing algorithm is not allowed.",
            ))?;
        let kid = header
            .kid
            .as_deref()
            .ok_or(AuthError::InvalidToken("Token header has no kid."))?;
        let key = self.keys.key(kid).await.map_err(|err| match err {
            KeyError::UnknownKid => AuthError::InvalidToken("Token signing key is unknown."),
            KeyError::Unavailable => AuthError::KeysUnavailable,
            KeyError::Expired => AuthError::InvalidToken(
                "The issuer's signing keys could not be refreshed; try again later.",
            ),
        })?;
        if !key.accepts(header.alg) {
            return Err(AuthError::InvalidToken(
                "Token signing algorithm does not match its key.",
            ));
        }
        let payload = jsonwebtoken::decode::<Payload>(token, &key.key, validation)
            .map_err(|err| AuthError::InvalidToken(reason(err.kind())))?
            .claims;
        if payload.sub.is_empty() {
            return Err(AuthError::InvalidToken("Token has no subject."));
        }
        if payload
            .iat
            .is_some_and(|iat| iat > now_secs().saturating_add(self.leeway_secs as i64))
        {
            return Err(AuthError::InvalidToken("Token was issued in the future."));
        }
        let scope = match self.scope_source {
            ScopeSource::Both => payload.scope,
            ScopeSource::Permissions => None,
        };
        let scopes: HashSet<String> = [scope, payload.permissions]
            .into_iter()
            .flatten()
            .flat_map(Words::into_iter)
            .collect();
        let claims = Claims {
            sub: payload.sub,
            iss: payload.iss,
            exp: payload.exp,
            iat: payload.iat,
            scopes,
            jkt: payload.cnf.and_then(|cnf| cnf.jkt),
        };
        Ok((claims, kid.to_owned()))
    }
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

/// A client-facing reason for each way verification fails; fixed strings, safe in headers.
fn reason(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidSignature => "Token signature is invalid.",
        ErrorKind::ExpiredSignature => "Token has expired.",
        ErrorKind::ImmatureSignature => "Token is not valid yet.",
        ErrorKind::InvalidIssuer => "Token issuer is not trusted.",
        ErrorKind::InvalidAudience => "Token audience is not this API.",
        ErrorKind::InvalidAlgorithm => "Token signing algorithm is not allowed.",
        ErrorKind::MissingRequiredClaim(claim) => match claim.as_str() {
            "exp" => "Token has no expiry (exp).",
            "iss" => "Token has no issuer (iss).",
            "aud" => "Token has no audience (aud).",
            _ => "Token has no subject.",
        },
        ErrorKind::Json(_) => "Token claims are malformed.",
        _ => "Token is malformed.",
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use env_settings::Env;
    use jsonwebtoken::{EncodingKey, Header};
    use proptest::prelude::*;
    use serde_json::{json, Value};

    const ISSUER: &str = "https://tenant.example/";
    const AUDIENCE: &str = "https://api";
    const CLAIMS: &[&str] = &[
        "iss",
        "sub",
        "aud",
        "exp",
        "nbf",
        "iat",
        "scope",
        "permissions",
    ];
    const HEADER_FIELDS: &[&str] = &["alg", "kid", "typ", "cty", "jku"];

    /// A validator trusting the test fixture key `key-a`, with its JWKS already loaded.
    fn validator() -> TokenValidator {
        let env = Env::from_fn(|name| match name {
            "AUTH0_ISSUER" => Some(ISSUER.into()),
            "AUTH0_AUDIENCE" => Some(AUDIENCE.into()),
            _ => None,
        });
        let settings = AuthSettings::from_env(&env).expect("settings");
        let jwk = include_str!("../tests/fixtures/key-a.jwk.json");
        let document = format!(r#"{{"keys":[{jwk}]}}"#);
        let keys = KeyStore::preloaded(document.as_bytes(), settings.jwks.clone());
        TokenValidator::new(&settings, keys)
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    }

    fn b64(bytes: &[u8]) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    proptest! {
        #![proptest_config(fuzz_strategies::config())]

        /// Arbitrary strings, and JWT-shaped ones with arbitrary headers and payloads:
        /// always an error (none is signed), never a panic.
        #[test]
        fn unsigned_tokens_are_refused(
            text in "[A-Za-z0-9._~+/=-]{0,300}",
            header in fuzz_strategies::json_object_with_keys(HEADER_FIELDS),
            payload in fuzz_strategies::json_object_with_keys(CLAIMS),
            signature in prop::collection::vec(any::<u8>(), 0..300),
        ) {
            let validator = validator();
            let runtime = runtime();
            prop_assert!(runtime.block_on(validator.validate(&text)).is_err());
            let shaped = format!("{}.{}.{}", b64(header.to_string().as_bytes()), b64(payload.to_string().as_bytes()), b64(&signature));
            prop_assert!(runtime.block_on(validator.validate(&shaped)).is_err());
        }

        /// Arbitrary payloads signed with the trusted key: accepted only when every
        /// registered claim checks out.
        #[test]
        fn signed_tokens_are_accepted_only_with_valid_claims(
            payload in fuzz_strategies::json_object_with_keys(CLAIMS),
            // A quarter all real, so valid tokens are tried in every run.
            use_real_values in prop_oneof![1 => Just([true; 4]), 3 => any::<[bool; 4]>()],
        ) {
            let mut payload = payload;
            let now = now_secs();
            let real = [("iss", json!(ISSUER)), ("aud", json!(AUDIENCE)), ("exp", json!(now + 600)), ("sub", json!("auth0|p"))];
            for ((name, value), use_it) in real.into_iter().zip(use_real_values) {
                if use_it {
                    payload[name] = value;
                }
            }
            // With every registered claim real and nothing else that could be off, the
            // token is valid and must be accepted.
            let valid = use_real_values.iter().all(|&real| real);
            if valid {
                if let Some(claims) = payload.as_object_mut() {
                    for optional in ["nbf", "iat", "scope", "permissions"] {
                        claims.remove(optional);
                    }
                }
            }
            let mut header = Header::new(Algorithm::RS256);
            header.kid = Some("key-a".into());
            let key = EncodingKey::from_rsa_pem(include_bytes!("../tests/fixtures/key-a.pem")).expect("key");
            let token = jsonwebtoken::encode(&header, &payload, &key).expect("sign");
            let outcome = runtime().block_on(validator().validate(&token));
            if valid {
                prop_assert!(outcome.is_ok(), "a valid token was refused: {:?}", outcome.as_ref().err());
            }
            if let Ok(claims) = outcome {
                prop_assert_eq!(claims.iss.as_str(), ISSUER);
                prop_assert!(!claims.sub.is_empty());
                prop_assert!(claims.exp >= now - DEFAULT_LEEWAY);
                let aud = &payload["aud"];
                prop_assert!(aud == &Value::from(AUDIENCE) || aud.as_array().is_some_and(|a| a.contains(&Value::from(AUDIENCE))));
            }
        }
    }

    const DEFAULT_LEEWAY: i64 = crate::DEFAULT_LEEWAY_SECS as i64;
}
