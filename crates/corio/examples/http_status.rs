//! The HTTP/S status checker of the asyncio tutorial (seed 001, §2.4.3), in
//! corio: for each URL, open a connection (over TLS for `https`), send a
//! GET, read the status line — all concurrently with `gather`. Needs
//! `--features tls`.
//!
//! So that it runs offline, with no arguments it is a bounded self-test: it
//! makes a certificate for `localhost` at start-up (rcgen), starts a small
//! HTTP responder and the same responder behind TLS on 127.0.0.1, and
//! checks `http://` and `https://` URLs on them — plus two that must fail,
//! to show the error paths: a port where nobody listens, and an `https` URL
//! naming 127.0.0.1, which the certificate does not cover.
//!
//! Pass URLs as arguments (`http://host[:port]/path`,
//! `https://host[:port]/path`) to check those instead. For `https`, the CA
//! to trust comes from `--cafile FILE` (Python's
//! `ssl.create_default_context(cafile=...)`) or else the `SSL_CERT_FILE`
//! environment variable (which Python's default context honours too); with
//! neither, `https` URLs fail with an error saying so. To check public
//! sites, as the seed does, trust the system's bundle:
//!
//! ```text
//! cargo run -p corio --features tls --example http_status -- \
//!     --cafile /etc/ssl/certs/ca-certificates.crt https://www.rust-lang.org/ http://example.com/
//! ```

use std::io;
use std::sync::Arc;
use std::time::Duration;

use corio::streams::{ConnectOptions, ServerOptions};
use corio::tls::rustls::ClientConfig;

/// How long one URL may take (connect, handshake, request, status line):
/// a site that never answers gives an error instead of a hang.
const PER_URL: Duration = Duration::from_secs(10);

/// seed: `async def get_status(url)`. `tls` is the client config `https`
/// URLs are checked with (`None`: no CA to trust was given).
async fn get_status(url: String, tls: Option<Arc<ClientConfig>>) -> Option<String> {
    // seed: `url_parsed = urlsplit(url)`
    let Some((scheme, host, port, path)) = split_url(&url) else {
        println!("Error fetching {url}: unsupported URL (want http://… or https://…)");
        return None;
    };
    let result = async {
        // seed: `if url_parsed.scheme == 'https': open_connection(host, 443, ssl=True)`,
        // `else: open_connection(host, 80)`. `ssl=` is `ConnectOptions::tls`; the
        // server's certificate is checked against `host`.
        let opts = match scheme {
            Scheme::Https => {
                let tls = tls.ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "no CA to trust: pass --cafile FILE or set SSL_CERT_FILE",
                    )
                })?;
                ConnectOptions::new().tls(tls)
            }
            Scheme::Http => ConnectOptions::new(),
        };
        let (mut reader, writer) = corio::streams::open_connection_with(&host, port, opts).await?;
        // seed: `query = f'GET {url_parsed.path} HTTP/1.1\r\nHost: ...\r\n\r\n'`
        let query = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n");
        writer.write(query.as_bytes());
        writer.drain().await?;
        // seed: `response = await reader.readline()`; `status = response.decode().strip()`
        let response = reader.readline().await?;
        // seed's `finally:` (over TLS, `close` sends close_notify first).
        writer.close();
        writer.wait_closed().await;
        reader.feed_eof();
        io::Result::Ok(String::from_utf8_lossy(&response).trim().to_string())
    };
    match corio::timeout(PER_URL, result).await.map_err(io::Error::from).and_then(|r| r) {
        Ok(status) => Some(status),
        // seed: `except Exception as e: print(f"Error fetching {url}: {e}")`
        Err(e) => {
            println!("Error fetching {url}: {e}");
            None
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Scheme {
    Http,
    Https,
}

/// `http[s]://host[:port]/path` → (scheme, host, port, path), like
/// `urlsplit`; the port defaults to 80 or 443 as in the seed.
fn split_url(url: &str) -> Option<(Scheme, String, u16, String)> {
    let (scheme, rest, default_port) = if let Some(rest) = url.strip_prefix("https://") {
        (Scheme::Https, rest, 443)
    } else {
        (Scheme::Http, url.strip_prefix("http://")?, 80)
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().ok()?),
        None => (authority, default_port),
    };
    Some((scheme, host.to_string(), port, path.to_string()))
}

/// A tiny HTTP responder: 200 for `/`, 404 for anything else. The same
/// handler serves plain TCP and TLS: over TLS the server runs it only
/// after a successful handshake, with the streams already decrypting.
async fn respond(mut reader: corio::streams::StreamReader, writer: corio::streams::StreamWriter) {
    let Ok(request_line) = reader.readline().await else { return };
    // Skip the headers.
    while let Ok(line) = reader.readline().await {
        if line == b"\r\n" || line.is_empty() {
            break;
        }
    }
    let path = String::from_utf8_lossy(&request_line).split_whitespace().nth(1).unwrap_or("/").to_string();
    let (status, body) = if path == "/" { ("200 OK", "hello\n") } else { ("404 Not Found", "nope\n") };
    let response = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    writer.write(response.as_bytes());
    let _ = writer.drain().await;
    writer.close();
    writer.wait_closed().await;
}

/// The self-test: local responders, a run-time certificate, both schemes.
async fn self_test() -> io::Result<()> {
    // A certificate for `localhost` only, made now; the checker trusts it
    // as its CA (it is self-signed).
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).map_err(io::Error::other)?;
    let server_tls =
        corio::tls::server_config(cert.cert.pem().as_bytes(), cert.signing_key.serialize_pem().as_bytes())?;
    let client_tls = corio::tls::client_config(cert.cert.pem().as_bytes())?;

    let plain = corio::start_server(respond, "127.0.0.1", 0).await?;
    let opts = ServerOptions::new().tls(server_tls).tls_handshake_timeout(Duration::from_secs(10));
    let tls = corio::streams::start_server_with(respond, "127.0.0.1", 0, opts).await?;
    let port = plain.local_addrs()[0].port();
    let tls_port = tls.local_addrs()[0].port();
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();

    // (URL, the status line expected, or None for an error)
    let sites = [
        (format!("http://127.0.0.1:{port}/"), Some("HTTP/1.1 200 OK")),
        (format!("http://localhost:{port}/missing"), Some("HTTP/1.1 404 Not Found")),
        (format!("https://localhost:{tls_port}/"), Some("HTTP/1.1 200 OK")),
        (format!("https://localhost:{tls_port}/missing"), Some("HTTP/1.1 404 Not Found")),
        (format!("http://127.0.0.1:{closed_port}/"), None),
        // The certificate names `localhost`, not 127.0.0.1: refused.
        (format!("https://127.0.0.1:{tls_port}/"), None),
    ];
    let urls: Vec<String> = sites.iter().map(|(url, _)| url.clone()).collect();
    let results = check(&urls, Some(client_tls)).await;
    for ((url, expected), got) in sites.iter().zip(&results) {
        assert_eq!(got.as_deref(), *expected, "{url}");
    }

    plain.close();
    tls.close();
    plain.wait_closed().await;
    tls.wait_closed().await;
    println!("http_status: self-test passed");
    Ok(())
}

