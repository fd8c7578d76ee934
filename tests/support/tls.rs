//! HTTPS in front of the stand-in: a certificate authority the test generates, and a
//! TLS-terminating forwarder that accepts TLS on its own port and passes the plain bytes on to
//! the stand-in's port. Only std threads, rcgen and rustls (ring).

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// No forwarded connection lives longer than this.
const MAX_CONNECTION: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(5);

/// A fresh CA and a server certificate it signed for `localhost` and `pointauth.test` (not for
/// 127.0.0.1, so `https://127.0.0.1:PORT` is a name mismatch).
pub struct TestCa {
    /// The CA certificate, PEM: what `SSL_CERT_FILE` points at.
    pub ca_pem: String,
    config: Arc<ServerConfig>,
}

impl TestCa {
    pub fn new() -> TestCa {
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "pointauth test CA");
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
        let issuer = Issuer::new(ca, ca_key);

        let leaf_key = KeyPair::generate().expect("server key");
        let mut leaf =
            CertificateParams::new(vec!["localhost".to_owned(), "pointauth.test".to_owned()])
                .expect("server params");
        leaf.distinguished_name
            .push(DnType::CommonName, "localhost");
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        let leaf_cert = leaf.signed_by(&leaf_key, &issuer).expect("server cert");

        let chain = vec![
            CertificateDer::from(leaf_cert.der().to_vec()),
            CertificateDer::from(ca_cert.der().to_vec()),
        ];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let config =
            ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .expect("TLS versions")
                .with_no_client_auth()
                .with_single_cert(chain, key)
                .expect("server config");
        TestCa {
            ca_pem: ca_cert.pem(),
            config: Arc::new(config),
        }
    }

    /// Writes the CA certificate to `path` (for `SSL_CERT_FILE`).
    pub fn write_ca(&self, path: &Path) {
        std::fs::write(path, &self.ca_pem).expect("write CA PEM");
    }
}

/// A TLS-terminating forwarder: TLS on its own port, plain bytes to 127.0.0.1:`backend`.
pub struct TlsFront {
    port: u16,
    shared: Arc<FrontShared>,
}

struct FrontShared {
    stop: AtomicBool,
    /// TCP connections accepted (every attempt, whether or not its handshake succeeds).
    connections: AtomicUsize,
    /// Handshakes completed.
    handshakes: AtomicUsize,
    /// Connections served; every later one is closed unanswered, before any handshake.
    serve: usize,
}

impl TlsFront {
    pub fn start(ca: &TestCa, backend: u16) -> TlsFront {
        TlsFront::serving(ca, backend, usize::MAX)
    }

    /// A front that serves its first `serve` connections and closes every later one at once,
    /// as a middlebox that drops a client's second connection does.
    pub fn serving(ca: &TestCa, backend: u16, serve: usize) -> TlsFront {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind TLS front");
        let port = listener.local_addr().expect("TLS front address").port();
        let shared = Arc::new(FrontShared {
            stop: AtomicBool::new(false),
            connections: AtomicUsize::new(0),
            handshakes: AtomicUsize::new(0),
            serve,
        });
        let config = Arc::clone(&ca.config);
        let accept_shared = Arc::clone(&shared);
        thread::Builder::new()
            .name(format!("tls-front-{port}"))
            .spawn(move || {
                for conn in listener.incoming() {
                    if accept_shared.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = conn else { continue };
                    let before = accept_shared.connections.fetch_add(1, Ordering::SeqCst);
                    if before >= accept_shared.serve {
                        drop(stream);
                        continue;
                    }
                    let config = Arc::clone(&config);
                    let shared = Arc::clone(&accept_shared);
                    let _ = thread::Builder::new()
                        .name("tls-front-conn".into())
                        .spawn(move || {
                            let _ = forward(stream, config, backend, &shared);
                        });
                }
            })
            .expect("spawn TLS front");
        TlsFront { port, shared }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `https://HOST:PORT`; the certificate names `localhost` and `pointauth.test`.
    pub fn base_url(&self, host: &str) -> String {
        format!("https://{host}:{}", self.port)
    }

    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    pub fn handshakes(&self) -> usize {
        self.shared.handshakes.load(Ordering::SeqCst)
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the blocked accept() so the thread sees the flag.
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let _ = TcpStream::connect_timeout(&addr, Duration::from_secs(1));
    }
}

fn timed_out(err: &io::Error) -> bool {
    matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

/// One connection: the handshake, then bytes both ways until either side is done.
fn forward(
    tcp: TcpStream,
    config: Arc<ServerConfig>,
    backend: u16,
    shared: &FrontShared,
) -> io::Result<()> {
    tcp.set_nodelay(true)?;
    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
    tcp.set_write_timeout(Some(Duration::from_secs(10)))?;
    let conn = rustls::ServerConnection::new(config).map_err(io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock)?;
    }
    shared.handshakes.fetch_add(1, Ordering::SeqCst);

    let mut plain = TcpStream::connect(("127.0.0.1", backend))?;
    plain.set_nodelay(true)?;
    plain.set_read_timeout(Some(POLL))?;
    tls.sock.set_read_timeout(Some(POLL))?;
    let deadline = Instant::now() + MAX_CONNECTION;
    let mut buf = vec![0u8; 64 * 1024];
    while Instant::now() < deadline && !shared.stop.load(Ordering::SeqCst) {
        match tls.read(&mut buf) {
            // The client hung up (HTTP clients never half-close): nobody is left to answer.
            Ok(0) => return Ok(()),
            Ok(n) => plain.write_all(&buf[..n])?,
            Err(err) if timed_out(&err) => {}
            Err(_) => return Ok(()),
        }
        match plain.read(&mut buf) {
            Ok(0) => {
                tls.conn.send_close_notify();
                let _ = tls.flush();
                let _ = tls.sock.shutdown(Shutdown::Write);
                return Ok(());
            }
            Ok(n) => {
                tls.write_all(&buf[..n])?;
                tls.flush()?;
            }
            Err(err) if timed_out(&err) => {}
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}
