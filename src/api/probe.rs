//! `doctor`'s look at the network path: one `HEAD` of the base URL that carries no
//! credential, sent like every other request (the same agent, proxy and trust), and the
//! issuer of the service's TLS certificate, read in a handshake of its own.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme, StreamOwned};

use super::Client;
use super::failure::Attempt;
use crate::error::Error;
use crate::text::sanitize;
use crate::url::{BaseUrl, Host};

/// What the service answered a credential-free `HEAD` of its base URL.
#[derive(Debug)]
pub(crate) struct Probe {
    pub(crate) status: u16,
    /// The `Date` header, as sent.
    pub(crate) date: Option<String>,
    pub(crate) elapsed: Duration,
}

impl Client {
    /// `HEAD` of the base URL: no token, no retry. Any status is an answer.
    pub(crate) fn probe(&self) -> Result<Probe, Error> {
        if let Some(error) = &self.proxy_error {
            return Err(error.clone());
        }
        let url = self.base_url.as_str();
        let limit = self.budget.total();
        let started = Instant::now();
        let result = self
            .agent
            .head(url)
            .config()
            .timeout_global(Some(limit))
            .build()
            .call();
        match result {
            Ok(response) => {
                self.log(url, response.status().as_str(), started);
                Ok(Probe {
                    status: response.status().as_u16(),
                    date: response
                        .headers()
                        .get("date")
                        .and_then(|value| value.to_str().ok())
                        .map(sanitize),
                    elapsed: started.elapsed(),
                })
            }
            Err(err) => {
                self.log(url, "failed", started);
                match self.transport_error("HEAD", err, limit) {
                    Attempt::Final(error) | Attempt::Retry(error, _) => Err(error.error),
                }
            }
        }
    }
}

/// What a TLS handshake with the service showed.
#[derive(Debug)]
pub(crate) struct Certificate {
    /// The issuer of the service's certificate (`CN=…, O=…`), if it could be read.
    pub(crate) issuer: Option<String>,
    /// Why the platform's trust store refused it, if it did.
    pub(crate) untrusted: Option<String>,
}

/// A handshake of its own with `base` (https only, directly: not through a proxy), verified
/// as the client verifies, recording the certificate the service showed.
pub(crate) fn certificate(base: &BaseUrl, timeout: Duration) -> Result<Certificate, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let platform = rustls_platform_verifier::Verifier::new(Arc::clone(&provider))
        .map_err(|err| format!("the platform's trust store cannot be read: {err}"))?;
    let seen = Arc::new(Recorder {
        inner: platform,
        leaf: Mutex::new(None),
    });
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| err.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::clone(&seen) as Arc<dyn ServerCertVerifier>)
        .with_no_client_auth();
    let name = match base.host() {
        Host::Name(name) => ServerName::try_from(name.clone()).map_err(|err| err.to_string())?,
        Host::Ip(ip) => ServerName::IpAddress((*ip).into()),
    };
    let address = address(base)?;
    let tcp = TcpStream::connect_timeout(&address, timeout)
        .map_err(|err| format!("cannot connect to {address}: {err}"))?;
    let _ = tcp.set_read_timeout(Some(timeout));
    let _ = tcp.set_write_timeout(Some(timeout));
    let connection =
        ClientConnection::new(Arc::new(config), name).map_err(|err| err.to_string())?;
    let mut tls = StreamOwned::new(connection, tcp);
    let outcome = tls.conn.complete_io(&mut tls.sock);
    let leaf = seen
        .leaf
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    let issuer = leaf.as_deref().and_then(issuer_of);
    match outcome {
        Ok(_) => Ok(Certificate {
            issuer,
            untrusted: None,
        }),
        Err(err) if issuer.is_some() => Ok(Certificate {
            issuer,
            untrusted: Some(sanitize(&err.to_string())),
        }),
        Err(err) => Err(format!(
            "TLS handshake failed: {}",
            sanitize(&err.to_string())
        )),
    }
}

/// Where to connect: `localhost` is loopback whatever a resolver says, as for every request.
fn address(base: &BaseUrl) -> Result<SocketAddr, String> {
    let port = base.port();
    match base.host() {
        Host::Ip(ip) => Ok(SocketAddr::new(*ip, port)),
        Host::Name(name) if name == "localhost" => {
            Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port))
        }
        Host::Name(name) => (name.as_str(), port)
            .to_socket_addrs()
            .map_err(|err| format!("cannot resolve {name}: {err}"))?
            .next()
            .ok_or_else(|| format!("{name} has no address")),
    }
}

/// The issuer's distinguished name, `CN=…, O=…`.
fn issuer_of(der: &[u8]) -> Option<String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    Some(sanitize(&cert.issuer().to_string()))
}

/// The platform's verifier, keeping a copy of the certificate it was shown.
#[derive(Debug)]
struct Recorder {
    inner: rustls_platform_verifier::Verifier,
    leaf: Mutex<Option<Vec<u8>>>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        *self.leaf.lock().unwrap_or_else(PoisonError::into_inner) = Some(end_entity.to_vec());
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
