"""An independent QUIC peer (aioquic) for cpp-tests/quic_interop.sh.

client <port> <ca.pem>: connects to our QUIC echo server (ALPN "echo") and checks, byte for
    byte, the echo of data on bidirectional streams (each stream sent with its fin, of several
    sizes, echoed on the same stream) and of messages, written as our message stream carries
    them (4-byte big-endian length, then the bytes, on the client's first unidirectional
    stream) and echoed on the server's first unidirectional stream. Prints "ok".
server <cert.pem> <key.pem>: an aioquic echo server with the same behaviour; prints
    "port N", then "done" once a client echoed both a stream and a message and finished its
    message stream (a graceful close).
"""

import asyncio
import os
import struct
import sys

from aioquic.asyncio import connect, serve
from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import ConnectionTerminated, StreamDataReceived

ALPN = ["echo"]
# Set by the server once a client that echoed a stream and a message finished its message
# stream (what our client does when it closes gracefully).
SERVED = None


def frames(buf: bytearray):
    """Pops the whole length-prefixed messages at the start of buf."""
    out = []
    while len(buf) >= 4:
        (n,) = struct.unpack(">I", buf[:4])
        if len(buf) < 4 + n:
            break
        out.append(bytes(buf[4 : 4 + n]))
        del buf[: 4 + n]
    return out


class Peer(QuicConnectionProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.streams = {}  # stream id -> bytearray of received data
        self.finished = {}  # stream id -> asyncio.Event
        self.inbox = bytearray()  # the peer's message stream
        self.messages = []
        self.message_event = asyncio.Event()
        self.out = None  # our message stream
        self.echo = False
        self.closed = asyncio.Event()

    def send_message(self, data: bytes):
        if self.out is None:
            self.out = self._quic.get_next_available_stream_id(is_unidirectional=True)
        self._quic.send_stream_data(self.out, struct.pack(">I", len(data)) + data)
        self.transmit()

    def quic_event_received(self, event):
        if isinstance(event, StreamDataReceived):
            sid = event.stream_id
            unidirectional = sid & 2
            if unidirectional and (sid >> 2) == 0:  # the peer's message stream
                self.inbox += event.data
                for m in frames(self.inbox):
                    self.messages.append(m)
                    if self.echo:
                        self.send_message(m)
                self.message_event.set()
                # Our peer finishes its message stream when it closes gracefully.
                if self.echo and event.end_stream and self.messages and self.finished:
                    SERVED.set()
                return
            self.streams.setdefault(sid, bytearray()).extend(event.data)
            if self.echo and not unidirectional:
                self._quic.send_stream_data(sid, event.data, end_stream=event.end_stream)
                self.transmit()
            if event.end_stream:
                self.finished.setdefault(sid, asyncio.Event()).set()
        elif isinstance(event, ConnectionTerminated):
            self.closed.set()

    async def wait_stream(self, sid):
        await self.finished.setdefault(sid, asyncio.Event()).wait()
        return bytes(self.streams[sid])

    async def wait_messages(self, n):
        while len(self.messages) < n:
            self.message_event.clear()
            await self.message_event.wait()


async def run_client(port: int, ca: str):
    config = QuicConfiguration(is_client=True, alpn_protocols=ALPN, server_name="localhost")
    config.load_verify_locations(ca)
    async with connect("127.0.0.1", port, configuration=config, create_protocol=Peer) as peer:
        sizes = [1, 1000, 100_000, 1_000_000]
        sent = {}
        for size in sizes:
            sid = peer._quic.get_next_available_stream_id()
            data = os.urandom(size)
            sent[sid] = data
            peer._quic.send_stream_data(sid, data, end_stream=True)
        peer.transmit()
        for sid, data in sent.items():
            got = await asyncio.wait_for(peer.wait_stream(sid), 20)
            assert got == data, f"stream {sid}: {len(got)} bytes back, {len(data)} sent"
        messages = [b"m", b"hello from aioquic", os.urandom(70_000), b""]
        for m in messages:
            peer.send_message(m)
        await asyncio.wait_for(peer.wait_messages(len(messages)), 20)
        assert peer.messages == messages, "messages differ"
        peer.close()
    print("ok")


async def run_server(cert: str, key: str):
    config = QuicConfiguration(is_client=False, alpn_protocols=ALPN)
    config.load_cert_chain(cert, key)
    global SERVED
    SERVED = asyncio.Event()

    def create(*args, **kwargs):
        p = Peer(*args, **kwargs)
        p.echo = True
        return p

    server = await serve("127.0.0.1", 0, configuration=config, create_protocol=create)
    port = server._transport.get_extra_info("sockname")[1]
    print(f"port {port}", flush=True)
    try:
        await asyncio.wait_for(SERVED.wait(), 30)
    except asyncio.TimeoutError:
        print("timeout", flush=True)
        sys.exit(1)
    server.close()
    print("done", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "client":
        asyncio.run(run_client(int(sys.argv[2]), sys.argv[3]))
    else:
        asyncio.run(run_server(sys.argv[2], sys.argv[3]))
