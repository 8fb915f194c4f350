"""WebSocket baseline for network_system_loadtest --transport ws: the same workloads with the
Python `websockets` package (client and server in one asyncio process on 127.0.0.1).

throughput SIZE COUNT CONNECTIONS: each connection sends COUNT/CONNECTIONS binary messages of
    SIZE bytes, one send per message; prints "seconds S" once the server received every byte.
rtt SIZE COUNT: 100 warm-up round trips, then COUNT echoed binary messages; prints
    "samples" and the round trips in microseconds.
"""
import asyncio
import sys
import time

from websockets.asyncio.client import connect
from websockets.asyncio.server import serve


async def throughput(size, count, connections):
    per = count // connections
    goal = per * connections * size
    received = 0
    done = asyncio.get_running_loop().create_future()

    async def sink(ws):
        nonlocal received
        async for message in ws:
            received += len(message)
            if received >= goal and not done.done():
                done.set_result(None)

    async with serve(sink, "127.0.0.1", 0, max_size=None, ping_interval=None) as srv:
        port = srv.sockets[0].getsockname()[1]
        clients = [await connect(f"ws://127.0.0.1:{port}/", max_size=None, ping_interval=None)
                   for _ in range(connections)]
        payload = bytes(size)
        start = time.perf_counter()

        async def send(ws):
            for _ in range(per):
                await ws.send(payload)

        await asyncio.gather(*(send(ws) for ws in clients))
        await asyncio.wait_for(done, 300)
        print(f"seconds {time.perf_counter() - start}", flush=True)
        for ws in clients:
            await ws.close()


async def rtt(size, count):
    async def echo(ws):
        async for message in ws:
            await ws.send(message)

    async with serve(echo, "127.0.0.1", 0, max_size=None, ping_interval=None) as srv:
        port = srv.sockets[0].getsockname()[1]
        async with connect(f"ws://127.0.0.1:{port}/", max_size=None, ping_interval=None) as ws:
            payload = bytes(size)
            samples = []
            for i in range(count + 100):
                t = time.perf_counter()
                await ws.send(payload)
                await ws.recv()
                if i >= 100:
                    samples.append((time.perf_counter() - t) * 1e6)
            print("samples " + " ".join(f"{s:.2f}" for s in samples), flush=True)


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[2:]]
    asyncio.run(throughput(*args) if sys.argv[1] == "throughput" else rtt(*args))
