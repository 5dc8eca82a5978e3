//! DNS TXT lookups for domain verification, behind a trait so the resolver is injected:
//! the system's (`/etc/resolv.conf`) in production, or the name server `JANUA_DNS_SERVER`
//! names (a local stand-in in tests). Answers are never cached here: a verification asks
//! the DNS at the moment the organization says the record is in place.

use std::{net::SocketAddr, sync::Arc};

use async_trait::async_trait;
use hickory_resolver::{
    Resolver, TokioResolver,
    config::{ConnectionConfig, NameServerConfig, ProtocolConfig, ResolverConfig},
    net::runtime::TokioRuntimeProvider,
    proto::rr::RData,
};

/// Reads the TXT records of a name.
#[async_trait]
pub trait TxtLookup: Send + Sync {
    /// Every TXT string at `name` (each record's character-strings joined); empty when the
    /// name has none or does not exist.
    async fn txt(&self, name: &str) -> anyhow::Result<Vec<String>>;
}

/// The real resolver (hickory).
pub struct HickoryTxt {
    resolver: TokioResolver,
}

impl HickoryTxt {
    /// The system's resolver, or the one name server at `server` (UDP and TCP).
    pub fn lookup(server: Option<SocketAddr>) -> anyhow::Result<Arc<dyn TxtLookup>> {
        let mut builder = match server {
            Some(server) => {
                let connections = [ProtocolConfig::Udp, ProtocolConfig::Tcp]
                    .into_iter()
                    .map(|protocol| {
                        let mut connection = ConnectionConfig::new(protocol);
                        connection.port = server.port();
                        connection
                    })
                    .collect();
                let name_server = NameServerConfig::new(server.ip(), true, connections);
                Resolver::builder_with_config(
                    ResolverConfig::from_name_servers(vec![name_server]),
                    TokioRuntimeProvider::default(),
                )
            }
            None => Resolver::builder_tokio()?,
        };
        // Fresh answers: the organization has just published the record.
        builder.options_mut().cache_size = 0;
        Ok(Arc::new(Self {
            resolver: builder.build()?,
        }))
    }
}

#[async_trait]
impl TxtLookup for HickoryTxt {
    async fn txt(&self, name: &str) -> anyhow::Result<Vec<String>> {
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        let lookup = match self.resolver.txt_lookup(fqdn).await {
            Ok(lookup) => lookup,
            Err(error) if error.is_no_records_found() || error.is_nx_domain() => {
                return Ok(Vec::new());
            }
            Err(error) => return Err(error.into()),
        };
        Ok(lookup
            .answers()
            .iter()
            .filter_map(|record| match &record.data {
                RData::TXT(txt) => Some(
                    txt.txt_data
                        .iter()
                        .map(|part| String::from_utf8_lossy(part))
                        .collect::<String>(),
                ),
                _ => None,
            })
            .collect())
    }
}
