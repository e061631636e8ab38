//! An echo server over TLS: asyncio's `start_server(..., ssl=ctx)` as
//! `start_server_with(.., ServerOptions::new().tls(config))`, and the
//! client's `open_connection(..., ssl=ctx)` as `open_connection_with`.
//! Needs `--features tls`.
//!
//! The certificate is made at start-up (rcgen, self-signed for
//! `localhost` and 127.0.0.1). With no arguments the example runs a
//! bounded self-test — a few TLS clients, every line echoed, a client
//! that does not trust the server refused with the reason, a plaintext
//! client dropped before the handler — and exits. `--serve [port]` keeps
//! serving on 127.0.0.1 (default 8443) until Ctrl-C and writes the
//! certificate to a file, for example for
//! `openssl s_client -connect 127.0.0.1:8443 -CAfile <that file>`.

use std::io;
use std::time::Duration;

use corio::streams::{ConnectOptions, ServerOptions, StreamReader, StreamWriter};

async fn echo(mut reader: StreamReader, writer: StreamWriter) {
    let info = writer.get_extra_info();
    println!("handler: TLS connection from {:?}", info.peername());
    while let Ok(line) = reader.readline().await {
        if line.is_empty() {
            break;
        }
        writer.write(&line);
        if writer.drain().await.is_err() {
            return;
        }
    }
    // Sends close_notify: the client reads a clean end of stream.
    writer.close();
    writer.wait_closed().await;
}

async fn self_test(port: u16, cert_pem: &str) -> io::Result<()> {
    let client_tls = corio::tls::client_config(cert_pem.as_bytes())?;
    for i in 0..4 {
        let opts = ConnectOptions::new().tls(client_tls.clone()).server_hostname("localhost");
        let (mut reader, writer) = corio::streams::open_connection_with("127.0.0.1", port, opts).await?;
        if i == 0 {
            let info = writer.get_extra_info();
            let certs = info.peer_certificates().map_or(0, <[_]>::len);
            println!("client: connected to {:?}, server presented {certs} certificate(s)", info.peername());
        }
        for j in 0..10 {
            let line = format!("client {i} line {j}\n");
            writer.write(line.as_bytes());
            assert_eq!(reader.readline().await?, line.as_bytes());
        }
        writer.write_eof()?;
        assert_eq!(reader.read_to_eof().await?, b"", "a clean close_notify EOF");
    }
    println!("client: 4 TLS clients x 10 lines echoed");

    // A client that trusts some other certificate is refused, and says why.
    let stranger = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).map_err(io::Error::other)?;
    let opts = ConnectOptions::new().tls(corio::tls::client_config(stranger.cert.pem().as_bytes())?);
    let err = corio::streams::open_connection_with("127.0.0.1", port, opts).await.unwrap_err();
    println!("client with the wrong CA: {err}");
    assert!(err.to_string().contains("invalid peer certificate"));

    // A plaintext client: the handshake fails, the handler never runs.
    let (mut reader, writer) = corio::open_connection("127.0.0.1", port).await?;
    writer.write(b"hello in plaintext\n");
    // Bounded: a server that kept the connection would fail the self-test.
    let _ = corio::timeout(Duration::from_secs(10), reader.read_to_eof()).await.map_err(io::Error::from)?;
    println!("plaintext client: dropped by the server");
    Ok(())
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let serve = args.first().is_some_and(|a| a == "--serve");
    let port: u16 = if serve { args.get(1).and_then(|p| p.parse().ok()).unwrap_or(8443) } else { 0 };
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .map_err(io::Error::other)?;
    let (cert_pem, key_pem) = (cert.cert.pem(), cert.signing_key.serialize_pem());
    corio::run(async move {
        let server_tls = corio::tls::server_config(cert_pem.as_bytes(), key_pem.as_bytes())?;
        let opts = ServerOptions::new().tls(server_tls).tls_handshake_timeout(Duration::from_secs(10));
        let server = corio::streams::start_server_with(echo, "127.0.0.1", port, opts).await?;
        let port = server.local_addrs()[0].port();
        if serve {
            let path = std::env::temp_dir().join(format!("corio-tls-echo-{}.pem", std::process::id()));
            std::fs::write(&path, &cert_pem)?;
            println!("serving TLS on 127.0.0.1:{port}; certificate in {}", path.display());
            println!("try: openssl s_client -connect 127.0.0.1:{port} -CAfile {}", path.display());
            corio::signal::ctrl_c().await?;
            let _ = std::fs::remove_file(&path);
        } else {
            self_test(port, &cert_pem).await?;
        }
        server.close();
        server.wait_closed().await;
        println!("tls_echo: done");
        Ok(())
    })
}
