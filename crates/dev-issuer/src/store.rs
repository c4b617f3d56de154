//! What the issuer remembers between requests, in memory: login sessions, authorization
//! codes (single use, about a minute) and refresh-token families (rotated on every use;
//! a reused token revokes its family). A restart forgets all of it, like logging out.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::settings::DevUser;

/// How long an authorization code can be exchanged.
const CODE_LIFETIME: Duration = Duration::from_secs(60);

/// What a code or refresh token was granted for.
#[derive(Clone, Debug)]
pub struct Grant {
    pub user: DevUser,
    pub client_id: String,
    pub audience: String,
    /// The granted scopes, space-separated.
    pub scope: String,
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
    issued: Instant,
}

struct RefreshToken {
    grant: Grant,
    family: u64,
    /// Replaced by a newer token of its family: presenting it again is a replay.
    rotated: bool,
}

/// Why a refresh token was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum RefreshError {
    Unknown,
    /// An old token of the family was presented again: the family is revoked.
    Reused,
}

#[derive(Default)]
struct State {
    sessions: HashMap<String, DevUser>,
    codes: HashMap<String, PendingCode>,
    refresh_tokens: HashMap<String, RefreshToken>,
    revoked_families: HashSet<u64>,
    next_family: u64,
}

#[derive(Default)]
pub struct Store {
    state: Mutex<State>,
}

impl Store {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts a login session for `user`; returns its id (the cookie's value).
    pub fn open_session(&self, user: DevUser) -> String {
        let id = random_token();
        self.state().sessions.insert(id.clone(), user);
        id
    }

    pub fn session(&self, id: &str) -> Option<DevUser> {
        self.state().sessions.get(id).cloned()
    }

    pub fn close_session(&self, id: &str) {
        self.state().sessions.remove(id);
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
            issued: Instant::now(),
        };
        let mut state = self.state();
        state
            .codes
            .retain(|_, code| code.issued.elapsed() < CODE_LIFETIME);
        state.codes.insert(code.clone(), pending);
        code
    }

    /// Takes `code` out (it is good for one attempt, whatever its outcome) if it has not expired.
    pub fn take_code(&self, code: &str) -> Option<PendingCode> {
        self.state()
            .codes
            .remove(code)
            .filter(|pending| pending.issued.elapsed() < CODE_LIFETIME)
    }

    /// A refresh token starting a new family.
    pub fn issue_refresh_token(&self, grant: Grant) -> String {
        let mut state = self.state();
        state.next_family += 1;
        let family = state.next_family;
        insert_refresh_token(&mut state, grant, family)
    }

    /// Rotates `token`: returns its grant and the token that replaces it.
    pub fn rotate_refresh_token(&self, token: &str) -> Result<(Grant, String), RefreshError> {
        let mut state = self.state();
        let (family, rotated, grant) = match state.refresh_tokens.get_mut(token) {
            None => return Err(RefreshError::Unknown),
            Some(entry) => {
                let was_rotated = entry.rotated;
                entry.rotated = true;
                (entry.family, was_rotated, entry.grant.clone())
            }
        };
        if state.revoked_families.contains(&family) {
            return Err(RefreshError::Reused);
        }
        if rotated {
            state.revoked_families.insert(family);
            return Err(RefreshError::Reused);
        }
        let replacement = insert_refresh_token(&mut state, grant.clone(), family);
        Ok((grant, replacement))
    }
}

fn insert_refresh_token(state: &mut State, grant: Grant, family: u64) -> String {
    let token = random_token();
    state.refresh_tokens.insert(
        token.clone(),
        RefreshToken {
            grant,
            family,
            rotated: false,
        },
    );
    token
}

/// 256 random bits, base64url: session ids, codes, refresh tokens.
pub fn random_token() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    // The OS's generator failing is not something a dev tool can recover from.
    getrandom::fill(&mut bytes).expect("the operating system's random number generator");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant() -> Grant {
        Grant {
            user: DevUser::new("auth0|alice", vec![]),
            client_id: "spa".into(),
            audience: "https://api".into(),
            scope: "openid offline_access".into(),
        }
    }

    #[test]
    fn a_code_is_good_once() {
        let store = Store::default();
        let code = store.issue_code(grant(), "http://app".into(), "c".into(), None);
        assert!(store.take_code(&code).is_some());
        assert!(store.take_code(&code).is_none());
    }

    #[test]
    fn a_reused_refresh_token_revokes_its_family() {
        let store = Store::default();
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
}
