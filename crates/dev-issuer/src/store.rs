//! What the issuer remembers between requests, in memory: login sessions, login forms
//! (their anti-forgery tokens), authorization codes (single use, a minute) and
//! refresh-token families (rotated on every use; a reused token revokes its family).
//! A restart forgets all of it, like logging out.
//!
//! Everything expires as a tenant's would (sessions and refresh tokens both after an
//! idle time and at an absolute age), and each kind holds at most `capacity` entries,
//! the least recently used going first, so a flood of logins or token requests cannot
//! grow memory without bound.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::policy::EvictionPolicy;
use moka::sync::Cache;
use moka::Expiry;

use crate::settings::{DevUser, Lifetimes};

/// How long an authorization code can be exchanged.
const CODE_LIFETIME: Duration = Duration::from_secs(60);
/// How long a login page can be submitted.
const LOGIN_FORM_LIFETIME: Duration = Duration::from_secs(600);

/// What a code or refresh token was granted for.
#[derive(Clone, Debug)]
pub struct Grant {
    pub user: DevUser,
    pub client_id: String,
    pub audience: String,
    /// The granted scopes, space-separated.
    pub scope: String,
    /// The thumbprint of the DPoP key its tokens are bound to (`cnf.jkt`).
    pub jkt: Option<String>,
}

impl Grant {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.split(' ').any(|granted| granted == scope)
    }
}

/// An authorization code waiting for its exchange.
#[derive(Clone, Debug)]
pub struct PendingCode {
    pub grant: Grant,
    pub redirect_uri: String,
    /// BASE64URL(SHA-256(code_verifier)).
    pub code_challenge: String,
    pub nonce: Option<String>,
}

/// Something that lives until it has been idle for `idle`, and at most until `started +
/// absolute` (a session, a refresh-token family).
#[derive(Clone, Copy, Debug)]
struct Lifetime {
    started: Instant,
    idle: Duration,
    absolute: Duration,
}

impl Lifetime {
    fn new(idle: Duration, absolute: Duration) -> Self {
        Self {
            started: Instant::now(),
            idle,
            absolute,
        }
    }

    /// How long from `at` until it expires if not used again.
    fn remaining(&self, at: Instant) -> Duration {
        let age = at.saturating_duration_since(self.started);
        self.idle.min(self.absolute.saturating_sub(age))
    }
}

trait HasLifetime {
    fn lifetime(&self) -> Lifetime;
}

/// Entries expire as their [`Lifetime`] says; reading renews the idle time when `renew`.
struct ByLifetime {
    renew_on_read: bool,
}

impl<V: HasLifetime> Expiry<String, V> for ByLifetime {
    fn expire_after_create(&self, _: &String, value: &V, created_at: Instant) -> Option<Duration> {
        Some(value.lifetime().remaining(created_at))
    }

    fn expire_after_read(
        &self,
        _: &String,
        value: &V,
        read_at: Instant,
        remaining: Option<Duration>,
        _: Instant,
    ) -> Option<Duration> {
        if self.renew_on_read {
            Some(value.lifetime().remaining(read_at))
        } else {
            remaining
        }
    }
}

#[derive(Clone)]
struct Session {
    user: DevUser,
    lifetime: Lifetime,
}

impl HasLifetime for Session {
    fn lifetime(&self) -> Lifetime {
        self.lifetime
    }
}

struct RefreshToken {
    grant: Grant,
    family: u64,
    /// The family's: idle from this token's issue, absolute from the family's first.
    lifetime: Lifetime,
    /// Replaced by a newer token of its family: presenting it again is a replay.
    rotated: AtomicBool,
}

impl HasLifetime for Arc<RefreshToken> {
    fn lifetime(&self) -> Lifetime {
        self.lifetime
    }
}

/// Why a refresh token was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum RefreshError {
    /// Never issued, expired, or evicted.
    Unknown,
    /// An old token of the family was presented again: the family is revoked.
    Reused,
}

/// How many entries of each kind are held now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreCounts {
    pub sessions: u64,
    pub login_forms: u64,
    pub codes: u64,
    pub refresh_tokens: u64,
    pub revoked_families: u64,
}

pub struct Store {
    lifetimes: Lifetimes,
    sessions: Cache<String, Session>,
    login_forms: Cache<String, ()>,
    codes: Cache<String, PendingCode>,
    refresh_tokens: Cache<String, Arc<RefreshToken>>,
    revoked_families: Cache<u64, ()>,
    next_family: AtomicU64,
}

