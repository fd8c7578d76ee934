//! `doctor`'s look at the network path: one `HEAD` of the base URL that carries no
//! credential, sent like every other request (the same agent, proxy and trust), and the
//! issuer of the service's TLS certificate, read in a handshake of its own.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

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
    /// The local clock when the answer came, to compare with `date`.
    pub(crate) at: DateTime<Utc>,
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
                    at: self.clock.now(),
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
/// as the client verifies, recording the certificate the service showed and the verdict.
/// All of it within `timeout` (name resolution aside: the system resolver has no timeout).
pub(crate) fn certificate(base: &BaseUrl, timeout: Duration) -> Result<Certificate, String> {
    let deadline = Instant::now() + timeout;
    let left = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|left| !left.is_zero())
            .ok_or_else(|| format!("no answer within {} s", timeout.as_secs()))
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let platform = rustls_platform_verifier::Verifier::new(Arc::clone(&provider))
        .map_err(|err| format!("the platform's trust store cannot be read: {err}"))?;
    let seen = Arc::new(Recorder {
        inner: platform,
        leaf: Mutex::new(None),
        refused: Mutex::new(None),
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
    let mut tcp = None;
    let mut failure = format!("{} has no address", base.authority());
    for address in addresses(base)? {
        match TcpStream::connect_timeout(&address, left()?) {
            Ok(stream) => {
                tcp = Some(stream);
                break;
            }
            Err(err) => failure = format!("cannot connect to {address}: {err}"),
        }
    }
    let tcp = tcp.ok_or(failure)?;
    let connection =
        ClientConnection::new(Arc::new(config), name).map_err(|err| err.to_string())?;
    let mut tls = StreamOwned::new(connection, tcp);
    let mut outcome = Ok(());
    while tls.conn.is_handshaking() {
        let left = left()?;
        let _ = tls.sock.set_read_timeout(Some(left));
        let _ = tls.sock.set_write_timeout(Some(left));
        if let Err(err) = tls.conn.complete_io(&mut tls.sock) {
            outcome = Err(err);
            break;
        }
    }
    let issuer = take(&seen.leaf).as_deref().and_then(issuer_of);
    // Only the verifier's own verdict makes a certificate untrusted; anything else that
    // ends the handshake is a failure of the connection.
    match (outcome, take(&seen.refused)) {
        (_, Some(why)) => Ok(Certificate {
            issuer,
            untrusted: Some(why),
        }),
        (Ok(()), None) => Ok(Certificate {
            issuer,
            untrusted: None,
        }),
        (Err(err), None) => Err(format!(
            "the TLS handshake failed: {}",
            sanitize(&err.to_string())
        )),
    }
}

fn take<T>(slot: &Mutex<Option<T>>) -> Option<T> {
    slot.lock().unwrap_or_else(PoisonError::into_inner).take()
}

/// Where to connect, in order: `localhost` is loopback whatever a resolver says, as for
/// every request.
fn addresses(base: &BaseUrl) -> Result<Vec<SocketAddr>, String> {
    let port = base.port();
    match base.host() {
        Host::Ip(ip) => Ok(vec![SocketAddr::new(*ip, port)]),
        Host::Name(name) if super::loopback::is_localhost(name) => {
            Ok(super::loopback::loopback(port).to_vec())
        }
        Host::Name(name) => Ok((name.as_str(), port)
            .to_socket_addrs()
            .map_err(|err| format!("cannot resolve {name}: {err}"))?
            .collect()),
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
    /// Why the verifier refused the certificate, if it did.
    refused: Mutex<Option<String>>,
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
        let verdict = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        if let Err(err) = &verdict {
            *self.refused.lock().unwrap_or_else(PoisonError::into_inner) =
                Some(sanitize(&err.to_string()));
        }
        verdict
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localhost_is_probed_at_loopback_and_other_names_where_the_resolver_says() {
        let at = |url: &str| addresses(&BaseUrl::parse(url).unwrap());
        assert_eq!(
            at("https://localhost:8443").unwrap(),
            super::super::loopback::loopback(8443)
        );
        assert_eq!(
            at("https://127.0.0.2:9").unwrap(),
            [SocketAddr::from(([127, 0, 0, 2], 9))]
        );
        // A name no resolver knows (RFC 6761 reserves `.invalid`) is not taken for loopback.
        let err = at("https://pointauth.invalid").unwrap_err();
        assert!(err.starts_with("cannot resolve pointauth.invalid"), "{err}");
    }
}
