//! The guard shared by every replica: one Redis, keys `norman-mcp:guard:` + base64url of the
//! SHA-256 `guard_key`, value `1`, every key with an expiry (`SET NX PX`).
//!
//! Every operation is bounded by a timeout; after a failure the guard answers "unavailable" at
//! once for a second before it tries Redis again, so a dead Redis costs callers (the MCP
//! bearer check asks on every request) at most one timeout a second, never a hang.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{Cmd, RedisError, Value};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{GuardError, GuardFuture, GuardSpace, RefreshClaim, ReplayGuard, guard_key, refresh_claim};
use url::Url;

const KEY_PREFIX: &str = "norman-mcp:guard:";

/// How long a failed store is not asked again: callers get `GuardError` at once meanwhile.
const PROBE_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
#[error("cannot use the replay store {address}: {reason}")]
pub struct RedisGuardError {
    address: String,
    reason: String,
}

/// A `redis://` URL. It may hold a password, so neither `Debug` nor `Display` shows more
/// than host and port.
#[derive(Clone)]
pub struct ReplayStoreUrl(Url);

impl ReplayStoreUrl {
    pub fn parse(text: &str) -> Result<ReplayStoreUrl, String> {
        let url = Url::parse(text).map_err(|e| format!("not a URL ({e}); expected redis://HOST:PORT"))?;
        if url.scheme() != "redis" {
            return Err("expected redis://HOST:PORT (TLS is not supported: use a private network)".into());
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err("expected redis://HOST:PORT: the host is missing".into());
        }
        Ok(ReplayStoreUrl(url))
    }

    /// `host:port`, safe to log.
    pub fn address(&self) -> String {
        format!("{}:{}", self.0.host_str().unwrap_or_default(), self.0.port().unwrap_or(6379))
    }

    /// The whole URL, credentials included: for the Redis client only.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }
}

impl std::fmt::Debug for ReplayStoreUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReplayStoreUrl(redis://{})", self.address())
    }
}

impl std::str::FromStr for ReplayStoreUrl {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ReplayStoreUrl::parse(text)
    }
}

pub struct RedisGuard {
    connection: ConnectionManager,
    /// `host:port` only: the URL may hold a password.
    address: String,
    timeout: Duration,
    outage: Mutex<Outage>,
}

/// Whether the store is failing, and when to ask it again.
#[derive(Default)]
struct Outage {
    down: bool,
    next_probe: Option<Instant>,
}

/// Why one operation failed; logged once per outage, never with a key or the URL.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("{0}")]
    Redis(#[from] RedisError),
    #[error("unexpected reply")]
    Reply,
}

impl RedisGuard {
    /// Prepares the connection without connecting: a replica starts (and serves MCP) while
    /// Redis is down, and connects on first use.
    pub fn new(url: &ReplayStoreUrl, timeout: Duration) -> Result<RedisGuard, RedisGuardError> {
        let address = url.address();
        let error =
            |e: RedisError| RedisGuardError { address: address.clone(), reason: format!("{:?}", e.kind()) };
        let client = ::redis::Client::open(url.expose()).map_err(error)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(timeout);
        let connection = ConnectionManager::new_lazy_with_config(client, config).map_err(error)?;
        Ok(RedisGuard { connection, address, timeout, outage: Mutex::default() })
    }

    /// Asks Redis once and logs whether it answers; the server starts either way.
    pub async fn check(&self) {
        if self.run::<Value>(&::redis::cmd("PING")).await.is_ok() {
            tracing::info!(store = %self.address, "replay store reachable");
        }
    }

    fn key(space: GuardSpace, id: &str) -> String {
        format!("{KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(guard_key(space, id)))
    }

    /// `SET key 1 NX PX ttl`: Redis wants at least one millisecond.
    fn set_nx(space: GuardSpace, id: &str, ttl: Duration) -> Cmd {
        let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut cmd = ::redis::cmd("SET");
        cmd.arg(RedisGuard::key(space, id)).arg(1).arg("NX").arg("PX").arg(millis);
        cmd
    }

    fn lock_outage(&self) -> std::sync::MutexGuard<'_, Outage> {
        self.outage.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs one command or transaction within the timeout, minding the outage state.
    async fn run<T: ::redis::FromRedisValue>(&self, request: &impl Request) -> Result<T, GuardError> {
        if self.lock_outage().next_probe.is_some_and(|at| Instant::now() < at) {
            return Err(GuardError);
        }
        let mut connection = self.connection.clone();
        let result = match tokio::time::timeout(self.timeout, request.send(&mut connection)).await {
            Err(_) => Err(Failure::Timeout(self.timeout)),
            Ok(Err(error)) => Err(Failure::Redis(error)),
            Ok(Ok(value)) => ::redis::from_redis_value(value).map_err(|_| Failure::Reply),
        };
        let mut outage = self.lock_outage();
        match result {
            Ok(value) => {
                if outage.down {
                    tracing::info!(store = %self.address, "replay store reachable again");
                }
                *outage = Outage::default();
                Ok(value)
            }
            Err(failure) => {
                if !outage.down {
                    tracing::error!(
                        store = %self.address,
                        error = %failure,
                        "replay store unreachable: /token and /revoke answer 503 temporarily_unavailable \
                         until it is back"
                    );
                }
                outage.down = true;
                outage.next_probe = Some(Instant::now() + PROBE_INTERVAL);
                Err(GuardError)
            }
        }
    }
}

/// A command or an atomic pipeline, sent the same way.
trait Request: Sync {
    fn send<'a>(
        &'a self,
        connection: &'a mut ConnectionManager,
    ) -> impl Future<Output = Result<Value, RedisError>> + Send + 'a;
}

