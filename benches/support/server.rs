//! The server a bench measures: on a free port of 127.0.0.1, with a key file made a minute
//! ago, in front of the Norman API at `norman`. Only the benches that run the whole server
//! include this file.

use std::sync::Arc;

use norman_mcp::config::Config;
use norman_mcp::keyring::{KeyFile, Keyring, SharedKeyring};
use norman_mcp::server::RunningServer;

pub async fn start(norman: url::Url) -> (Config, Arc<SharedKeyring>, RunningServer) {
    let keys = KeyFile::generate(time::OffsetDateTime::now_utc() - time::Duration::minutes(1)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = Config::local(listener.local_addr().unwrap(), norman);
    let keyring = Arc::new(SharedKeyring::fixed(Keyring::from_file(&keys).bound_to(&config.issuer())));
    let server = norman_mcp::server::start(listener, &config, Arc::clone(&keyring)).await.unwrap();
    (config, keyring, server)
}
