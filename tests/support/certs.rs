// Each test crate uses a different part of this module.
#![allow(dead_code)]

//! A throw-away PKI made at test time with rcgen: a CA, server certificates (valid, expired,
//! wrong name, self-signed by an unknown CA) and a client certificate. Shared by the Rust tests
//! and by `examples/make_test_certs.rs`, which writes it to files for the C++ tests.

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, CertifiedIssuer, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair,
};

/// A certificate chain and its private key, PEM.
#[derive(Clone)]
pub struct Pair {
    pub cert: String,
    pub key: String,
}

pub struct Pki {
    pub ca: String,
    pub server: Pair,
    pub expired: Pair,
    pub wrong_name: Pair,
    pub untrusted: Pair,
    pub client: Pair,
}

type Issuer = CertifiedIssuer<'static, KeyPair>;

fn make_ca(name: &str) -> Issuer {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("ca key")).expect("ca cert")
}

/// A leaf for `names`, signed by `issuer` with `key` (a new P-256 key when None).
pub fn leaf(
    issuer: &Issuer,
    names: &[&str],
    client: bool,
    expired: bool,
    key: Option<&str>,
) -> Pair {
    let mut params =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .expect("params");
    params.distinguished_name.push(
        DnType::CommonName,
        names.first().copied().unwrap_or("client"),
    );
    params.extended_key_usages = vec![if client {
        ExtendedKeyUsagePurpose::ClientAuth
    } else {
        ExtendedKeyUsagePurpose::ServerAuth
    }];
    if expired {
        params.not_before = date_time_ymd(2000, 1, 1);
        params.not_after = date_time_ymd(2001, 1, 1);
    }
    let key = match key {
        Some(pem) => KeyPair::from_pem(pem).expect("fixture key"),
        None => KeyPair::generate().expect("leaf key"),
    };
    let cert = params.signed_by(&key, issuer).expect("sign leaf");
    Pair {
        cert: cert.pem(),
        key: key.serialize_pem(),
    }
}

pub const SERVER_NAMES: &[&str] = &["localhost", "127.0.0.1", "::1"];

impl Pki {
    pub fn new() -> Pki {
        let ca = make_ca("network_system test CA");
        let rogue = make_ca("unknown CA");
        Pki {
            ca: ca.pem(),
            server: leaf(&ca, SERVER_NAMES, false, false, None),
            expired: leaf(&ca, SERVER_NAMES, false, true, None),
            wrong_name: leaf(&ca, &["other.example"], false, false, None),
            untrusted: leaf(&rogue, SERVER_NAMES, false, false, None),
            client: leaf(&ca, &["client"], true, false, None),
        }
    }
}

/// A CA and a server certificate for the given PKCS#8 key: (ca_pem, cert_pem).
pub fn fixed_key_chain(pkcs8_pem: &str) -> (String, String) {
    let ca = make_ca("fixture CA");
    let pair = leaf(&ca, SERVER_NAMES, false, false, Some(pkcs8_pem));
    (ca.pem(), pair.cert)
}