impl Request for Cmd {
    fn send<'a>(
        &'a self,
        connection: &'a mut ConnectionManager,
    ) -> impl Future<Output = Result<Value, RedisError>> + Send + 'a {
        self.query_async(connection)
    }
}

impl Request for ::redis::Pipeline {
    fn send<'a>(
        &'a self,
        connection: &'a mut ConnectionManager,
    ) -> impl Future<Output = Result<Value, RedisError>> + Send + 'a {
        self.query_async(connection)
    }
}

/// `SET NX` answers OK when it set the key and nil when the key was there.
fn was_set(reply: &Value) -> bool {
    !matches!(reply, Value::Nil)
}

impl ReplayGuard for RedisGuard {
    fn first_use<'a>(&'a self, space: GuardSpace, id: &'a str, ttl: Duration) -> GuardFuture<'a, bool> {
        Box::pin(async move {
            let reply: Value = self.run(&RedisGuard::set_nx(space, id, ttl)).await?;
            Ok(was_set(&reply))
        })
    }

    fn contains<'a>(&'a self, space: GuardSpace, id: &'a str) -> GuardFuture<'a, bool> {
        Box::pin(async move {
            let mut cmd = ::redis::cmd("EXISTS");
            cmd.arg(RedisGuard::key(space, id));
            let count: i64 = self.run(&cmd).await?;
            Ok(count > 0)
        })
    }

    fn claim_refresh<'a>(
        &'a self,
        id: &'a str,
        grace: Duration,
        ttl: Duration,
    ) -> GuardFuture<'a, RefreshClaim> {
        Box::pin(async move {
            // MULTI/EXEC: no other replica's claim can fall between the two marks.
            let mut pipe = ::redis::pipe();
            pipe.atomic()
                .add_command(RedisGuard::set_nx(GuardSpace::RefreshGrace, id, grace))
                .add_command(RedisGuard::set_nx(GuardSpace::SpentRefresh, id, ttl));
            let (grace_reply, spent_reply): (Value, Value) = self.run(&pipe).await?;
            Ok(refresh_claim(was_set(&grace_reply), was_set(&spent_reply)))
        })
    }

    fn release_refresh<'a>(&'a self, id: &'a str) -> GuardFuture<'a, ()> {
        Box::pin(async move {
            let mut cmd = ::redis::cmd("DEL");
            cmd.arg(RedisGuard::key(GuardSpace::RefreshGrace, id))
                .arg(RedisGuard::key(GuardSpace::SpentRefresh, id));
            let _: i64 = self.run(&cmd).await?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_store_urls() {
        let url = ReplayStoreUrl::parse("redis://:hunter2-secret@10.0.0.5:6380/2").unwrap();
        assert_eq!(url.address(), "10.0.0.5:6380");
        assert!(!format!("{url:?}").contains("hunter2"));
        assert_eq!(ReplayStoreUrl::parse("redis://cache").unwrap().address(), "cache:6379");
        for bad in ["rediss://cache:6380", "http://cache", "cache:6379", "redis://"] {
            assert!(ReplayStoreUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_are_namespaced_hashes_with_an_expiry() {
        let key = RedisGuard::key(GuardSpace::SpentCode, "secret-code-id");
        assert!(key.starts_with(KEY_PREFIX));
        assert!(!key.contains("secret-code-id"));
        let packed = String::from_utf8_lossy(
            &RedisGuard::set_nx(GuardSpace::SpentCode, "x", Duration::ZERO).get_packed_command(),
        )
        .into_owned();
        assert!(packed.contains("NX") && packed.contains("PX"), "{packed}");
        assert!(packed.ends_with("$1\r\n1\r\n"), "at least one millisecond: {packed}");
    }
}