/// A cache of at most `capacity` entries, least recently used evicted first.
fn bounded<K, V>(capacity: u64) -> moka::sync::CacheBuilder<K, V, Cache<K, V>>
where
    K: std::hash::Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    Cache::builder()
        .max_capacity(capacity)
        .eviction_policy(EvictionPolicy::lru())
}

impl Store {
    pub fn new(lifetimes: Lifetimes, capacity: u64) -> Self {
        Self {
            sessions: bounded(capacity)
                .expire_after(ByLifetime {
                    renew_on_read: true,
                })
                .build(),
            login_forms: bounded(capacity).time_to_live(LOGIN_FORM_LIFETIME).build(),
            codes: bounded(capacity).time_to_live(CODE_LIFETIME).build(),
            refresh_tokens: bounded(capacity)
                .expire_after(ByLifetime {
                    renew_on_read: false,
                })
                .build(),
            // A revoked family's tokens cannot outlive its absolute lifetime.
            revoked_families: bounded(capacity)
                .time_to_live(lifetimes.refresh_token_absolute)
                .build(),
            next_family: AtomicU64::new(0),
            lifetimes,
        }
    }

    /// Starts a login session for `user`; returns its id (the cookie's value).
    pub fn open_session(&self, user: DevUser) -> String {
        let id = random_token();
        let lifetime = Lifetime::new(self.lifetimes.session_idle, self.lifetimes.session_absolute);
        self.sessions.insert(id.clone(), Session { user, lifetime });
        id
    }

    /// The session's user, if the session is open; renews its idle time.
    pub fn session(&self, id: &str) -> Option<DevUser> {
        self.sessions.get(id).map(|session| session.user)
    }

    pub fn close_session(&self, id: &str) {
        self.sessions.invalidate(id);
    }

    /// A new anti-forgery token for one login page.
    pub fn issue_login_form(&self) -> String {
        let token = random_token();
        self.login_forms.insert(token.clone(), ());
        token
    }

    /// Whether `token` was issued for a login page and not used yet; uses it up.
    pub fn take_login_form(&self, token: &str) -> bool {
        self.login_forms.remove(token).is_some()
    }

    /// A new single-use code for `grant`.
    pub fn issue_code(
        &self,
        grant: Grant,
        redirect_uri: String,
        code_challenge: String,
        nonce: Option<String>,
    ) -> String {
        let code = random_token();
        let pending = PendingCode {
            grant,
            redirect_uri,
            code_challenge,
            nonce,
        };
        self.codes.insert(code.clone(), pending);
        code
    }

    /// Takes `code` out (it is good for one attempt, whatever its outcome) if it has not expired.
    pub fn take_code(&self, code: &str) -> Option<PendingCode> {
        self.codes.remove(code)
    }

    /// A refresh token starting a new family.
    pub fn issue_refresh_token(&self, grant: Grant) -> String {
        let family = self.next_family.fetch_add(1, Ordering::Relaxed) + 1;
        let lifetime = Lifetime::new(
            self.lifetimes.refresh_token_idle,
            self.lifetimes.refresh_token_absolute,
        );
        self.insert_refresh_token(grant, family, lifetime)
    }

    /// The grant of refresh token `token`, without using it.
    pub fn refresh_grant(&self, token: &str) -> Option<Grant> {
        self.refresh_tokens
            .get(token)
            .map(|entry| entry.grant.clone())
    }

    /// Rotates `token`: returns its grant and the token that replaces it.
    pub fn rotate_refresh_token(&self, token: &str) -> Result<(Grant, String), RefreshError> {
        let entry = self
            .refresh_tokens
            .get(token)
            .ok_or(RefreshError::Unknown)?;
        if self.revoked_families.contains_key(&entry.family) {
            return Err(RefreshError::Reused);
        }
        // Of two concurrent uses of one token, exactly one rotates it.
        if entry.rotated.swap(true, Ordering::AcqRel) {
            self.revoked_families.insert(entry.family, ());
            return Err(RefreshError::Reused);
        }
        // The family's absolute lifetime is over: nothing to rotate to.
        if entry.lifetime.remaining(Instant::now()).is_zero() {
            return Err(RefreshError::Unknown);
        }
        // The replacement's idle time starts now; the family's absolute age goes on.
        let replacement =
            self.insert_refresh_token(entry.grant.clone(), entry.family, entry.lifetime);
        Ok((entry.grant.clone(), replacement))
    }

