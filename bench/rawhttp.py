"""A minimal HTTP/1.1 keep-alive client on asyncio streams, for the load generator.

httpx costs about a millisecond of CPU a request; on a 2-core machine that also runs the
service and ganache, that alone caps an open-loop generator well below 1,000 requests a
second and shows up as the generator's lateness, not the server's. This client writes
pre-built request bytes on pooled loopback connections and reads `status`, headers and a
Content-Length body back: about a tenth of the cost. Enough for POST /v1/orders on
uvicorn, nothing more (no chunked bodies, no TLS, no redirects).
"""

from __future__ import annotations

import asyncio
from collections import deque


class RawClient:
    def __init__(self, host: str, port: int, *, max_connections: int = 256):
        self.host, self.port, self.max_connections = host, port, max_connections
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._waiters: deque[asyncio.Future] = deque()
        self.open = 0
        self._connecting: set[asyncio.Future] = set()

    def request_bytes(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
        head = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
            *(f"{k}: {v}" for k, v in headers.items()),
        ]
        return ("\r\n".join(head) + "\r\n\r\n").encode() + body

    async def _acquire(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._idle:
            return self._idle.pop()
        if self.open < self.max_connections:
            self.open += 1
            try:
                return await asyncio.open_connection(self.host, self.port)
            except BaseException:
                self.open -= 1
                raise
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        return await waiter

    async def _fresh(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A new connection (not a pooled one, which may be as stale as the one that failed)."""
        self.open += 1
        try:
            return await asyncio.open_connection(self.host, self.port)
        except BaseException:
            self.open -= 1
            raise

    def _release(self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None) -> None:
        if conn is None:  # broken: a waiter may open a fresh one
            self.open -= 1
            if self._waiters and self.open < self.max_connections:
                waiter = self._waiters.popleft()
                self.open += 1
                task = asyncio.ensure_future(self._connect_for(waiter))
                self._connecting.add(task)
                task.add_done_callback(self._connecting.discard)
            return
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        self._idle.append(conn)

    async def _connect_for(self, waiter: asyncio.Future) -> None:
        try:
            waiter.set_result(await asyncio.open_connection(self.host, self.port))
        except Exception as exc:  # noqa: BLE001 - handed to the waiting request
            self.open -= 1
            if not waiter.done():
                waiter.set_exception(exc)

    async def send(self, payload: bytes, timeout: float = 60) -> tuple[int, bytes]:
        """(status, body) of one request; raises ConnectionError/TimeoutError on failure. A pooled
        connection the server closed meanwhile (keep-alive timeout) is retried once on a new one:
        only safe for requests that are idempotent, as orders with a client_order_id are."""
        for attempt in (1, 2):
            conn = await (self._acquire() if attempt == 1 else self._fresh())
            reader, writer = conn
            try:
                writer.write(payload)
                status, body, keep = await asyncio.wait_for(self._read(reader), timeout)
                break
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                writer.close()
                self._release(None)
                if attempt == 2 or not isinstance(exc, ConnectionError):
                    raise
            except BaseException:
                writer.close()
                self._release(None)
                raise
        if keep:
            self._release(conn)
        else:
            writer.close()
            self._release(None)
        return status, body

    @staticmethod
    async def _read(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
        line = await reader.readline()
        if not line:
            raise ConnectionError("connection closed")
        status = int(line.split(b" ", 2)[1])
        length, keep = 0, True
        while True:
            header = await reader.readline()
            if header in (b"\r\n", b"\n", b""):
                break
            name, _, value = header.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value.strip())
            elif name == b"connection" and value.strip().lower() == b"close":
                keep = False
        return status, await reader.readexactly(length), keep

    async def close(self) -> None:
        for _reader, writer in self._idle:
            writer.close()
        self._idle.clear()
