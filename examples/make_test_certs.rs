//! Writes a throw-away test PKI made with rcgen into a directory, for the C++ TLS tests:
//! ca.pem, {server,expired,wrong_name,untrusted,client}.{pem,key} and server.sha256 (the pin).
//! Run: cargo run --example make_test_certs -- <dir>

#[path = "../tests/support/certs.rs"]
mod certs;

use network_system::tls::certificate_sha256;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .ok_or("usage: make_test_certs <dir>")?;
    let dir = std::path::Path::new(&dir);
    std::fs::create_dir_all(dir)?;
    let pki = certs::Pki::new();
    std::fs::write(dir.join("ca.pem"), &pki.ca)?;
    for (name, pair) in [
        ("server", &pki.server),
        ("expired", &pki.expired),
        ("wrong_name", &pki.wrong_name),
        ("untrusted", &pki.untrusted),
        ("client", &pki.client),
    ] {
        std::fs::write(dir.join(format!("{name}.pem")), &pair.cert)?;
        std::fs::write(dir.join(format!("{name}.key")), &pair.key)?;
    }
    let der = CertificateDer::from_pem_slice(pki.server.cert.as_bytes())?;
    let pin: String = certificate_sha256(&der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    std::fs::write(dir.join("server.sha256"), pin)?;
    println!("test certificates written to {}", dir.display());
    Ok(())
}
