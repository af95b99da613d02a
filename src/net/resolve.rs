//! The resolver of outbound fetches. It is hickory's asynchronous stub resolver: a lookup is a
//! UDP (or TCP) exchange on the runtime, never `getaddrinfo` on tokio's blocking pool, where a
//! name server that does not answer would hold one thread per lookup for the system resolver's
//! whole timeout. Every lookup has a deadline of its own, names are looked up as absolute (no
//! search domains), and a name with any address that is not public is refused.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    ConnectionConfig, LookupIpStrategy, NameServerConfig, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::address::is_public_address;

/// Where names are looked up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Nameservers {
    /// The system's name servers (`/etc/resolv.conf`) and hosts file (`/etc/hosts`).
    #[default]
    System,
    /// Only these name servers, over UDP (TCP when an answer is truncated): tests use one of
    /// their own.
    Only(Vec<SocketAddr>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsConfig {
    pub nameservers: Nameservers,
    /// For one whole lookup, every name server and retry included.
    pub timeout: Duration,
}

impl Default for DnsConfig {
    fn default() -> Self {
        DnsConfig { nameservers: Nameservers::System, timeout: Duration::from_secs(2) }
    }
}

/// The system's DNS configuration could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the system's DNS configuration: {0}")]
pub struct DnsSetupError(#[source] hickory_resolver::net::NetError);

/// Why a name gave no address to connect to. Raised inside the HTTP client's resolver and
/// found again in the request error's source chain (`client::FetchError::of`).
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("{host} resolves to {address}, which is not a public address")]
    Refused { host: String, address: IpAddr },
    #[error("looking up {host} took longer than {timeout:?}")]
    Timeout { host: String, timeout: Duration },
    #[error("{host} has no addresses")]
    NoAddresses { host: String },
    #[error("looking up {host} failed: {source}")]
    Lookup {
        host: String,
        #[source]
        source: hickory_resolver::net::NetError,
    },
}

/// Resolves with hickory under a deadline and refuses a name if any address is not public.
/// Refusing on any (not filtering) keeps a name that mixes public and internal addresses from
/// being used to probe the internal ones. Cheap to clone; clones share the DNS cache.
#[derive(Clone)]
pub struct GuardedResolver {
    resolver: TokioResolver,
    timeout: Duration,
    allow_private_addresses: bool,
}

impl GuardedResolver {
    pub fn new(dns: &DnsConfig, allow_private_addresses: bool) -> Result<GuardedResolver, DnsSetupError> {
        let provider = TokioRuntimeProvider::default();
        let mut builder = match &dns.nameservers {
            Nameservers::System => TokioResolver::builder(provider).map_err(DnsSetupError)?,
            Nameservers::Only(servers) => {
                let servers = servers
                    .iter()
                    .map(|server| {
                        let mut udp = ConnectionConfig::udp();
                        udp.port = server.port();
                        let mut tcp = ConnectionConfig::tcp();
                        tcp.port = server.port();
                        NameServerConfig::new(server.ip(), true, vec![udp, tcp])
                    })
                    .collect();
                TokioResolver::builder_with_config(ResolverConfig::from_name_servers(servers), provider)
            }
        };
        let options: &mut ResolverOpts = builder.options_mut();
        options.timeout = dns.timeout;
        options.attempts = 1;
        // Both families, so that a name with an internal address of either kind is refused.
        options.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
        let resolver = builder.build().map_err(DnsSetupError)?;
        Ok(GuardedResolver { resolver, timeout: dns.timeout, allow_private_addresses })
    }

    /// The addresses of `host` (a DNS name, not an address literal), every one of them public
    /// unless private addresses are allowed.
    pub async fn resolve(&self, host: &str) -> Result<Vec<IpAddr>, ResolveError> {
        // Absolute: a relative name would also be tried under the search domains.
        let absolute = if host.ends_with('.') { host.to_owned() } else { format!("{host}.") };
        let lookup = tokio::time::timeout(self.timeout, self.resolver.lookup_ip(absolute))
            .await
            .map_err(|_| ResolveError::Timeout { host: host.to_owned(), timeout: self.timeout })?
            .map_err(|source| ResolveError::Lookup { host: host.to_owned(), source })?;
        let addresses: Vec<IpAddr> = lookup.iter().collect();
        if addresses.is_empty() {
            return Err(ResolveError::NoAddresses { host: host.to_owned() });
        }
        if !self.allow_private_addresses
            && let Some(bad) = addresses.iter().find(|address| !is_public_address(**address))
        {
            return Err(ResolveError::Refused { host: host.to_owned(), address: *bad });
        }
        Ok(addresses)
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let resolver = self.clone();
        Box::pin(async move {
            let addresses = GuardedResolver::resolve(&resolver, name.as_str()).await?;
            // Port 0: the connector puts in the URL's port.
            let addrs: Addrs = Box::new(addresses.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}
