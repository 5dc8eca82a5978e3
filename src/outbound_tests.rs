#![expect(clippy::unwrap_used, reason = "tests")]

use std::{
    net::IpAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::TcpListener,
};
use url::Url;

use super::*;

const STRICT: OutboundPolicy = OutboundPolicy {
    allow_loopback: false,
    allow_private: false,
};
const LOOPBACK: OutboundPolicy = OutboundPolicy {
    allow_loopback: true,
    allow_private: false,
};
const PRIVATE: OutboundPolicy = OutboundPolicy {
    allow_loopback: false,
    allow_private: true,
};
const BOTH: OutboundPolicy = OutboundPolicy {
    allow_loopback: true,
    allow_private: true,
};

/// What an address is, for the policy.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Public,
    Loopback,
    Private,
    Never,
}

fn expected(kind: Kind, policy: OutboundPolicy) -> bool {
    match kind {
        Kind::Public => true,
        Kind::Loopback => policy.allow_loopback,
        Kind::Private => policy.allow_private,
        Kind::Never => false,
    }
}

const TABLE: &[(&str, Kind)] = &[
    ("93.184.216.34", Kind::Public),
    ("8.8.8.8", Kind::Public),
    ("100.63.255.255", Kind::Public),
    ("100.128.0.0", Kind::Public),
    ("172.15.255.255", Kind::Public),
    ("172.32.0.0", Kind::Public),
    ("169.253.255.255", Kind::Public),
    ("198.17.255.255", Kind::Public),
    ("198.20.0.0", Kind::Public),
    ("223.255.255.255", Kind::Public),
    ("2606:4700:4700::1111", Kind::Public),
    ("2a00:1450:4001::1", Kind::Public),
    ("::ffff:8.8.8.8", Kind::Public),
    ("64:ff9b::808:808", Kind::Public),
    ("2002:808:808::1", Kind::Public),
    ("127.0.0.1", Kind::Loopback),
    ("127.255.255.254", Kind::Loopback),
    ("::1", Kind::Loopback),
    ("::ffff:127.0.0.1", Kind::Loopback),
    ("::127.0.0.1", Kind::Loopback),
    ("64:ff9b::7f00:1", Kind::Loopback),
    ("2002:7f00:1::", Kind::Loopback),
    ("10.0.0.5", Kind::Private),
    ("10.255.255.255", Kind::Private),
    ("172.16.0.1", Kind::Private),
    ("172.31.255.255", Kind::Private),
    ("192.168.1.1", Kind::Private),
    ("100.64.0.1", Kind::Private),
    ("100.127.255.255", Kind::Private),
    ("fc00::1", Kind::Private),
    ("fd00::1", Kind::Private),
    ("fec0::1", Kind::Private),
    ("::ffff:10.0.0.5", Kind::Private),
    ("::ffff:192.168.0.1", Kind::Private),
    ("64:ff9b:1::a00:5", Kind::Private),
    ("0.0.0.0", Kind::Never),
    ("0.1.2.3", Kind::Never),
    ("169.254.169.254", Kind::Never),
    ("169.254.0.1", Kind::Never),
    ("::ffff:169.254.169.254", Kind::Never),
    ("::169.254.169.254", Kind::Never),
    ("64:ff9b::a9fe:a9fe", Kind::Never),
    ("2002:a9fe:a9fe::", Kind::Never),
    ("fd00:ec2::254", Kind::Never),
    ("100.100.100.200", Kind::Never),
    ("::ffff:100.100.100.200", Kind::Never),
    ("fe80::1", Kind::Never),
    ("febf::1", Kind::Never),
    ("::", Kind::Never),
    ("::ffff:0.0.0.0", Kind::Never),
    ("224.0.0.1", Kind::Never),
    ("239.255.255.250", Kind::Never),
    ("ff02::1", Kind::Never),
    ("ff05::2", Kind::Never),
    ("255.255.255.255", Kind::Never),
    ("240.0.0.1", Kind::Never),
    ("192.0.2.1", Kind::Never),
    ("198.51.100.7", Kind::Never),
    ("203.0.113.9", Kind::Never),
    ("2001:db8::1", Kind::Never),
    ("3fff::1", Kind::Never),
    ("3fff:fff::1", Kind::Never),
    ("3fff:1000::1", Kind::Public),
    ("2001:db9::1", Kind::Public),
    ("2001:200::1", Kind::Public),
    ("192.0.0.8", Kind::Never),
    ("198.18.0.1", Kind::Never),
    ("198.19.255.255", Kind::Never),
    ("192.88.99.1", Kind::Never),
    ("100::1", Kind::Never),
    ("2001::1", Kind::Never),
    ("2001:2::1", Kind::Never),
    ("::2", Kind::Never),
    ("4000::1", Kind::Never),
];

