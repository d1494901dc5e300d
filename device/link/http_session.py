"""The link over HTTP, where MQTT is blocked: POST an envelope, the answers come back in the
response; a "poll" envelope asks the server to hold the request until a downlink is there.

HTTP/1.0 over a plain socket: connecting and sending are short blocking calls bounded by a
timeout; the answer is read without blocking, so the keypad and printer tasks keep
running while the server holds a long-poll open.
"""

import asyncio
import json
import time

_CHUNK = 512


class HttpError(OSError):
    """The server answered, but not with the link's JSON (proxy page, 404...)."""


class HttpSession:
    """POSTs to <path> at address (ip, port); Host header is the configured name."""

    name = "http"

    def __init__(self, host, address, path="/api/v1/link", timeout_s=8):
        self.host = host
        self.address = address
        self.path = path
        self.timeout_s = timeout_s

    async def post(self, wire, wait_s=0):
        """The downlink envelopes (as dicts) in the server's answer to wire.

        OSError when the server cannot be reached or the answer is not the link's; a
        refused message (4xx with an error envelope) is an answer like any other."""
        import socket  # here, not at the top: only a device with a network has it

        sock = socket.socket()
        try:
            sock.settimeout(self.timeout_s)
            sock.connect(self.address)
            head = (
                "POST " + self.path + " HTTP/1.0\r\nHost: " + self.host
                + "\r\nContent-Type: application/json\r\nContent-Length: "
                + str(len(wire)) + "\r\n\r\n"
            )  # fmt: skip
            sock.write(head.encode())
            sock.write(wire)
            data = await self._read_all(sock, self.timeout_s + wait_s)
        finally:
            sock.close()
        return _messages(data)

    async def _read_all(self, sock, limit_s):
        sock.setblocking(False)
        deadline = time.ticks_add(time.ticks_ms(), limit_s * 1000)
        parts = []
        while True:
            chunk = sock.read(_CHUNK)
            if chunk is None:  # nothing yet
                if time.ticks_diff(deadline, time.ticks_ms()) <= 0:
                    raise OSError("http: no answer in " + str(limit_s) + " s")
                await asyncio.sleep_ms(20)
                continue
            if not chunk:  # the server closed: the answer is complete (HTTP/1.0)
                return b"".join(parts)
            parts.append(chunk)


def _messages(data):
    split = data.find(b"\r\n\r\n")
    if not data.startswith(b"HTTP/") or split < 0:
        raise HttpError("http: not an HTTP answer")
    try:
        body = json.loads(data[split + 4 :])
        messages = body["messages"]
    except (ValueError, KeyError, TypeError):
        raise HttpError("http: " + data[9:12].decode() + " without the link's answer") from None
    if not isinstance(messages, list):
        raise HttpError("http: messages is not a list")
    return messages
