//! The `Host` check that stops DNS-rebinding attacks: a page on evil.example
//! resolving to 127.0.0.1 still sends `Host: evil.example`, and is refused.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::ServerState;
use crate::error::ApiError;

#[derive(Debug, Clone)]
pub struct HostPolicy {
    names: Vec<String>,
    allow_ip_literals: bool,
}

impl HostPolicy {
    /// Loopback serving: only `localhost` and loopback IPs.
    pub fn loopback() -> Self {
        Self {
            names: vec!["localhost".to_owned()],
            allow_ip_literals: false,
        }
    }

    /// For `--allow-remote`: any IP literal (rebinding needs a DNS name) plus
    /// the names given with `--allowed-host`.
    pub fn remote(extra_names: &[String]) -> Self {
        let mut names = vec!["localhost".to_owned()];
        names.extend(extra_names.iter().map(|n| n.to_ascii_lowercase()));
        Self {
            names,
            allow_ip_literals: true,
        }
    }

    /// The policy that fits serving on `addr`.
    pub fn for_listen(addr: SocketAddr, extra_names: &[String]) -> Self {
        if addr.ip().is_loopback() {
            let mut policy = Self::loopback();
            policy
                .names
                .extend(extra_names.iter().map(|n| n.to_ascii_lowercase()));
            policy
        } else {
            Self::remote(extra_names)
        }
    }

    pub fn allows(&self, host_header: &str) -> bool {
        let host = strip_port(host_header.trim()).to_ascii_lowercase();
        let ip = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>();
        match ip {
            Ok(ip) => ip.is_loopback() || self.allow_ip_literals,
            Err(_) => self.names.contains(&host),
        }
    }
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        // [v6]:port
        return host.split_inclusive(']').next().unwrap_or(host);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    }
}

pub(crate) async fn check_host(
    State(state): State<ServerState>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()))
        .unwrap_or("");
    if !state.hosts.allows(host) {
        return ApiError::with_status(
            StatusCode::FORBIDDEN,
            "forbidden_host",
            "this server only answers requests addressed to it by an allowed host name",
        );
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_allows_only_local_names() {
        let p = HostPolicy::loopback();
        for ok in [
            "127.0.0.1:7878",
            "localhost:7878",
            "LOCALHOST",
            "[::1]:80",
            "127.0.0.2",
        ] {
            assert!(p.allows(ok), "{ok}");
        }
        for bad in [
            "evil.example:7878",
            "evil.example",
            "10.0.0.5:7878",
            "",
            "localhost.evil.example",
        ] {
            assert!(!p.allows(bad), "{bad}");
        }
    }

    #[test]
    fn remote_allows_ip_literals_and_named_hosts() {
        let p = HostPolicy::remote(&["jarvis.lan".to_owned()]);
        assert!(p.allows("192.0.2.7:7878"));
        assert!(p.allows("jarvis.lan:7878"));
        assert!(!p.allows("evil.example"));
    }
}
