//! Mapped users by subject (`""` for the shared user), served only while this instance
//! hears about changes made elsewhere (see [`super::changes`]).
//!
//! A load can read a row just before a change commits and finish after the change was
//! heard (a `last_login` write waits on the changing transaction's row lock until its
//! COMMIT, which is when Postgres notifies). So each cached user carries the generation
//! of its subject read before its load began; every change heard moves the generation
//! on, and a user loaded under an older one is never served.

use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use actix_auth0::CacheStats;
use moka::future::Cache;

use super::{User, UserError, UserSettings};

/// Change counters, each shared by the subjects that hash to it (a collision only costs
/// a reload).
const GENERATION_STRIPES: usize = 1024;
/// Loads of one user retried while changes keep arriving; then the last one is served
/// uncached.
const MAX_LOAD_ATTEMPTS: usize = 3;

pub(super) struct UserCache {
    users: Cache<String, CachedUser>,
    trusted: AtomicBool,
    /// Lookups answered from the cache (`[1]`) and loads (`[0]`), read when scraped.
    lookups: [AtomicU64; 2],
    generations: Generations,
}

#[derive(Clone)]
struct CachedUser {
    user: Arc<User>,
    generation: u64,
}

impl UserCache {
    /// At most `cache_capacity` users, each for `cache_ttl`; `None` when either is zero.
    /// Not trusted until the change listener says it hears changes.
    pub(super) fn new(settings: &UserSettings) -> Option<Self> {
        (!settings.cache_ttl.is_zero() && settings.cache_capacity > 0).then(|| Self {
            users: Cache::builder()
                .max_capacity(settings.cache_capacity)
                .time_to_live(settings.cache_ttl)
                .build(),
            trusted: AtomicBool::new(false),
            lookups: Default::default(),
            generations: Generations::new(),
        })
    }

    /// How many users are cached; settles pending work first.
    pub(super) async fn entries(&self) -> u64 {
        self.users.run_pending_tasks().await;
        self.users.entry_count()
    }

    pub(super) fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.lookups[1].load(Ordering::Relaxed),
            misses: self.lookups[0].load(Ordering::Relaxed),
        }
    }

    pub(super) fn is_trusted(&self) -> bool {
        self.trusted.load(Ordering::SeqCst)
    }

    /// `key` changed elsewhere: its cached user goes, and a load of it in flight is not kept.
    pub(super) async fn forget(&self, key: &str) {
        self.generations.changed(key);
        self.users.invalidate(key).await;
    }

    pub(super) fn distrust(&self) {
        self.trusted.store(false, Ordering::SeqCst);
        self.generations.changed_all();
    }

    /// Trusted again, starting empty; loads begun before are not kept.
    pub(super) fn trust_again(&self) {
        self.generations.changed_all();
        self.users.invalidate_all();
        self.trusted.store(true, Ordering::SeqCst);
    }

    /// The user of `key`, loaded with `load` when missing (concurrent misses share a
    /// single load), and never one loaded before the last change heard of it.
    pub(super) async fn get_or_load<F, L>(&self, key: &str, load: L) -> Result<Arc<User>, UserError>
    where
        L: Fn() -> F,
        F: Future<Output = Result<Arc<User>, UserError>>,
    {
        for _ in 0..MAX_LOAD_ATTEMPTS {
            let generation = self.generations.of(key);
            let cached = async {
                let user = load().await?;
                Ok::<_, UserError>(CachedUser { user, generation })
            };
            let entry = self
                .users
                .entry_by_ref(key)
                .or_try_insert_with(cached)
                .await
                .map_err(|err| (*err).clone())?;
            self.lookups[usize::from(!entry.is_fresh())].fetch_add(1, Ordering::Relaxed);
            let cached = entry.into_value();
            if cached.generation == self.generations.of(key) {
                return Ok(cached.user);
            }
            // Loaded before a change was heard: it may be the old row.
            self.users.invalidate(key).await;
        }
        load().await
    }
}

/// Per-subject change counters, striped, plus an epoch that moves them all (a reconnect
/// of the change listener, after which anything may have changed).
struct Generations {
    stripes: Box<[AtomicU64]>,
    epoch: AtomicU64,
    hasher: RandomState,
}

impl Generations {
    fn new() -> Self {
        Self {
            stripes: (0..GENERATION_STRIPES).map(|_| AtomicU64::new(0)).collect(),
            epoch: AtomicU64::new(0),
            hasher: RandomState::new(),
        }
    }

    fn stripe(&self, key: &str) -> &AtomicU64 {
        let hash = self.hasher.hash_one(key) as usize;
        &self.stripes[hash % self.stripes.len()]
    }

    /// Grows with every change heard for `key` and every epoch.
    fn of(&self, key: &str) -> u64 {
        self.epoch.load(Ordering::SeqCst) + self.stripe(key).load(Ordering::SeqCst)
    }

    fn changed(&self, key: &str) {
        self.stripe(key).fetch_add(1, Ordering::SeqCst);
    }

    fn changed_all(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }
}