    fn insert_refresh_token(&self, grant: Grant, family: u64, lifetime: Lifetime) -> String {
        let token = random_token();
        let entry = RefreshToken {
            grant,
            family,
            lifetime,
            rotated: AtomicBool::new(false),
        };
        self.refresh_tokens.insert(token.clone(), Arc::new(entry));
        token
    }

    /// How many entries of each kind are held, after expired and evicted ones are gone.
    pub fn counts(&self) -> StoreCounts {
        self.sessions.run_pending_tasks();
        self.login_forms.run_pending_tasks();
        self.codes.run_pending_tasks();
        self.refresh_tokens.run_pending_tasks();
        self.revoked_families.run_pending_tasks();
        StoreCounts {
            sessions: self.sessions.entry_count(),
            login_forms: self.login_forms.entry_count(),
            codes: self.codes.entry_count(),
            refresh_tokens: self.refresh_tokens.entry_count(),
            revoked_families: self.revoked_families.entry_count(),
        }
    }
}

/// 256 random bits, base64url: session ids, codes, refresh tokens, form tokens.
pub fn random_token() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    // The OS's generator failing is not something a dev tool can recover from.
    getrandom::fill(&mut bytes).expect("the operating system's random number generator");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether `given` equals `expected`, in time independent of where they differ and of
/// their lengths (both are hashed first).
pub fn same_secret(given: &str, expected: &str) -> bool {
    use subtle::ConstantTimeEq;
    let digest = |text: &str| ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    digest(given)
        .as_ref()
        .ct_eq(digest(expected).as_ref())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_match_only_when_equal() {
        assert!(same_secret("s3cret-s3cret-s3cret", "s3cret-s3cret-s3cret"));
        for other in [
            "",
            "s3cret",
            "s3cret-s3cret-s3cres",
            "s3cret-s3cret-s3cret-",
        ] {
            assert!(!same_secret(other, "s3cret-s3cret-s3cret"), "{other}");
        }
    }

    fn grant() -> Grant {
        Grant {
            user: DevUser::new("auth0|alice", vec![]),
            client_id: "spa".into(),
            audience: "https://api".into(),
            scope: "openid offline_access".into(),
            jkt: None,
        }
    }

    fn store() -> Store {
        Store::new(Lifetimes::default(), 1000)
    }

    #[test]
    fn a_code_is_good_once() {
        let store = store();
        let code = store.issue_code(grant(), "http://app".into(), "c".into(), None);
        assert!(store.take_code(&code).is_some());
        assert!(store.take_code(&code).is_none());
    }

    #[test]
    fn a_login_form_token_is_good_once() {
        let store = store();
        let token = store.issue_login_form();
        assert!(store.take_login_form(&token));
        assert!(!store.take_login_form(&token));
        assert!(!store.take_login_form("made-up"));
    }

    #[test]
    fn a_reused_refresh_token_revokes_its_family() {
        let store = store();
        let first = store.issue_refresh_token(grant());
        let (_, second) = store.rotate_refresh_token(&first).unwrap();
        let (_, third) = store.rotate_refresh_token(&second).unwrap();
        assert_eq!(
            store.rotate_refresh_token(&first).unwrap_err(),
            RefreshError::Reused
        );
        assert_eq!(
            store.rotate_refresh_token(&third).unwrap_err(),
            RefreshError::Reused
        );
        let other = store.issue_refresh_token(grant());
        assert!(
            store.rotate_refresh_token(&other).is_ok(),
            "other families stand"
        );
        assert_eq!(
            store.rotate_refresh_token("nope").unwrap_err(),
            RefreshError::Unknown
        );
    }

    #[test]
    fn a_lifetime_ends_at_its_idle_time_or_its_absolute_age() {
        let lifetime = Lifetime::new(Duration::from_secs(15), Duration::from_secs(30));
        let start = lifetime.started;
        assert_eq!(lifetime.remaining(start), Duration::from_secs(15));
        assert_eq!(
            lifetime.remaining(start + Duration::from_secs(20)),
            Duration::from_secs(10)
        );
        assert_eq!(
            lifetime.remaining(start + Duration::from_secs(40)),
            Duration::ZERO
        );
    }
}
