//! Prometheus metrics (`GET /metrics`, OpenMetrics text): requests by route and status, tokens
//! issued, access-token verification outcomes, Norman's latency, the keys in force and the
//! replay guard's hits. Labels are fixed words and route templates: never an id, a token or a
//! client address.

use std::time::{Duration, Instant};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::keyring::Keyring;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GrantLabels {
    grant_type: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UpstreamLabels {
    operation: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GuardLabels {
    event: &'static str,
}

/// What the replay guard caught.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardHit {
    /// An authorization code presented a second time.
    CodeReplayed,
    /// A rotated refresh token presented again after the grace window: its family is revoked.
    RefreshReused,
    /// A concurrent duplicate of a refresh answered by another request.
    RefreshInGrace,
    /// A refresh token of a revoked family.
    FamilyRevoked,
    /// An access token revoked by id.
    AccessRevoked,
}

impl GuardHit {
    const fn label(self) -> &'static str {
        match self {
            GuardHit::CodeReplayed => "code_replayed",
            GuardHit::RefreshReused => "refresh_reused",
            GuardHit::RefreshInGrace => "refresh_in_grace",
            GuardHit::FamilyRevoked => "family_revoked",
            GuardHit::AccessRevoked => "access_revoked",
        }
    }
}

/// One per server; every counter is lock-free to bump.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    tokens_issued: Family<GrantLabels, Counter>,
    verifications: Family<OutcomeLabels, Counter>,
    upstream: Family<UpstreamLabels, Histogram>,
    guard_hits: Family<GuardLabels, Counter>,
    keys_in_force: Gauge,
    sealing_key: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("norman_mcp");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests by route template and status", requests.clone());
        let tokens_issued = Family::<GrantLabels, Counter>::default();
        registry.register(
            "tokens_issued",
            "Access tokens issued by the token endpoint, by grant type",
            tokens_issued.clone(),
        );
        let verifications = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "access_token_verifications",
            "Bearer checks at /mcp by outcome (ok, or why the token was refused)",
            verifications.clone(),
        );
        // 1 ms to about 16 s: Norman answers in milliseconds; the timeout is 30 s by default.
        let upstream = Family::<UpstreamLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.001, 2.0, 15))
        });
        registry.register_with_unit(
            "upstream_request_duration",
            "Norman API calls by operation",
            prometheus_client::registry::Unit::Seconds,
            upstream.clone(),
        );
        let guard_hits = Family::<GuardLabels, Counter>::default();
        registry.register(
            "replay_guard_hits",
            "Replays and revoked grants the replay guard caught",
            guard_hits.clone(),
        );
        let keys_in_force = Gauge::default();
        registry.register(
            "keys_in_force",
            "Keys in the keyring (sealing, pending and verify-only)",
            keys_in_force.clone(),
        );
        let sealing_key = Gauge::default();
        registry.register(
            "sealing_key_id",
            "The id of the key sealing new tokens (0: none yet)",
            sealing_key.clone(),
        );
        Metrics {
            registry,
            requests,
            tokens_issued,
            verifications,
            upstream,
            guard_hits,
            keys_in_force,
            sealing_key,
        }
    }

    pub fn request(&self, route: &str, status: u16) {
        self.requests.get_or_create(&RequestLabels { route: route.to_owned(), status }).inc();
    }

    pub fn token_issued(&self, grant_type: &'static str) {
        self.tokens_issued.get_or_create(&GrantLabels { grant_type }).inc();
    }

    pub fn verification(&self, outcome: &'static str) {
        self.verifications.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    pub fn guard_hit(&self, hit: GuardHit) {
        self.guard_hits.get_or_create(&GuardLabels { event: hit.label() }).inc();
    }

    pub fn upstream(&self, operation: &'static str, elapsed: Duration) {
        self.upstream.get_or_create(&UpstreamLabels { operation }).observe(elapsed.as_secs_f64());
    }

    /// Starts timing an upstream call; the time is recorded when the timer is dropped, so an
    /// early return or a cancelled request is counted too.
    pub fn upstream_timer(&self, operation: &'static str) -> UpstreamTimer<'_> {
        UpstreamTimer { metrics: self, operation, started: Instant::now() }
    }

    /// The text a scrape gets, with the keyring's figures as of now.
    pub fn render(&self, keyring: &Keyring, now: time::OffsetDateTime) -> String {
        self.keys_in_force.set(i64::try_from(keyring.ids().len()).unwrap_or(i64::MAX));
        self.sealing_key.set(keyring.sealing_key(now).map_or(0, |key| i64::from(key.id())));
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

pub struct UpstreamTimer<'a> {
    metrics: &'a Metrics,
    operation: &'static str,
    started: Instant,
}

impl Drop for UpstreamTimer<'_> {
    fn drop(&mut self) {
        self.metrics.upstream(self.operation, self.started.elapsed());
    }
}
