//! Rules of the code base checked on the source: `unsafe` lives only in `src/ffi/` (the C ABI),
//! and each `unsafe` block there says why it is sound in a comment just above it.

use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("source dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Whether `line` uses the `unsafe` keyword in code (not in a comment or a string).
fn uses_unsafe(line: &str) -> bool {
    let code = line.split("//").next().unwrap_or("");
    let code: String = code.split('"').step_by(2).collect();
    code.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|w| w == "unsafe")
}

#[test]
fn unsafe_only_in_ffi_and_each_block_explained() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 20, "found the sources");
    let ffi = src.join("ffi");
    let mut outside = Vec::new();
    let mut unexplained = Vec::new();
    let mut blocks = 0;
    for file in &files {
        let text = fs::read_to_string(file).expect("readable source");
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !uses_unsafe(line) {
                continue;
            }
            let at = format!("{}:{}", file.display(), i + 1);
            if !file.starts_with(&ffi) {
                outside.push(at);
                continue;
            }
            let code = line.split("//").next().unwrap_or("");
            if code.contains("unsafe {") {
                blocks += 1;
                let explained = lines[i.saturating_sub(3)..i]
                    .iter()
                    .any(|l| l.trim_start().starts_with("//"));
                if !explained {
                    unexplained.push(at);
                }
            }
        }
    }
    assert!(outside.is_empty(), "unsafe outside src/ffi: {outside:#?}");
    assert!(
        unexplained.is_empty(),
        "unsafe blocks without a comment: {unexplained:#?}"
    );
    assert!(blocks > 50, "found the unsafe blocks of src/ffi ({blocks})");
}
