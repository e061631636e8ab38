//! The HTTP status checker of the asyncio tutorial (seed 001, §2.4.3), in
//! corio: for each URL, open a connection, send a GET, read the status
//! line — all concurrently with `gather`.
//!
//! So that it runs offline, it first starts a small local HTTP responder
//! and checks URLs on it (one of them on a port where nobody listens, to
//! show the error path). Pass URLs as arguments (`http://host:port/path`)
//! to check those instead; `https` is not supported (no TLS in corio).

async fn get_status(url: String) -> Option<String> {
    let Some((host, port, path)) = split_url(&url) else {
        println!("Error fetching {url}: unsupported URL");
        return None;
    };
    let result = async {
        let (mut reader, writer) = corio::open_connection(&host, port).await?;
        let query = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n");
        writer.write(query.as_bytes());
        writer.drain().await?;
        let response = reader.readline().await?;
        writer.close();
        writer.wait_closed().await;
        reader.feed_eof();
        std::io::Result::Ok(String::from_utf8_lossy(&response).trim().to_string())
    }
    .await;
    match result {
        Ok(status) => Some(status),
        Err(e) => {
            println!("Error fetching {url}: {e}");
            None
        }
    }
}

/// `http://host[:port]/path` → (host, port, path), like `urlsplit`.
fn split_url(url: &str) -> Option<(String, u16, String)> {
    let rest = url.strip_prefix("http://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().ok()?),
        None => (authority, 80),
    };
    Some((host.to_string(), port, path.to_string()))
}

/// A tiny HTTP responder: 200 for `/`, 404 for anything else.
async fn responder() -> std::io::Result<corio::streams::Server> {
    corio::start_server(
        |mut reader, writer| async move {
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
        },
        "127.0.0.1",
        0,
    )
    .await
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    corio::run(async move {
        let server = responder().await.expect("cannot start the local responder");
        let port = server.local_addrs()[0].port();
        let closed_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let sites = if args.is_empty() {
            vec![
                format!("http://127.0.0.1:{port}/"),
                format!("http://localhost:{port}/missing"),
                format!("http://127.0.0.1:{port}/"),
                format!("http://127.0.0.1:{closed_port}/"),
            ]
        } else {
            args
        };
        let results = corio::gather(sites.iter().cloned().map(get_status)).await.expect("a checker task failed");
        for (url, status) in sites.iter().zip(results) {
            match status {
                Some(status) => println!("{url}: {status}"),
                None => println!("{url}: (no status)"),
            }
        }
        server.close();
        server.wait_closed().await;
    });
}