/// seed: `main()` — one `get_status` per URL, run concurrently with
/// `gather`, then one line per URL.
async fn check(sites: &[String], tls: Option<Arc<ClientConfig>>) -> Vec<Option<String>> {
    // seed: `tasks = [get_status(url) for url in sites]`; `await asyncio.gather(*tasks)`
    let tasks = sites.iter().map(|url| get_status(url.clone(), tls.clone()));
    let results = corio::gather(tasks).await.expect("a checker task failed");
    // seed: `for url, status in zip(sites, results): print(f'{url:30}:\t{status}')`
    // (the column as wide as the longest URL rather than 30).
    let width = sites.iter().map(String::len).max().unwrap_or(0);
    for (url, status) in sites.iter().zip(&results) {
        match status {
            Some(status) => println!("{url:width$}:\t{status}"),
            None => println!("{url:width$}:\tError"),
        }
    }
    results
}

/// The CA to trust for `https` URLs given on the command line: `--cafile
/// FILE`, else `$SSL_CERT_FILE`, else none.
fn client_tls(cafile: Option<String>) -> io::Result<Option<Arc<ClientConfig>>> {
    let Some(path) = cafile.or_else(|| std::env::var("SSL_CERT_FILE").ok()) else { return Ok(None) };
    let pem = std::fs::read(&path).map_err(|e| io::Error::new(e.kind(), format!("cannot read CA file {path}: {e}")))?;
    corio::tls::client_config(&pem).map(Some)
}

fn main() {
    let mut cafile = None;
    let mut urls = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--cafile" {
            cafile = Some(args.next().unwrap_or_else(|| fail("--cafile needs a FILE")));
        } else {
            urls.push(arg);
        }
    }
    let outcome = corio::run(async move {
        if urls.is_empty() {
            self_test().await
        } else {
            check(&urls, client_tls(cafile)?).await;
            Ok(())
        }
    });
    if let Err(e) = outcome {
        fail(&e.to_string());
    }
}

fn fail(why: &str) -> ! {
    eprintln!("http_status: {why}");
    std::process::exit(2)
}
