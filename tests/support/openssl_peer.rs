//! The `openssl` command as an independent peer: a process whose output lines arrive on a
//! channel, and the test certificates written to files for it.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use super::certs::Pki;

pub const WAIT: Duration = Duration::from_secs(20);

/// A running openssl process whose stdout lines arrive on a channel; killed on drop.
pub struct OpenSsl {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
}

impl OpenSsl {
    pub fn spawn(args: &[&str]) -> OpenSsl {
        let mut child = Command::new("openssl")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the `openssl` command is needed (scripts/deps.sh installs it)");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        OpenSsl {
            child,
            stdin,
            lines,
        }
    }

    /// `openssl s_server` on 127.0.0.1 with the test server certificate, for one connection,
    /// with `extra` arguments (e.g. "-dtls1_2"); returns it and the port it accepts on.
    pub fn s_server(files: &Files, extra: &[&str]) -> (OpenSsl, u16) {
        let (cert, key) = (files.path("server.pem"), files.path("server.key"));
        let mut args = vec!["s_server"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&[
            "-accept",
            "127.0.0.1:0",
            "-naccept",
            "1",
            "-cert",
            &cert,
            "-key",
            &key,
        ]);
        let server = OpenSsl::spawn(&args);
        let accept = server.expect_line("ACCEPT 127.0.0.1:");
        let port = accept
            .rsplit(':')
            .next()
            .and_then(|p| p.trim().parse().ok())
            .expect("port");
        (server, port)
    }

    /// Waits for a line containing `needle`; returns that line.
    pub fn expect_line(&self, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => continue,
                Err(_) => panic!("openssl never printed '{needle}'"),
            }
        }
    }

    /// Writes `line` and a newline in one write (atomic on a pipe), so that openssl reads and
    /// sends it as one piece — one record, which over DTLS is one datagram.
    pub fn send_line(&mut self, line: &str) {
        self.stdin
            .write_all(format!("{line}\n").as_bytes())
            .expect("write to openssl");
        self.stdin.flush().expect("flush");
    }
}

impl Drop for OpenSsl {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Files {
    pub dir: PathBuf,
}

impl Files {
    pub fn new(pki: &Pki) -> Files {
        let dir = std::env::temp_dir().join(format!(
            "ns-openssl-{}-{}",
            std::process::id(),
            rand_suffix()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("ca.pem"), &pki.ca).unwrap();
        std::fs::write(dir.join("server.pem"), &pki.server.cert).unwrap();
        std::fs::write(dir.join("server.key"), &pki.server.key).unwrap();
        Files { dir }
    }
    pub fn path(&self, name: &str) -> String {
        self.dir.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}
