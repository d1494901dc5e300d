"""A TCP proxy that adds delay, like a GPRS link: for benchmarks and slow-link tests.

Bytes from either side are delivered `delay_s` after they arrived, in order; throughput is
not limited. Threads, not asyncio: the handheld's MQTT socket blocks its event loop while
it writes, and the proxy must keep moving bytes meanwhile.
"""

import contextlib
import heapq
import socket
import threading
import time
from collections.abc import Callable


class DelayProxy:
    """Listens on 127.0.0.1:<port>, forwards to target with `delay_s` added each way."""

    def __init__(self, target: tuple[str, int], delay_s: float) -> None:
        self.target = target
        self.delay_s = delay_s
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> "DelayProxy":
        self._spawn(self._accept)
        return self

    def close(self) -> None:
        self._stop.set()
        self._server.close()

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            for source, sink in ((client, upstream), (upstream, client)):
                self._spawn(self._pipe, source, sink)

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        pending: list[tuple[float, int, bytes]] = []
        lock = threading.Condition()
        done = threading.Event()
        counter = [0]

        def deliver() -> None:
            while True:
                with lock:
                    while not pending and not done.is_set():
                        lock.wait(0.05)
                    if not pending and done.is_set():
                        break
                    due, _, data = pending[0]
                    wait = due - time.monotonic()
                    if wait > 0:
                        lock.wait(wait)
                        continue
                    heapq.heappop(pending)
                try:
                    sink.sendall(data)
                except OSError:
                    break
            for sock in (sink, source):
                with contextlib.suppress(OSError):  # the other side may be gone already
                    sock.shutdown(socket.SHUT_RDWR)

        self._spawn(deliver)
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            with lock:
                if not data:
                    done.set()
                    lock.notify()
                    return
                counter[0] += 1
                heapq.heappush(pending, (time.monotonic() + self.delay_s, counter[0], data))
                lock.notify()
