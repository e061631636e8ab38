//! Address resolution on the blocking pool.

use std::any::Any;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

/// Resolves `addr`: literal addresses at once, host names on the blocking
/// pool (`to_thread`), as asyncio's `getaddrinfo` runs in an executor.
pub(crate) async fn resolve<A: ToSocketAddrs + Send + 'static>(addr: A) -> io::Result<Vec<SocketAddr>> {
    if let Some(literal) = literal(&addr) {
        return Ok(vec![literal]);
    }
    match corio_sched::to_thread(move || addr.to_socket_addrs().map(Iterator::collect)).await {
        Ok(res) => res,
        Err(e) => Err(io::Error::other(format!("address resolution failed: {e}"))),
    }
}

fn literal(addr: &dyn Any) -> Option<SocketAddr> {
    if let Some(a) = addr.downcast_ref::<SocketAddr>() {
        return Some(*a);
    }
    if let Some(s) = addr.downcast_ref::<String>() {
        return s.parse().ok();
    }
    if let Some(s) = addr.downcast_ref::<&'static str>() {
        return s.parse().ok();
    }
    if let Some((ip, port)) = addr.downcast_ref::<(std::net::IpAddr, u16)>() {
        return Some(SocketAddr::new(*ip, *port));
    }
    if let Some((ip, port)) = addr.downcast_ref::<(std::net::Ipv4Addr, u16)>() {
        return Some(SocketAddr::new((*ip).into(), *port));
    }
    if let Some((host, port)) = addr.downcast_ref::<(String, u16)>() {
        return host.parse().ok().map(|ip| SocketAddr::new(ip, *port));
    }
    if let Some((host, port)) = addr.downcast_ref::<(&'static str, u16)>() {
        return host.parse().ok().map(|ip| SocketAddr::new(ip, *port));
    }
    None
}

/// Tries `f` on each address in turn; the last error if all fail.
pub(crate) fn each_addr<T>(addrs: &[SocketAddr], mut f: impl FnMut(SocketAddr) -> io::Result<T>) -> io::Result<T> {
    let mut last = None;
    for a in addrs {
        match f(*a) {
            Ok(v) => return Ok(v),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "could not resolve to any address")))
}
