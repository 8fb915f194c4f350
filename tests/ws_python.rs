//! Interop with an independent WebSocket implementation, the Python `websockets` package:
//! its client against our server and our client against its server, messages of every length
//! class checked byte for byte, ping/pong and close codes in both directions. The package
//! comes from build/venv (scripts/venv.sh, run by scripts/test.sh); without it the tests
//! print why and skip.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use network_system::ws::{WsClient, WsClientConfig, WsConnection, WsServer, WsServerConfig};

const WAIT: Duration = Duration::from_secs(30);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The venv's python with `websockets`, or None after printing why.
fn python() -> Option<PathBuf> {
    let python = root().join("build/venv/bin/python");
    let ok = Command::new(&python)
        .args(["-c", "import websockets"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        println!(
            "SKIPPED: {} has no `websockets` (scripts/venv.sh could not install it)",
            python.display()
        );
        return None;
    }
    Some(python)
}

fn script() -> PathBuf {
    root().join("tests/interop/ws_peer.py")
}

fn payload(size: usize) -> Vec<u8> {
    (0..size).map(|i| ((i * 7 + size) % 256) as u8).collect()
}

#[test]
fn python_client_against_our_server() {
    let Some(python) = python() else { return };
    let server = WsServer::new(WsServerConfig {
        bind_address: "127.0.0.1".into(),
        ..WsServerConfig::default()
    });
    let (tx, closes) = channel();
    let tx = Mutex::new(tx);
    server.set_handlers(|h| {
        h.message = Some(Arc::new(|c: &WsConnection, d: &[u8], text: bool| {
            let sent = match std::str::from_utf8(d) {
                Ok(t) if text => c.send_text(t),
                _ => c.send_binary(d),
            };
            sent.expect("echo");
        }));
        h.closed = Some(Arc::new(
            move |_: &WsConnection, code: u16, reason: &str| {
                let _ = tx.lock().unwrap().send((code, reason.to_string()));
            },
        ));
    });
    server.start(0).expect("start");
    let port = server.local_addr().expect("bound").port();
    let out = Command::new(python)
        .arg(script())
        .args(["client", &port.to_string()])
        .output()
        .expect("run the python client");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.trim() == "ok",
        "python client failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(closes.recv_timeout(WAIT).unwrap(), (4000, "py done".into()));
    // Each of the 14 messages was answered (the client checked every one).
    assert_eq!(server.stats().messages_in, 14);
}

/// Lines the python server prints, as they come.
fn lines_of(child: &mut std::process::Child) -> Receiver<String> {
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    rx
}

#[test]
fn our_client_against_python_server() {
    let Some(python) = python() else { return };
    let mut child = Command::new(python)
        .arg(script())
        .arg("server")
        .stdout(Stdio::piped())
        .spawn()
        .expect("run the python server");
    let lines = lines_of(&mut child);
    let first = lines.recv_timeout(WAIT).expect("the server's port");
    let port: u16 = first
        .strip_prefix("port ")
        .and_then(|p| p.parse().ok())
        .expect("a port line");
    let client = WsClient::new(WsClientConfig::default());
    let (tx, events) = channel();
    let tx = Arc::new(Mutex::new(tx));
    let (on_msg, on_close) = (tx.clone(), tx);
    client.set_handlers(|h| {
        h.message = Some(Arc::new(move |_: &WsConnection, d: &[u8], text: bool| {
            let _ = on_msg.lock().unwrap().send((d.to_vec(), text, 0u16));
        }));
        h.closed = Some(Arc::new(move |_: &WsConnection, code: u16, _: &str| {
            let _ = on_close.lock().unwrap().send((Vec::new(), false, code));
        }));
    });
    client.start_wait("127.0.0.1", port).expect("connect");
    for size in [0usize, 1, 125, 126, 65_535, 65_536, 1 << 20] {
        let data = payload(size);
        client.send_binary(&data).unwrap();
        assert_eq!(events.recv_timeout(WAIT).unwrap(), (data, false, 0));
        let text: String = (0..size)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect::<String>()
            + "é";
        client.send_text(&text).unwrap();
        assert_eq!(
            events.recv_timeout(WAIT).unwrap(),
            (text.into_bytes(), true, 0)
        );
    }
    // The python server answers our close with its own and prints the code and reason it
    // got. (Our server's pong to a python ping is checked by the other test.)
    client.close(4001, "rust done").unwrap();
    assert_eq!(
        events.recv_timeout(WAIT).unwrap(),
        (Vec::new(), false, 4001)
    );
    assert_eq!(
        lines.recv_timeout(WAIT).expect("the server's close line"),
        "closed 4001 rust done"
    );
    let _ = child.wait();
}
