//! Generates the C header from src/ffi with cbindgen and sets the shared library's SONAME.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=NS_UPDATE_HEADER");
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libnetwork_system.so.{major}");

    let crate_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .unwrap_or_else(|e| panic!("cbindgen.toml: {e}"));
    let bindings = cbindgen::generate_with_config(&crate_dir, config)
        .unwrap_or_else(|e| panic!("cbindgen failed: {e}"));
    bindings.write_to_file(out_dir.join("network_system.h"));
    if std::env::var_os("NS_UPDATE_HEADER").is_some() {
        bindings.write_to_file(crate_dir.join("include/network_system.h"));
    }
}
