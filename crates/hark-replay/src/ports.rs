//! Loopback ports for servers that tests start in other processes (a `hark` binary, NATS,
//! ChromeDriver), chosen below the kernel's ephemeral range.
//!
//! Binding port 0 and handing the number on leaves a window: until the child binds it, and
//! again whenever a child is restarted on the same port, the kernel may give that port to any
//! outgoing connection on the machine as its local port, and the child then fails with
//! "address in use". Ports below `net.ipv4.ip_local_port_range` are never handed out that
//! way, so only another explicit bind can take them; each call checks the port is free and a
//! process-wide counter keeps two calls in one test run apart.

use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};

/// How many ports below the ephemeral range the picks come from.
const SPAN: u32 = 8_000;

/// The lowest port the kernel hands out to outgoing connections (Linux default 32768).
fn ephemeral_low() -> u32 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse().ok())
        .unwrap_or(32_768)
}

/// A free 127.0.0.1 port outside the ephemeral range, for a server another process will
/// open (now or after a restart). Falls back to a kernel-chosen port when the range leaves no
/// room below it.
pub fn child_port() -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let low = ephemeral_low().min(u32::from(u16::MAX));
    if low < 1024 + SPAN {
        return kernel_port();
    }
    let base = low - SPAN;
    // Test binaries run one after another but may overlap with other runs on the machine:
    // start each process at its own offset.
    let start = std::process::id().wrapping_mul(7_919);
    for _ in 0..SPAN {
        let port = base + start.wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed)) % SPAN;
        let port = u16::try_from(port).expect("below the ephemeral range, so below 65536");
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    kernel_port()
}

fn kernel_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()).expect("a free loopback port").port()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_free_distinct_and_below_the_ephemeral_range() {
        let ports: Vec<u16> = (0..20).map(|_| child_port()).collect();
        let mut distinct = ports.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), ports.len(), "{ports:?}");
        for port in ports {
            assert!(u32::from(port) < ephemeral_low(), "{port} is in the ephemeral range");
            TcpListener::bind(("127.0.0.1", port)).expect("the port is free to listen on");
        }
    }
}
