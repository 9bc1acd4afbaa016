"""End-to-end tests of the transport's limits, as a visitor or an operator meets them: a socket
that stops reading, HTTP requests over the header and body limits, pings and the idle timeout.

Some peers here are ones python3-websockets will not imitate (a socket that never reads, one
that never answers a ping): they speak WebSocket by hand over a plain TCP socket.
Run with /usr/bin/python3, as test_chat:
    PALAVER_BINARY=build/server/palaver /usr/bin/python3 -m unittest -v test_transport
"""

import asyncio
import base64
import http.client
import json
import os
import socket
import struct
import time
import unittest

import websockets
import websockets.client

from test_chat import TIMEOUT, Client, ServerTest, reply_of

OP_TEXT, OP_CLOSE, OP_PING = 0x1, 0x8, 0x9


def encode_frame(opcode, payload, fin=True, rsv=0, mask=True, length=None):
    """One client frame as bytes: masked unless told otherwise, its length in the shortest of
    the 7, 16 and 64-bit forms. `rsv` is the three reserved bits (RSV1 = 4); `length` is
    claimed in the header instead of the payload's own (for a peer that lies about it)."""
    length = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | rsv << 4 | opcode])
    masked = 0x80 if mask else 0
    if length < 126:
        head += bytes([masked | length])
    elif length < 65536:
        head += bytes([masked | 126]) + struct.pack("!H", length)
    else:
        head += bytes([masked | 127]) + struct.pack("!Q", length)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class RawWebSocket:
    """A WebSocket client written by hand: it reads only when told to and never answers
    anything by itself. Blocking, each call bounded by TIMEOUT."""

    def __init__(self, port, receive_buffer=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer:  # before connect, so the advertised window stays small
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
                          .encode())
        self.pending = b""
        self.message = b""  # the fragments of a message read so far
        while b"\r\n\r\n" not in self.pending:
            self.pending += self._receive()
        head, self.pending = self.pending.split(b"\r\n\r\n", 1)
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError("handshake refused: " + head.decode(errors="replace"))

    def _receive(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("the server closed the connection")
        return chunk

    def _take(self, n):
        while len(self.pending) < n:
            self.pending += self._receive()
        data, self.pending = self.pending[:n], self.pending[n:]
        return data

    def send(self, opcode, payload):
        self.sock.sendall(encode_frame(opcode, payload))

    def send_frame(self, frame):
        self.send(OP_TEXT, json.dumps(frame).encode())

    def read(self):
        """The next control frame or whole message (fragments joined) as (opcode, payload);
        EOFError once the server has closed."""
        while True:
            first, second = self._take(2)
            length = second & 0x7F
            if length == 126:
                length = struct.unpack("!H", self._take(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", self._take(8))[0]
            opcode, payload, final = first & 0x0F, self._take(length), first & 0x80
            if opcode >= OP_CLOSE:  # control frames may come between fragments
                return opcode, payload
            self.message += payload
            if final:
                message, self.message = self.message, b""
                return OP_TEXT, message

    def until(self, frame_type):
        """Reads (ignoring pings, unanswered) until a text frame of that type."""
        while True:
            opcode, payload = self.read()
            if opcode == OP_TEXT and json.loads(payload)["type"] == frame_type:
                return json.loads(payload)

    def messages_until_closed(self):
        """Every message left, up to the end of the connection (EOF or a reset); a timeout
        if the server keeps it open."""
        messages = []
        try:
            while True:
                opcode, payload = self.read()
                if opcode == OP_TEXT:
                    messages.append(json.loads(payload))
        except (EOFError, ConnectionResetError):
            return messages

    def authenticate(self, token=None):
        auth = {"type": "auth", "protocol": 1}
        if token:
            auth["token"] = token
        self.send_frame(auth)
        return self.until("ready")

    def close(self):
        self.sock.close()


class SlowReader(ServerTest):
    """One tab of a visitor stops reading; the server drops it and the other tab gets it all."""
    words_per_second = 10000
    extra_args = ("--outgoing-queue-bytes", "65536", "--messages-per-minute-per-socket", "1000",
                  "--messages-per-minute-per-identity", "1000")

    async def test_a_socket_that_stops_reading_is_dropped_and_its_twin_misses_nothing(self):
        reader = await Client.connect(self.server)
        await self.chat(reader, "a private question about my order")
        conversation_id = (await reader.until("conversation"))["conversation"]["id"]
        await reader.until("done")

        # A small receive window, so what it does not read piles up at the server.
        stalled = RawWebSocket(self.server.port, receive_buffer=4096)
        stalled.authenticate(reader.ready["token"])
        stalled.send_frame({"type": "subscribe", "conversation_id": conversation_id})
        stalled.until("history")
        # From here on it reads nothing. Each /long reply is some 160 KB of frames; the
        # kernel's send buffer takes a few MB before the server's own queue fills.
        for i in range(100):
            reader.frames.clear()
            await self.chat(reader, "/long", conversation_id, f"long{i}")
            done = await reader.until("done")
            if "too far behind" in self.server.logged():
                break
        self.assertIn("too far behind", self.server.logged())

        # The reader got the last reply whole, every event once and in order.
        reply = [f for f in reader.frames if f["type"] in ("delta", "done") and
                 f["message_id"] == done["message_id"]]
        seqs = [f["seq"] for f in reply]
        self.assertEqual(seqs, list(range(seqs[0], seqs[0] + len(seqs))), "a gap or a repeat")
        self.assertEqual(reply_of(reader.frames), done["text"])
        self.assertTrue(done["text"].startswith("Paragraph 1:"))

        # The stalled socket gets what the kernel had buffered for it, then the end.
        received = await asyncio.to_thread(stalled.messages_until_closed)
        self.assertFalse(any(f["type"] == "done" and f["message_id"] == done["message_id"]
                             for f in received))
        stalled.close()

        # The reader's socket is unaffected.
        await reader.send({"type": "ping", "id": "after"})
        await reader.until("pong", id="after")
        await reader.close()
        self.server.stop()
        logged = self.server.logged()
        self.assertRegex(logged, r"socket \d+ closed: too far behind")
        for text in ("a private question", "Paragraph", "You said"):
            self.assertNotIn(text, logged)


class HttpLimits(ServerTest):
    """Requests over the header or body limit get a clear answer, never a reset."""
    extra_args = ("--http-header-bytes", "2048", "--http-body-bytes", "4096")

    def request(self, method, path, headers=None, body=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=TIMEOUT)
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        answer = (response.status, response.read(), response.headers)
        connection.close()
        return answer

    def test_a_header_section_over_the_limit_gets_431(self):
        status, body, _ = self.request("GET", "/healthz", {"X-Padding": "a" * 1500})
        self.assertEqual((status, body), (200, b"ok\n"))
        # Far beyond the limit: what the server never reads must not turn into a reset.
        status, body, headers = self.request("GET", "/healthz", {"X-Padding": "a" * 300_000})
        self.assertEqual((status, body), (431, b"request headers too large\n"))
        self.assertEqual(headers["Connection"], "close")

    def test_a_rest_body_over_the_limit_gets_413(self):
        status, body, _ = self.request("POST", "/api/v1/visitors")
        self.assertEqual(status, 201)
        token = json.loads(body)["token"]
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        fits = json.dumps({"client_msg_id": "small", "text": "x" * 3000})
        status, body, _ = self.request("POST", "/api/v1/messages", auth, fits)
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["reply"]["text"], "You said: " + "x" * 3000)
        # Megabytes the server refuses after the headers: it still answers, and the client
        # finishes sending without a reset.
        too_big = json.dumps({"client_msg_id": "big", "text": "x" * 4_000_000})
        status, body, headers = self.request("POST", "/api/v1/messages", auth, too_big)
        self.assertEqual((status, body), (413, b"request body too large\n"))
        self.assertEqual(headers["Connection"], "close")


class PingCounter(websockets.client.WebSocketClientProtocol):
    """python3-websockets' client, counting the server's pings it answers."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pings_answered = 0

    async def pong(self, data=b""):
        self.pings_answered += 1
        await super().pong(data)


class IdleTimeout(ServerTest):
    """Pings every ping_interval keep a live peer open; a silent one is closed at idle_timeout."""
    idle_timeout, ping_interval = 5, 1
    extra_args = ("--idle-timeout-seconds", str(idle_timeout),
                  "--ping-interval-seconds", str(ping_interval))

    async def test_a_peer_that_answers_pings_stays_open_past_the_idle_timeout(self):
        # The client's own keep-alive pings are off: only its pongs show it is there.
        client = await Client.connect(self.server, ping_interval=None,
                                      create_protocol=PingCounter)
        window = self.idle_timeout + 3
        await asyncio.sleep(window)
        await client.send({"type": "ping", "id": "still"})
        self.assertEqual(await client.until("pong"), {"type": "pong", "id": "still"})
        # About one ping a second; loosely, to allow for a slow machine.
        self.assertGreaterEqual(client.ws.pings_answered, window // self.ping_interval - 3)
        self.assertLessEqual(client.ws.pings_answered, window // self.ping_interval + 2)
        await client.close()

    def test_a_peer_that_answers_nothing_is_closed_after_the_idle_timeout(self):
        silent = RawWebSocket(self.server.port)
        quiet_since = time.monotonic()  # auth is the last thing it sends
        silent.authenticate()
        pings = 0
        while True:
            opcode, payload = silent.read()
            if opcode == OP_PING:
                pings += 1
            if opcode == OP_CLOSE:
                break
        closed_after = time.monotonic() - quiet_since
        code = struct.unpack("!H", payload[:2])[0]
        self.assertEqual(code, 1001)  # going away
        self.assertEqual(payload[2:], b"idle timeout")
        self.assertGreaterEqual(closed_after, self.idle_timeout - 0.05)
        self.assertGreaterEqual(pings, 2)
        # Unanswered, the server does not wait for the close handshake forever.
        self.assertEqual(silent.messages_until_closed(), [])
        silent.close()


if __name__ == "__main__":
    unittest.main()
