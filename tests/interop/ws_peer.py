"""Independent WebSocket peer (the `websockets` package) for tests/ws_python.rs.

client PORT: connects to ws://127.0.0.1:PORT/, has text and binary messages echoed and checks
    them byte for byte, pings and waits for the pong, closes with 4000 "py done"; prints "ok".
server: echo server on 127.0.0.1, port 0; prints "port N", echoes one client's messages, and
    prints "closed CODE REASON" when that client closes.
echo: echo server for any number of clients (the Autobahn runner's reference), port 0; prints
    "port N" and serves until stdin closes.
"""
import asyncio
import sys

from websockets.asyncio.client import connect
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

SIZES = [0, 1, 125, 126, 65535, 65536, 1 << 20]


def payload(size):
    return bytes((i * 7 + size) % 256 for i in range(size))


async def client(port):
    async with connect(f"ws://127.0.0.1:{port}/", max_size=None, ping_interval=None) as ws:
        for size in SIZES:
            data = payload(size)
            await ws.send(data)
            echoed = await ws.recv()
            assert echoed == data, f"binary of {size} bytes differs"
            text = "".join(chr(ord("a") + i % 26) for i in range(size)) + "é"
            await ws.send(text)
            echoed = await ws.recv()
            assert echoed == text, f"text of {size} characters differs"
        pong = await ws.ping(b"py-ping")
        await asyncio.wait_for(pong, 10)
        await ws.close(4000, "py done")
    print("ok", flush=True)


async def server():
    done = asyncio.get_running_loop().create_future()

    async def echo(ws):
        try:
            async for message in ws:
                await ws.send(message)
        except ConnectionClosed:
            pass  # a close code other than 1000/1001 ends the loop with this
        finally:
            if not done.done():
                done.set_result((ws.close_code, ws.close_reason))

    async with serve(echo, "127.0.0.1", 0, max_size=None, ping_interval=None) as srv:
        port = srv.sockets[0].getsockname()[1]
        print(f"port {port}", flush=True)
        code, reason = await asyncio.wait_for(done, 60)
        print(f"closed {code} {reason}", flush=True)


async def echo_forever():
    async def echo(ws):
        try:
            async for message in ws:
                await ws.send(message)
        except ConnectionClosed:
            pass

    async with serve(echo, "127.0.0.1", 0, max_size=None, ping_interval=None) as srv:
        print(f"port {srv.sockets[0].getsockname()[1]}", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    if sys.argv[1] == "client":
        asyncio.run(client(int(sys.argv[2])))
    elif sys.argv[1] == "echo":
        asyncio.run(echo_forever())
    else:
        asyncio.run(server())
