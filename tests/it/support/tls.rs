//! One local HTTPS server for every test that needs one: a self-signed certificate for
//! `localhost` and a hand-written HTTP/1.1 responder, so a test can misbehave in exactly the way
//! it needs (stall, trickle, omit Content-Length, redirect). It plays a host of client metadata
//! documents, a source of uploads, and Norman over HTTPS.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// What the server answers to one request.
#[derive(Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    /// Pause before answering anything.
    pub delay: Duration,
    /// Send the body 16 bytes at a time with this pause in between.
    pub trickle: Option<Duration>,
    /// No Content-Length: the body ends when the connection closes.
    pub close_delimited: bool,
}

impl Reply {
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: body.into(),
            delay: Duration::ZERO,
            trickle: None,
            close_delimited: false,
        }
    }

    pub fn json(value: &Value) -> Reply {
        Reply::new(200, value.to_string()).header("Content-Type", "application/json")
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }
}

/// Answers a request for `path`; `base` is `https://localhost:PORT`.
type Handler = Arc<dyn Fn(&str, &str) -> Reply + Send + Sync>;

pub struct TlsServer {
    pub base: String,
    pub port: u16,
    /// The self-signed certificate (DER) a client under test must be told to trust.
    pub certificate: Vec<u8>,
    /// TCP connections accepted, counted before any TLS.
    connections: Arc<AtomicUsize>,
    /// The head (request line and headers) of every request, in order.
    requests: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl TlsServer {
    pub async fn start(handler: impl Fn(&str, &str) -> Reply + Send + Sync + 'static) -> TlsServer {
        let handler: Handler = Arc::new(handler);
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let certificate = certified.cert.der().to_vec();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()));
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![CertificateDer::from(certificate.clone())], key)
            .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let base = format!("https://localhost:{port}");
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));

        let task = {
            let (base, connections, requests) = (base.clone(), connections.clone(), requests.clone());
            tokio::spawn(async move {
                // Dropping the set (when the task is aborted) aborts every open connection too.
                let mut open = JoinSet::new();
                loop {
                    let Ok((tcp, _)) = listener.accept().await else { continue };
                    connections.fetch_add(1, Ordering::SeqCst);
                    let (acceptor, handler, requests, base) =
                        (acceptor.clone(), handler.clone(), requests.clone(), base.clone());
                    open.spawn(async move {
                        let _ = serve(acceptor, tcp, &base, handler, requests).await;
                    });
                    while open.try_join_next().is_some() {}
                }
            })
        };
        TlsServer { base, port, certificate, connections, requests, task }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The paths requested, in order.
    pub fn requests(&self) -> Vec<String> {
        self.heads()
            .iter()
            .map(|head| head.split_whitespace().nth(1).unwrap_or_default().to_owned())
            .collect()
    }

    /// The heads (request line and headers) of the requests, in order.
    pub fn heads(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    pub fn hits(&self, path: &str) -> usize {
        self.requests().iter().filter(|p| *p == path).count()
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    pub async fn stop(mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for TlsServer {
    // Also stops the server when a test fails half-way.
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    acceptor: TlsAcceptor,
    tcp: TcpStream,
    base: &str,
    handler: Handler,
    requests: Arc<Mutex<Vec<String>>>,
) -> std::io::Result<()> {
    let mut tls = acceptor.accept(tcp).await?;
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tls.read(&mut buffer).await?;
        if n == 0 || head.len() > 16 * 1024 {
            return Ok(());
        }
        head.extend_from_slice(&buffer[..n]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let path = head.split_whitespace().nth(1).unwrap_or_default().to_owned();
    requests.lock().unwrap().push(head);
    let reply = handler(base, &path);
    tokio::time::sleep(reply.delay).await;

    let mut response = format!("HTTP/1.1 {} Test\r\nConnection: close\r\n", reply.status);
    if !reply.close_delimited {
        response += &format!("Content-Length: {}\r\n", reply.body.len());
    }
    for (name, value) in &reply.headers {
        response += &format!("{name}: {value}\r\n");
    }
    response += "\r\n";
    tls.write_all(response.as_bytes()).await?;
    match reply.trickle {
        None => tls.write_all(&reply.body).await?,
        Some(pause) => {
            for piece in reply.body.chunks(16) {
                tls.write_all(piece).await?;
                tls.flush().await?;
                tokio::time::sleep(pause).await;
            }
        }
    }
    // close_notify, then close: ends a close-delimited body cleanly.
    tls.shutdown().await
}
