//! A small local HTTP CONNECT proxy on std threads that records every request it gets. It
//! tunnels each CONNECT to 127.0.0.1:`upstream`, whatever host the client named — the way a
//! corporate proxy resolves names the client cannot — so a test can use a base URL whose host
//! only the proxy "knows" and see that the request really went through it.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

const IO_TIMEOUT: Duration = Duration::from_secs(30);

pub struct ConnectProxy {
    port: u16,
    shared: Arc<ProxyShared>,
}

struct ProxyShared {
    stop: AtomicBool,
    /// Request lines, e.g. `CONNECT localhost:4433 HTTP/1.1`.
    requests: Mutex<Vec<String>>,
    /// `Proxy-Authorization` the proxy insists on (answering 407 otherwise), if any.
    required: Option<String>,
}

impl ConnectProxy {
    pub fn start(upstream: u16) -> ConnectProxy {
        Self::start_with(upstream, None)
    }

    /// A proxy that answers 407 unless the client sends `user:password` (Basic).
    pub fn requiring(upstream: u16, user_password: &str) -> ConnectProxy {
        use base64::Engine as _;
        let encoded = base64::engine::general_purpose::STANDARD.encode(user_password);
        Self::start_with(upstream, Some(format!("Basic {encoded}")))
    }

    fn start_with(upstream: u16, required: Option<String>) -> ConnectProxy {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let shared = Arc::new(ProxyShared {
            stop: AtomicBool::new(false),
            requests: Mutex::new(Vec::new()),
            required,
        });
        let accept_shared = Arc::clone(&shared);
        thread::Builder::new()
            .name(format!("proxy-{port}"))
            .spawn(move || {
                for conn in listener.incoming() {
                    if accept_shared.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = conn else { continue };
                    let shared = Arc::clone(&accept_shared);
                    let _ = thread::Builder::new()
                        .name("proxy-conn".into())
                        .spawn(move || {
                            let _ = serve(stream, upstream, &shared);
                        });
                }
            })
            .expect("spawn proxy");
        ConnectProxy { port, shared }
    }

    /// `http://127.0.0.1:PORT`, for HTTPS_PROXY.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every request line received, in order.
    pub fn requests(&self) -> Vec<String> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// How many CONNECT requests arrived.
    pub fn connects(&self) -> usize {
        self.requests()
            .iter()
            .filter(|line| line.starts_with("CONNECT "))
            .count()
    }
}

impl Drop for ConnectProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let _ = TcpStream::connect_timeout(&addr, Duration::from_secs(1));
    }
}

fn serve(client: TcpStream, upstream: u16, shared: &ProxyShared) -> io::Result<()> {
    client.set_read_timeout(Some(IO_TIMEOUT))?;
    client.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut reader = BufReader::new(client.try_clone()?);
    let mut line = String::new();
    if reader.by_ref().take(8192).read_line(&mut line)? == 0 {
        return Ok(());
    }
    let line = line.trim_end().to_owned();
    shared.requests.lock().unwrap().push(line.clone());
    // The rest of the head, up to the empty line.
    let mut authorization = None;
    loop {
        let mut header = String::new();
        if reader.by_ref().take(8192).read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.trim().eq_ignore_ascii_case("proxy-authorization")
        {
            authorization = Some(value.trim().to_owned());
        }
    }
    let mut client_out = client;
    if let Some(required) = &shared.required
        && authorization.as_deref() != Some(required.as_str())
    {
        client_out.write_all(
            b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n",
        )?;
        return Ok(());
    }
    if !line.starts_with("CONNECT ") {
        client_out.write_all(
            b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?;
        return Ok(());
    }
    let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
        client_out.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")?;
        return Ok(());
    };
    client_out.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
    let mut server_in = server.try_clone()?;
    let mut server_out = server;
    // Client to server on a second thread (through the reader, which may hold bytes already).
    let upload = thread::spawn(move || {
        let _ = io::copy(&mut reader, &mut server_out);
        let _ = server_out.shutdown(Shutdown::Write);
    });
    let _ = io::copy(&mut server_in, &mut client_out);
    let _ = client_out.shutdown(Shutdown::Both);
    let _ = upload.join();
    Ok(())
}
