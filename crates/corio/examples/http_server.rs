//! Seed 003's aiohttp `MyServer` / `MyClient`, on hyper 1.x over corio
//! (`corio::hyper`; run with `--features hyper`).
//!
//! - `GET /` answers the request path with status 201;
//! - `GET /{id}` answers the id with status 200 and prints the match and
//!   the query string (aiohttp's `req.match_info`, `req.query_string`);
//! - the client GETs `/ziroom-web` and prints the status and the text.
//!
//! By default it is a bounded self-test: start the server on a free
//! loopback port, run the client, check what it got, shut the server down
//! gracefully and exit 0. `--serve [ADDR]` (default `127.0.0.1:9998`, as in
//! the seed) keeps serving until Ctrl-C, then shuts down gracefully: stop
//! accepting, let in-flight requests finish, at most 5 s.
//!
//! A request body must arrive within 10 s (`corio::timeout` around its
//! collection) or the answer is 408. To load it with wrk, see
//! `docs/http.md`.

use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use corio::hyper::{Executor, Io, Timer};
use corio::net::{TcpListener, TcpStream};
use corio::sync::Event;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};

/// How long a request body may take to arrive.
const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a graceful shutdown may take before connections are dropped.
const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(5);

/// `MyServer`'s two routes.
async fn route(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    // The seed's handlers ignore the body; reading it (bounded) is what a
    // real handler does, and shows the body timeout.
    if corio::timeout(BODY_TIMEOUT, req.into_body().collect()).await.is_err() {
        return Ok(text(StatusCode::REQUEST_TIMEOUT, "request body too slow\n".into()));
    }
    Ok(match path.as_str() {
        // get_html_index_handle: the path, 201.
        "/" => text(StatusCode::CREATED, path),
        // get_html_handle: `/{id}` — one path segment.
        _ if path[1..].contains('/') => text(StatusCode::NOT_FOUND, "404: Not Found".into()),
        _ => {
            let id = &path[1..];
            println!("<MatchInfo {{'id': '{id}'}}: <ResourceRoute [GET] /{{id}}>>");
            println!("{query}");
            text(StatusCode::OK, id.to_string())
        }
    })
}

fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::from(body)));
    *res.status_mut() = status;
    res
}

/// `fut`'s output, or `None` once `stop` is set.
async fn unless<F: Future>(stop: &Event, fut: F) -> Option<F::Output> {
    let mut fut = pin!(fut);
    let mut stopped = pin!(stop.wait());
    poll_fn(|cx| {
        if let Poll::Ready(v) = fut.as_mut().poll(cx) {
            return Poll::Ready(Some(v));
        }
        stopped.as_mut().poll(cx).map(|_| None)
    })
    .await
}

/// `web.run_app`: serves until `stop` is set, then shuts down gracefully.
/// Returns how many connections the deadline cut off.
async fn serve(listener: TcpListener, stop: Arc<Event>) -> usize {
    let mut conns = Vec::new();
    while let Some(accepted) = unless(&stop, listener.accept()).await {
        let (stream, _peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors and the like: keep serving.
                eprintln!("accept: {e}");
                corio::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        conns.retain(|c: &corio::Task<()>| !c.done());
        let stop = stop.clone();
        conns.push(corio::create_task(async move {
            let mut conn = pin!(
                http1::Builder::new()
                    .timer(Timer::new())
                    .header_read_timeout(Duration::from_secs(10))
                    .serve_connection(Io::new(stream), service_fn(route))
            );
            if unless(&stop, conn.as_mut()).await.is_none() {
                // In-flight requests finish; idle connections close now.
                conn.as_mut().graceful_shutdown();
                let _ = conn.await;
            }
        }));
    }
    // Stop accepting: the port is closed from here on.
    drop(listener);
    let pending = conns.len();
    let mut left = pending;
    let all = async {
        for c in conns.iter_mut() {
            let _ = c.await;
            left -= 1;
        }
    };
    let graceful = corio::timeout(SHUTDOWN_DEADLINE, all).await.is_ok();
    // Past the deadline the tasks still in `conns` are dropped: cancelled.
    if graceful { 0 } else { left }
}

/// `MyClient.get_html`: GET `url_path` from `addr`, print status and text.
async fn get_html(addr: SocketAddr, url_path: &str) -> Result<(StatusCode, String), Box<dyn std::error::Error>> {
    let stream = TcpStream::connect(addr).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(Io::new(stream)).await?;
    Executor::new().execute_detached(conn);
    let req = Request::get(url_path).header("host", addr.to_string()).body(Full::<Bytes>::default())?;
    let res = sender.send_request(req).await?;
    let status = res.status();
    let bytes = res.into_body().collect().await?.to_bytes();
    let text = String::from_utf8(bytes.to_vec())?;
    println!("{}", status.as_u16());
    println!("{text}");
    Ok((status, text))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let serve_forever = args.first().is_some_and(|a| a == "--serve");
    let result = corio::run(async move {
        let stop = Arc::new(Event::new());
        if serve_forever {
            let addr = args.get(1).cloned().unwrap_or_else(|| "127.0.0.1:9998".to_string());
            let listener = TcpListener::bind(addr).await?;
            println!("======== Running on http://{} ========", listener.local_addr()?);
            println!("(Press CTRL+C to quit)");
            let server = corio::create_task(serve(listener, stop.clone()));
            corio::signal::ctrl_c().await?;
            println!("\nshutting down: no new connections, finishing requests in flight");
            stop.set();
            let cut = server.await.expect("server task");
            if cut > 0 {
                println!("deadline passed: {cut} connection(s) dropped");
            }
            return Ok(());
        }

        // The bounded self-test.
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = corio::create_task(serve(listener, stop.clone()));
        let check = async {
            let (status, text) = get_html(addr, "/ziroom-web?user=corio").await?;
            assert_eq!((status, text.as_str()), (StatusCode::OK, "ziroom-web"));
            let (status, text) = get_html(addr, "/").await?;
            assert_eq!((status, text.as_str()), (StatusCode::CREATED, "/"));
            Ok::<_, Box<dyn std::error::Error>>(())
        };
        let checked = corio::wait_for(check, Duration::from_secs(30)).await;
        stop.set();
        let cut = server.await.expect("server task");
        match checked {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(std::io::Error::other(format!("self-test failed: {e}"))),
            Err(_) => return Err(std::io::Error::other("self-test timed out")),
        }
        assert_eq!(cut, 0, "the graceful shutdown finished every connection");
        assert!(TcpStream::connect(addr).await.is_err(), "the port is closed after shutdown");
        println!("self-test ok: server shut down gracefully");
        Ok::<_, std::io::Error>(())
    });
    if let Err(e) = result {
        eprintln!("http_server: {e}");
        std::process::exit(1);
    }
}
