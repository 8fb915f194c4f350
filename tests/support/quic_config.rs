//! QUIC configurations for the tests: a server on 127.0.0.1 with the test PKI's certificate,
//! and a client that trusts only the test CA.

use network_system::quic::{QuicClientConfig, QuicServerConfig};
use network_system::tls::PemSource;

use crate::certs::Pki;

pub fn server_config(pki: &Pki) -> QuicServerConfig {
    let mut config = QuicServerConfig::default();
    config.tls.cert_chain = Some(PemSource::Memory(pki.server.cert.clone().into_bytes()));
    config.tls.private_key = Some(PemSource::Memory(pki.server.key.clone().into_bytes()));
    config.udp.bind_address = "127.0.0.1".to_string();
    config
}

pub fn client_config(pki: &Pki) -> QuicClientConfig {
    let mut config = QuicClientConfig::default();
    config.tls.system_roots = false;
    config.tls.ca = Some(PemSource::Memory(pki.ca.clone().into_bytes()));
    config
}