#[test]
fn addresses_follow_the_policy_table() {
    for policy in [STRICT, LOOPBACK, PRIVATE, BOTH] {
        for (address, kind) in TABLE {
            let ip: IpAddr = address.parse().unwrap();
            assert_eq!(
                address_allowed(ip, policy),
                expected(*kind, policy),
                "{address} ({kind:?}) under {policy:?}"
            );
        }
    }
}

#[test]
fn literal_urls_are_judged_and_names_left_to_the_resolver() {
    let refused = |url: &str, policy| refused_literal(&Url::parse(url).unwrap(), policy);
    for url in [
        "https://10.0.0.5/.well-known/openid-configuration",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fd00:ec2::254]/",
        "https://[::ffff:169.254.169.254]/",
        "http://127.0.0.1:8080/",
        // Spellings the URL parser turns into 127.0.0.1.
        "https://2130706433/",
        "https://0x7f.1/",
    ] {
        assert!(refused(url, STRICT).is_some(), "{url}");
    }
    assert_eq!(refused("http://127.0.0.1:8080/", LOOPBACK), None);
    assert_eq!(refused("https://idp.example/", STRICT), None);
    assert_eq!(refused("https://localhost/", STRICT), None);
    assert_eq!(refused("https://93.184.216.34/", STRICT), None);
}

#[tokio::test]
async fn names_resolve_only_to_allowed_addresses() {
    let localhost = GuardedResolver::new(LOOPBACK)
        .allowed_addresses("localhost")
        .await
        .unwrap();
    assert!(
        localhost.iter().all(|a| a.ip().is_loopback()),
        "{localhost:?}"
    );
    let refused = GuardedResolver::new(STRICT)
        .allowed_addresses("localhost")
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("refused"), "{refused}");
    let reserved = GuardedResolver::new(BOTH)
        .allowed_addresses("idp.example.invalid")
        .await
        .unwrap_err();
    assert!(reserved.to_string().contains("RFC 6761"), "{reserved}");
}

/// A loopback HTTP server answering every request with `answer`; counts connections.
async fn listener(answer: &'static str) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            // Read the request (one read holds a small one), then answer.
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request).await;
            let _ = stream.write_all(answer.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
    });
    (port, connections)
}

fn client(policy: OutboundPolicy) -> reqwest::Client {
    client_builder(policy)
        .unwrap()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

#[tokio::test]
async fn refused_addresses_are_never_connected_to() {
    let (port, connections) =
        listener("HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n").await;
    let strict = client(STRICT);
    for url in [
        format!("http://127.0.0.1:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        format!("https://127.0.0.1:{port}/"),
        format!("http://localhost:{port}/"),
        format!("https://localhost:{port}/"),
    ] {
        let err = strict.get(&url).send().await.unwrap_err();
        assert!(
            describe(&err).contains("refused"),
            "{url}: {}",
            describe(&err)
        );
    }
    assert_eq!(connections.load(Ordering::SeqCst), 0);

    // The same client shape with loopback allowed reaches the listener directly.
    let answer = client(LOOPBACK)
        .get(format!("http://127.0.0.1:{port}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 204);
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let (port, connections) = listener(
        "HTTP/1.1 302 Found\r\nlocation: http://169.254.169.254/latest/meta-data/\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
    )
    .await;
    let answer = client(LOOPBACK)
        .get(format!("http://localhost:{port}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 302);
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn bodies_are_capped() {
    let (port, _) =
        listener("HTTP/1.1 200 OK\r\ncontent-length: 10\r\nconnection: close\r\n\r\n0123456789")
            .await;
    let url = format!("http://127.0.0.1:{port}/");
    let get = || client(LOOPBACK).get(&url).send();
    assert_eq!(read_capped(get().await.unwrap(), 9).await.unwrap(), None);
    assert_eq!(
        read_capped(get().await.unwrap(), 10).await.unwrap(),
        Some(b"0123456789".to_vec())
    );
}
