"""Checks metrics_server with an independent reader of the Prometheus text format
(prometheus_client's parser): sends raw echo traffic over TCP, scrapes /metrics, and
compares the parsed samples with what was sent. Prints "ok" or what differs.
Usage: prometheus_check.py <echo port> <metrics port>"""
import socket
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

echo_port, metrics_port = int(sys.argv[1]), int(sys.argv[2])
url = f"http://127.0.0.1:{metrics_port}/metrics"


def scrape():
    with urllib.request.urlopen(url, timeout=20) as resp:
        text = resp.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def tcp_server(samples, name):
    return samples.get((name, (("protocol", "tcp"), ("role", "server"))), 0.0)


before = scrape()
payload = bytes(range(256)) * 40  # 10 240 bytes
with socket.create_connection(("127.0.0.1", echo_port), timeout=20) as sock:
    sock.sendall(payload)
    got = b""
    while len(got) < len(payload):
        chunk = sock.recv(65536)
        if not chunk:
            break
        got += chunk
    if got != payload:
        sys.exit(f"echo differs: {len(got)} bytes back")
    during = scrape()

problems = []
for name, want in [
    ("network_bytes_received_total", len(payload)),
    ("network_bytes_sent_total", len(payload)),
    ("network_connections_total", 1),
    ("network_connections_active", 1),
]:
    diff = tcp_server(during, name) - tcp_server(before, name)
    if diff != want:
        problems.append(f"{name} grew by {diff}, expected {want}")
served = during.get(("network_http_server_request_duration_seconds_count", ()), 0)
if served != before.get(("network_http_server_request_duration_seconds_count", ()), 0) + 1:
    problems.append(f"http server request count {served} does not count the first scrape")
if during.get(("network_http_server_request_duration_seconds_bucket", (("le", "+Inf"),))) != served:
    problems.append("the +Inf bucket differs from the count")
print("ok" if not problems else "; ".join(problems))
