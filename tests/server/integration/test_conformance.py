"""RFC 6455 conformance of /ws, case by case after the Autobahn testsuite's groups 1-7 and 9:
framing and masking, pings and pongs, reserved bits and opcodes, fragmentation, UTF-8, the
close handshake, and the size limits.

Each case speaks WebSocket by hand (test_transport.RawWebSocket), so it can send what no
library would, and asserts what a client sees: for input RFC 6455 says fails the connection,
the exact status code of the server's close frame within DEADLINE, then the end of the
connection; for input it must accept, an answer that shows the server still reads and parses
(a pong, or the protocol's `error` frame for a message that is not a protocol frame). Where
the RFC allows more than one answer, the case names each and says why.
One server per class. Run with /usr/bin/python3, as test_chat:
    PALAVER_BINARY=build/server/palaver /usr/bin/python3 -m unittest -v test_conformance
"""

import json
import socket
import struct
import tempfile
import time
import unittest

from test_chat import Server
from test_transport import OP_CLOSE, OP_PING, OP_TEXT, RawWebSocket, encode_frame

OP_CONTINUATION, OP_BINARY, OP_PONG = 0x0, 0x2, 0xA
RSV1, RSV2, RSV3 = 4, 2, 1
DEADLINE = 5  # seconds the server may take to answer or close

PROTOCOL_ERROR, INVALID_PAYLOAD, TOO_BIG = 1002, 1007, 1009

# "κόσμε" and the other UTF-8 texts: what the Autobahn suite sends (its cases 6.x).
KOSME = "κόσμε".encode()
VALID_TEXTS = {
    "greek": "κόσμε",
    "latin": "Hello-µ@ßöäüàá-UTF-8!!",
    "first 2-byte": "\u0080",
    "last 2-byte": "\u07ff",
    "first 3-byte": "\u0800",
    "last before surrogates": "\ud7ff",
    "first after surrogates": "\ue000",
    "replacement character": "\ufffd",
    "last 3-byte": "\uffff",
    "first 4-byte": "\U00010000",
    "emoji": "\U0001f600",
    "last code point": "\U0010ffff",
    "noncharacter": "\ufffe",
}
INVALID_UTF8 = {
    "surrogate in text": KOSME + b"\xed\xa0\x80edited",
    "lone continuation 0x80": b"\x80",
    "lone continuation 0xbf": b"\xbf",
    "continuations only": b"\x80\xbf\x80\xbf",
    "lead byte 0xc0": b"\xc0\x20",
    "lead byte 0xc1": b"\xc1\x20",
    "lead byte 0xf5": b"\xf5\x20",
    "lead byte 0xf8": b"\xf8\x88\x80\x80\x80",
    "lead byte 0xfc": b"\xfc\x84\x80\x80\x80\x80",
    "byte 0xfe": b"\xfe",
    "byte 0xff": b"\xff",
    "overlong slash, 2 bytes": b"\xc0\xaf",
    "overlong slash, 3 bytes": b"\xe0\x80\xaf",
    "overlong slash, 4 bytes": b"\xf0\x80\x80\xaf",
    "overlong U+07FF": b"\xe0\x9f\xbf",
    "overlong U+FFFF": b"\xf0\x8f\xbf\xbf",
    "high surrogate": b"\xed\xa0\x80",
    "low surrogate": b"\xed\xbf\xbf",
    "surrogate pair": b"\xed\xa0\x80\xed\xb0\x80",
    "above U+10FFFF": b"\xf4\x90\x80\x80",
    "2-byte sequence cut short": b"\xc2\x41",
    "3-byte sequence cut short": b"\xe2\x82\x41",
    "4-byte sequence cut short": b"\xf0\x9f\x98\x41",
    "ends in a 2-byte lead": b"\xc2",
    "ends inside a 3-byte sequence": b"\xe2\x82",
    "ends inside a 4-byte sequence": b"\xf0\x9f\x98",
}


def ping_text(frame_id, length=None):
    """A protocol ping frame as UTF-8 bytes, padded (with a field the server ignores) to
    `length` bytes: the pong naming frame_id shows the server read every byte."""
    text = json.dumps({"type": "ping", "id": frame_id}, ensure_ascii=False).encode()
    if length is None:
        return text
    padded = text[:-1] + b',"pad":""}'
    if length < len(padded):
        raise ValueError(f"a ping with id {frame_id!r} takes {len(padded)} bytes")
    return padded[:-2] + b"x" * (length - len(padded)) + b'"}'


def split(payload, sizes):
    """payload cut into fragments of the given sizes, the last one taking what is left."""
    pieces, start = [], 0
    for size in sizes:
        pieces.append(payload[start:start + size])
        start += size
    return pieces + [payload[start:]]


def fragments(opcode, pieces):
    """One message as frames: the first with opcode, then continuations, the last final."""
    return b"".join(encode_frame(opcode if i == 0 else OP_CONTINUATION, piece,
                                 fin=i == len(pieces) - 1)
                    for i, piece in enumerate(pieces))


def close_payload(code, reason=b""):
    return struct.pack("!H", code) + reason


def server_rss_bytes(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


class Peer(RawWebSocket):
    """An authenticated RawWebSocket that writes whatever bytes it is given and waits at most
    DEADLINE for each read."""

    def __init__(self, port):
        super().__init__(port)
        self.sock.settimeout(DEADLINE)
        # Nagle off: each write leaves at once, so a frame written in pieces arrives so.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.ready = self.authenticate()

    def write(self, data, piece=None, pause=0.0):
        """Sends data at once or `piece` bytes at a time. A server that fails the connection
        may close it before all is sent: what it answered is still there to read."""
        piece = piece or len(data) or 1
        try:
            for start in range(0, len(data), piece):
                self.sock.sendall(data[start:start + piece])
                if pause:
                    time.sleep(pause)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def frame(self, opcode, payload=b"", **options):
        self.write(encode_frame(opcode, payload, **options))

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        self.close()


class ConformanceTest(unittest.TestCase):
    """One server for the class; each case opens its own sockets."""
    extra_args = ()

    @classmethod
    def setUpClass(cls):
        directory = tempfile.TemporaryDirectory()
        cls.addClassCleanup(directory.cleanup)
        cls.server = Server(directory.name, extra_args=cls.extra_args)
        cls.addClassCleanup(cls.server.stop)
        cls.server.start()

    def connect(self):
        """A new authenticated socket, closed at the end of the case (or of a `with`: the
        server limits the sockets one address holds open)."""
        peer = Peer(self.server.port)
        self.addCleanup(peer.close)
        return peer

    def next_frame(self, peer, waiting_for):
        try:
            return peer.read()
        except TimeoutError:
            self.fail(f"nothing in {DEADLINE} s while waiting for {waiting_for}")
        except (EOFError, ConnectionResetError) as e:
            self.fail(f"the connection ended ({e}) while waiting for {waiting_for}")

    def assertAnswered(self, peer, opcode, payload):
        """The server's next frame is exactly this one (not a close)."""
        got_opcode, got = self.next_frame(peer, f"opcode {opcode:#x} {payload[:60]!r}")
        if got_opcode == OP_CLOSE and opcode != OP_CLOSE:
            self.fail(f"closed with {self.close_code(got)} {got[2:]!r} instead of answering")
        self.assertEqual((got_opcode, got), (opcode, payload))

    def assertPong(self, peer, frame_id):
        """The next frame is the protocol pong for a ping frame with this id."""
        expected = json.dumps({"type": "pong", "id": frame_id}, ensure_ascii=False,
                              separators=(",", ":"))
        self.assertAnswered(peer, OP_TEXT, expected.encode())

    def assertAlive(self, peer, frame_id="alive"):
        """The socket still reads and parses: a ping frame sent now gets its pong next."""
        peer.write(encode_frame(OP_TEXT, ping_text(frame_id)))
        self.assertPong(peer, frame_id)

    def assertErrorFrame(self, peer, code):
        opcode, payload = self.next_frame(peer, f"an error frame {code}")
        self.assertEqual(opcode, OP_TEXT, f"not an error frame: {opcode:#x} {payload!r}")
        self.assertEqual(json.loads(payload)["code"], code)

    @staticmethod
    def close_code(payload):
        return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None

    def assertClosedWith(self, peer, *codes):
        """The server's next frame is a close frame with one of these status codes (None: no
        status), within DEADLINE; then it ends the connection and sends nothing more
        (RFC 6455 §5.5.1, §7.1.1)."""
        started = time.monotonic()
        opcode, payload = self.next_frame(peer, f"a close frame with {codes}")
        if opcode != OP_CLOSE:
            self.fail(f"got opcode {opcode:#x} {payload[:200]!r} instead of a close frame")
        self.assertNotEqual(len(payload), 1, "a close frame with a 1-byte body")
        self.assertIn(self.close_code(payload), codes, f"reason {payload[2:]!r}")
        self.assertLess(time.monotonic() - started, DEADLINE)
        try:
            after = peer.read()
        except (EOFError, ConnectionResetError):
            return
        except TimeoutError:
            self.fail(f"the connection stayed open {DEADLINE} s after the close frame")
        self.fail(f"a frame after the close frame: {after[0]:#x} {after[1][:200]!r}")


class Framing(ConformanceTest):
    """Payload lengths at the boundaries of the 7, 16 and 64-bit length forms, text and binary,
    written at once or in pieces (Autobahn 1.x); masking (RFC 6455 §5.1, §5.3)."""

    def test_text_frames_at_each_length_boundary_are_read_whole(self):
        for length in (125, 126, 127, 128, 65535, 65536):
            with self.subTest(length=length), self.connect() as peer:
                peer.frame(OP_TEXT, ping_text(f"n{length}", length))
                self.assertPong(peer, f"n{length}")

    def test_an_empty_text_frame_is_read_as_an_empty_message(self):
        peer = self.connect()
        peer.frame(OP_TEXT, b"")
        self.assertErrorFrame(peer, "BAD_FRAME")  # "" is no JSON, but a whole message
        self.assertAlive(peer)

    def test_binary_frames_at_each_length_boundary_are_read_whole(self):
        # Any bytes are valid in a binary message; the protocol answers each with BAD_FRAME.
        for length in (0, 125, 126, 127, 128, 65535, 65536):
            with self.subTest(length=length), self.connect() as peer:
                peer.frame(OP_BINARY, bytes(range(256)) * (length // 256) +
                           bytes(range(length % 256))[::-1])
                self.assertErrorFrame(peer, "BAD_FRAME")
                self.assertAlive(peer)

    def test_a_frame_written_one_byte_at_a_time_is_read_whole(self):
        peer = self.connect()
        peer.write(encode_frame(OP_TEXT, ping_text("bytewise", 130)), piece=1, pause=0.001)
        self.assertPong(peer, "bytewise")

    def test_a_frame_with_a_64_bit_length_written_in_997_byte_pieces_is_read_whole(self):
        peer = self.connect()
        peer.write(encode_frame(OP_TEXT, ping_text("chopped", 65536)), piece=997)
        self.assertPong(peer, "chopped")

    def test_frames_sent_back_to_back_in_one_write_are_each_answered(self):
        peer = self.connect()
        peer.write(b"".join(encode_frame(OP_TEXT, ping_text(f"b{i}", length))
                            for i, length in enumerate((40, 300, 65536))))
        for i in range(3):
            self.assertPong(peer, f"b{i}")

    def test_the_servers_frames_of_each_length_form_arrive_whole_and_unmasked(self):
        # A pong is under 126 bytes, a reply's done frame between 126 and 65535, the history
        # of two such exchanges beyond: a wrong length or a mask would garble the JSON.
        peer = self.connect()
        text = "x" * 30000
        peer.send_frame({"type": "message", "client_msg_id": "a", "text": text})
        conversation_id = peer.until("conversation")["conversation"]["id"]
        done = peer.until("done")
        self.assertEqual(done["text"], "You said: " + text)
        peer.send_frame({"type": "message", "client_msg_id": "b", "text": text,
                         "conversation_id": conversation_id})
        peer.until("done")
        peer.send_frame({"type": "history", "conversation_id": conversation_id})
        history = {}
        while history.get("type") != "history":  # past the reply's last typing frame
            opcode, payload = self.next_frame(peer, "the history frame")
            self.assertEqual(opcode, OP_TEXT)
            history = json.loads(payload)
        self.assertGreater(len(payload), 65535)
        self.assertEqual([m["text"] for m in history["messages"]],
                         [text, "You said: " + text] * 2)
        self.assertAlive(peer)

    def test_an_unmasked_frame_fails_the_connection_with_1002(self):
        # RFC 6455 §5.1: a server MUST close the connection on an unmasked client frame.
        for opcode, payload in ((OP_TEXT, ping_text("unmasked")), (OP_BINARY, b"\x00"),
                                (OP_PING, b"p"), (OP_CLOSE, close_payload(1000))):
            with self.subTest(opcode=opcode), self.connect() as peer:
                peer.frame(opcode, payload, mask=False)
                self.assertClosedWith(peer, PROTOCOL_ERROR)


class PingPong(ConformanceTest):
    """Control frames ping and pong (Autobahn 2.x, RFC 6455 §5.5.2, §5.5.3)."""

    def test_a_ping_is_answered_with_a_pong_of_the_same_payload(self):
        payloads = {"empty": b"", "text": b"Hello, world!", "binary": bytes(range(256))[:125],
                    "125 bytes": b"\xfe" * 125}
        for name, payload in payloads.items():
            with self.subTest(payload=name), self.connect() as peer:
                peer.frame(OP_PING, payload)
                self.assertAnswered(peer, OP_PONG, payload)
                self.assertAlive(peer)

    def test_a_ping_written_one_byte_at_a_time_is_answered(self):
        peer = self.connect()
        peer.write(encode_frame(OP_PING, b"*" * 125), piece=1, pause=0.001)
        self.assertAnswered(peer, OP_PONG, b"*" * 125)

    def test_a_ping_with_126_bytes_fails_the_connection_with_1002(self):
        # RFC 6455 §5.5: control frames carry at most 125 bytes.
        peer = self.connect()
        peer.frame(OP_PING, b"*" * 126)
        self.assertClosedWith(peer, PROTOCOL_ERROR)

    def test_unsolicited_pongs_are_ignored(self):
        peer = self.connect()
        peer.frame(OP_PONG)
        peer.frame(OP_PONG, b"unsolicited")
        self.assertAlive(peer)  # the next frame is the pong: nothing answered the pongs

    def test_an_unsolicited_pong_then_a_ping_gets_only_the_pings_pong(self):
        peer = self.connect()
        peer.write(encode_frame(OP_PONG, b"unsolicited") + encode_frame(OP_PING, b"solicited"))
        self.assertAnswered(peer, OP_PONG, b"solicited")
        self.assertAlive(peer)

    def test_ten_pings_in_a_row_get_ten_pongs_in_order(self):
        for piece, written in ((None, "at once"), (1, "byte by byte")):
            with self.subTest(written=written), self.connect() as peer:
                peer.write(b"".join(encode_frame(OP_PING, f"ping {i}".encode())
                                    for i in range(10)), piece=piece)
                for i in range(10):
                    self.assertAnswered(peer, OP_PONG, f"ping {i}".encode())


class ReservedBits(ConformanceTest):
    """RSV1-3 with no extension negotiated (Autobahn 3.x, RFC 6455 §5.2): 1002."""

    def test_a_frame_with_a_reserved_bit_fails_the_connection_with_1002(self):
        cases = [(RSV1, OP_TEXT, ping_text("rsv")), (RSV2, OP_TEXT, ping_text("rsv")),
                 (RSV3, OP_TEXT, ping_text("rsv")), (RSV1 | RSV3, OP_BINARY, b"\x00\xff"),
                 (RSV2 | RSV3, OP_PING, b"p"), (RSV1 | RSV2 | RSV3, OP_CLOSE, close_payload(1000)),
                 (RSV1, OP_PONG, b"")]
        for rsv, opcode, payload in cases:
            with self.subTest(rsv=rsv, opcode=opcode), self.connect() as peer:
                peer.frame(opcode, payload, rsv=rsv)
                self.assertClosedWith(peer, PROTOCOL_ERROR)

    def test_frames_before_the_bad_one_are_answered_and_none_after(self):
        peer = self.connect()
        peer.write(encode_frame(OP_TEXT, ping_text("before")) +
                   encode_frame(OP_TEXT, ping_text("bad"), rsv=RSV2) +
                   encode_frame(OP_PING, b"after"))
        self.assertPong(peer, "before")
        self.assertClosedWith(peer, PROTOCOL_ERROR)

    def test_a_reserved_bit_in_a_continuation_fails_the_connection_with_1002(self):
        peer = self.connect()
        payload = ping_text("rsv")
        peer.write(encode_frame(OP_TEXT, payload[:5], fin=False) +
                   encode_frame(OP_CONTINUATION, payload[5:], rsv=RSV1))
        self.assertClosedWith(peer, PROTOCOL_ERROR)


class Opcodes(ConformanceTest):
    """Reserved opcodes (Autobahn 4.x, RFC 6455 §5.2): 3-7 for data, 0xB-0xF for control."""

    def test_a_reserved_opcode_fails_the_connection_with_1002(self):
        for opcode in (0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF):
            for payload in (b"", b"reserved"):
                with self.subTest(opcode=opcode, payload=payload), self.connect() as peer:
                    peer.frame(opcode, payload)
                    self.assertClosedWith(peer, PROTOCOL_ERROR)

    def test_frames_before_the_reserved_opcode_are_answered_and_none_after(self):
        for opcode in (0x5, 0xD):
            with self.subTest(opcode=opcode), self.connect() as peer:
                peer.write(encode_frame(OP_TEXT, ping_text("before")) +
                           encode_frame(opcode, b"") + encode_frame(OP_PING, b"after"))
                self.assertPong(peer, "before")
                self.assertClosedWith(peer, PROTOCOL_ERROR)


class Fragmentation(ConformanceTest):
    """Messages in fragments, control frames between them, and the sequences RFC 6455 §5.4
    forbids (Autobahn 5.x): those fail the connection with 1002."""

    def test_a_fragmented_text_message_is_read_whole(self):
        payload = ping_text("fragmented", 200)
        for sizes in ([100], [1] * 199, [0, 50, 0, 50], [199]):
            with self.subTest(fragments=len(sizes) + 1), self.connect() as peer:
                peer.write(fragments(OP_TEXT, split(payload, sizes)))
                self.assertPong(peer, "fragmented")

    def test_fragments_written_one_byte_at_a_time_are_read_whole(self):
        peer = self.connect()
        payload = ping_text("bytewise")
        peer.write(fragments(OP_TEXT, split(payload, [7, 7])), piece=1, pause=0.001)
        self.assertPong(peer, "bytewise")

    def test_empty_fragments_make_an_empty_message(self):
        peer = self.connect()
        peer.write(fragments(OP_TEXT, [b"", b"", b""]))
        self.assertErrorFrame(peer, "BAD_FRAME")
        self.assertAlive(peer)

    def test_a_fragmented_binary_message_is_read_whole(self):
        peer = self.connect()
        peer.write(fragments(OP_BINARY, split(bytes(range(256)), [100, 100])))
        self.assertErrorFrame(peer, "BAD_FRAME")
        self.assertAlive(peer)

    def test_a_ping_between_fragments_is_answered_before_the_message_ends(self):
        peer = self.connect()
        first, second = split(ping_text("around"), [10])
        peer.frame(OP_TEXT, first, fin=False)
        peer.frame(OP_PING, b"between")
        self.assertAnswered(peer, OP_PONG, b"between")
        peer.frame(OP_CONTINUATION, second)
        self.assertPong(peer, "around")

    def test_pings_and_pongs_between_many_fragments_are_answered_in_order(self):
        pieces = split(ping_text("interleaved"), [3] * 8)
        data = b""
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            data += encode_frame(OP_TEXT if i == 0 else OP_CONTINUATION, piece, fin=last)
            if not last:
                data += encode_frame(OP_PONG, b"unsolicited") + encode_frame(OP_PING, b"%d" % i)
        for piece, written in ((None, "at once"), (1, "byte by byte")):
            with self.subTest(written=written), self.connect() as peer:
                peer.write(data, piece=piece)
                for i in range(len(pieces) - 1):
                    self.assertAnswered(peer, OP_PONG, b"%d" % i)
                self.assertPong(peer, "interleaved")

    def test_a_continuation_without_a_message_fails_the_connection_with_1002(self):
        for final in (True, False):
            with self.subTest(fin=final), self.connect() as peer:
                peer.frame(OP_CONTINUATION, ping_text("orphan"), fin=final)
                self.assertClosedWith(peer, PROTOCOL_ERROR)

    def test_a_continuation_after_a_finished_message_fails_the_connection_with_1002(self):
        peer = self.connect()
        first, second = split(ping_text("done"), [10])
        peer.write(fragments(OP_TEXT, [first, second]) +
                   encode_frame(OP_CONTINUATION, b"more"))
        self.assertPong(peer, "done")
        self.assertClosedWith(peer, PROTOCOL_ERROR)

    def test_a_new_message_inside_a_fragmented_one_fails_the_connection_with_1002(self):
        for opcode in (OP_TEXT, OP_BINARY):
            with self.subTest(opcode=opcode), self.connect() as peer:
                peer.write(encode_frame(OP_TEXT, b'{"type":', fin=False) +
                           encode_frame(opcode, ping_text("inside")))
                self.assertClosedWith(peer, PROTOCOL_ERROR)

    def test_a_fragmented_control_frame_fails_the_connection_with_1002(self):
        for opcode, payload in ((OP_PING, b"fragmented"), (OP_PONG, b"fragmented"),
                                (OP_CLOSE, close_payload(1000, b"fragmented"))):
            with self.subTest(opcode=opcode), self.connect() as peer:
                peer.write(encode_frame(opcode, payload[:4], fin=False) +
                           encode_frame(OP_CONTINUATION, payload[4:]))
                self.assertClosedWith(peer, PROTOCOL_ERROR)


class Utf8(ConformanceTest):
    """Text messages must be UTF-8, checked across fragment boundaries (Autobahn 6.x,
    RFC 6455 §8.1): invalid ones fail the connection with 1007; valid ones are read as sent
    (a ping whose id is the text gets it back in the pong)."""

    def assertEchoed(self, text, sizes_of_splits):
        payload = ping_text(text)
        for sizes in sizes_of_splits:
            with self.subTest(text=text, fragments=sizes), self.connect() as peer:
                peer.write(fragments(OP_TEXT, split(payload, sizes)))
                self.assertPong(peer, text)

    def assertFailsWith1007(self, payload, sizes_of_splits):
        for sizes in sizes_of_splits:
            with self.subTest(payload=payload, fragments=sizes), self.connect() as peer:
                peer.write(fragments(OP_TEXT, split(payload, sizes)))
                self.assertClosedWith(peer, INVALID_PAYLOAD)

    @staticmethod
    def cuts_around(payload, part):
        """Two-fragment splits at every position from just before `part` to just after it."""
        start = payload.index(part)
        return [[cut] for cut in range(start, start + len(part) + 1)]

    def test_valid_texts_are_read_as_sent(self):
        for text in VALID_TEXTS.values():
            self.assertEchoed(text, [[]])

    def test_valid_texts_split_inside_a_character_are_read_as_sent(self):
        for text in VALID_TEXTS.values():
            payload = ping_text(text)
            self.assertEchoed(text, self.cuts_around(payload, text.encode()))

    def test_a_valid_text_in_one_byte_fragments_is_read_as_sent(self):
        payload = ping_text(VALID_TEXTS["latin"])
        self.assertEchoed(VALID_TEXTS["latin"], [[1] * (len(payload) - 1)])

    def test_invalid_utf8_fails_the_connection_with_1007(self):
        for bad in INVALID_UTF8.values():
            self.assertFailsWith1007(b'{"type":"ping","id":"' + bad + b'"}', [[]])

    def test_invalid_utf8_at_the_end_of_a_message_fails_the_connection_with_1007(self):
        for name in ("ends in a 2-byte lead", "ends inside a 3-byte sequence",
                     "ends inside a 4-byte sequence"):
            self.assertFailsWith1007(KOSME + INVALID_UTF8[name], [[], [len(KOSME)]])

    def test_invalid_utf8_split_at_every_position_fails_the_connection_with_1007(self):
        for bad in INVALID_UTF8.values():
            payload = b'{"type":"ping","id":"' + bad + b'"}'
            self.assertFailsWith1007(payload, self.cuts_around(payload, bad))

    def test_invalid_utf8_in_one_byte_fragments_fails_the_connection_with_1007(self):
        payload = INVALID_UTF8["surrogate in text"]
        self.assertFailsWith1007(payload, [[1] * (len(payload) - 1)])

    def test_invalid_utf8_in_an_unfinished_message_fails_the_connection_at_once(self):
        # Autobahn 6.4.1: the first fragment is already invalid; no need to wait for the rest.
        peer = self.connect()
        peer.frame(OP_TEXT, KOSME + b"\xf4\x90\x80\x80", fin=False)
        self.assertClosedWith(peer, INVALID_PAYLOAD)

    def test_invalid_utf8_in_an_unfinished_frame_fails_the_connection_at_once(self):
        # Autobahn 6.4.3: only the start of the frame is sent, and it is already invalid.
        peer = self.connect()
        claimed = encode_frame(OP_TEXT, KOSME + b"\xf4\x90\x80\x80" + b"x" * 980)
        peer.write(claimed[:len(claimed) - 980])
        self.assertClosedWith(peer, INVALID_PAYLOAD)

    def test_invalid_utf8_in_a_binary_message_is_not_a_utf8_error(self):
        peer = self.connect()
        peer.frame(OP_BINARY, INVALID_UTF8["surrogate pair"])
        self.assertErrorFrame(peer, "BAD_FRAME")
        self.assertAlive(peer)


class Closing(ConformanceTest):
    """The close handshake (Autobahn 7.x, RFC 6455 §5.5.1, §7.4): a close is answered with a
    close (echoing a valid code) and the end of the connection; a malformed one is 1002."""

    VALID_CODES = (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999)
    INVALID_CODES = (0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999)

    def assertCloseAnswered(self, payload, *codes):
        peer = self.connect()
        peer.frame(OP_CLOSE, payload)
        self.assertClosedWith(peer, *codes)

    def test_a_close_without_a_body_is_answered_with_a_close(self):
        # §5.5.1 leaves the answer's body open: none, or 1000.
        self.assertCloseAnswered(b"", None, 1000)

    def test_a_close_with_a_1_byte_body_fails_the_connection_with_1002(self):
        self.assertCloseAnswered(b"\x03", PROTOCOL_ERROR)

    def test_a_valid_code_is_echoed(self):
        for code in self.VALID_CODES:
            with self.subTest(code=code):
                self.assertCloseAnswered(close_payload(code), code)

    def test_a_valid_code_with_a_reason_is_echoed(self):
        for reason in (b"bye", "Hello-µ@ßöäüàá-UTF-8!!".encode(), b"*" * 123):
            with self.subTest(reason_bytes=len(reason)):
                self.assertCloseAnswered(close_payload(1000, reason), 1000)

    def test_a_close_body_of_126_bytes_fails_the_connection_with_1002(self):
        self.assertCloseAnswered(close_payload(1000, b"*" * 124), PROTOCOL_ERROR)

    def test_an_invalid_code_fails_the_connection_with_1002(self):
        for code in self.INVALID_CODES:
            with self.subTest(code=code):
                self.assertCloseAnswered(close_payload(code), PROTOCOL_ERROR)

    def test_a_code_above_4999_is_echoed_or_fails_the_connection(self):
        # RFC 6455 §7.4.2 defines no code above 4999 and says nothing of what to do with one;
        # Autobahn (7.13.x) only reports the answer. Beast, which reads our close frames, takes
        # them for application codes and echoes them; failing with 1002 would do as well.
        for code in (5000, 65535):
            with self.subTest(code=code):
                self.assertCloseAnswered(close_payload(code), code, PROTOCOL_ERROR)

    def test_a_reason_in_invalid_utf8_fails_the_connection(self):
        # §5.5.1, §8.1: the reason is UTF-8, so the connection fails. 1007 names the cause;
        # Beast answers every bad close body with 1002, which Autobahn (7.5.1) accepts too.
        self.assertCloseAnswered(close_payload(1000, KOSME + b"\xed\xa0\x80edited"),
                                 INVALID_PAYLOAD, PROTOCOL_ERROR)

    def test_frames_after_a_close_are_ignored(self):
        # §1.4, §5.5.1: after the peer's close, its data is not processed; only the close is
        # answered.
        for name, after in (("text", encode_frame(OP_TEXT, ping_text("after"))),
                            ("ping", encode_frame(OP_PING, b"after")),
                            ("second close", encode_frame(OP_CLOSE, close_payload(1001))),
                            ("reserved opcode", encode_frame(0x3, b""))):
            with self.subTest(after=name), self.connect() as peer:
                peer.write(encode_frame(OP_CLOSE, close_payload(1000)) + after)
                self.assertClosedWith(peer, 1000)

    def test_a_close_between_fragments_ends_the_message_unread(self):
        peer = self.connect()
        first, second = split(ping_text("cut"), [10])
        peer.write(encode_frame(OP_TEXT, first, fin=False) +
                   encode_frame(OP_CLOSE, close_payload(1000)) +
                   encode_frame(OP_CONTINUATION, second))
        self.assertClosedWith(peer, 1000)

    def test_a_message_before_a_close_is_answered_first(self):
        peer = self.connect()
        peer.write(encode_frame(OP_TEXT, ping_text("first")) +
                   encode_frame(OP_CLOSE, close_payload(1000)))
        self.assertPong(peer, "first")
        self.assertClosedWith(peer, 1000)


class SizeLimits(ConformanceTest):
    """Messages at and over the server's limit (Autobahn 9.x, scaled to the limit; RFC 6455
    §7.4.1, 1009): at it, in any fragments and pieces, they are read; over it, the connection
    fails with 1009, even when a header claims 2^63 bytes or more (§5.2 allows only up to
    2^63-1, so 1002 is right there too)."""
    extra_args = ("--frames-per-second-per-socket", "10000")

    def limit(self, peer):
        return peer.ready["limits"]["max_frame_bytes"]

    def test_a_message_at_the_limit_is_read_in_fragments_of_any_size(self):
        for size in (64, 256, 1024, 4096, 65536):
            with self.subTest(fragment_bytes=size), self.connect() as peer:
                payload = ping_text(f"f{size}", self.limit(peer))
                peer.write(fragments(OP_TEXT, split(payload, [size] * (len(payload) // size))))
                self.assertPong(peer, f"f{size}")

    def test_a_message_at_the_limit_is_read_in_written_pieces_of_any_size(self):
        for size in (64, 256, 1024, 4096):
            with self.subTest(piece_bytes=size), self.connect() as peer:
                payload = ping_text(f"p{size}", self.limit(peer))
                peer.write(encode_frame(OP_TEXT, payload), piece=size)
                self.assertPong(peer, f"p{size}")

    def test_many_messages_in_a_row_are_each_answered(self):
        peer = self.connect()
        peer.write(b"".join(encode_frame(OP_TEXT, ping_text(f"m{i}", 1000))
                            for i in range(500)))
        for i in range(500):
            self.assertPong(peer, f"m{i}")

    def test_a_frame_one_byte_over_the_limit_fails_the_connection_with_1009(self):
        peer = self.connect()
        peer.frame(OP_TEXT, ping_text("over", self.limit(peer) + 1))
        self.assertClosedWith(peer, TOO_BIG)

    def test_a_header_claiming_one_byte_over_the_limit_fails_at_once_with_1009(self):
        peer = self.connect()
        peer.write(encode_frame(OP_TEXT, b"", length=self.limit(peer) + 1))
        self.assertClosedWith(peer, TOO_BIG)

    def test_fragments_adding_up_to_one_byte_over_the_limit_fail_with_1009(self):
        peer = self.connect()
        payload = ping_text("over", self.limit(peer) + 1)
        peer.write(fragments(OP_TEXT, split(payload, [len(payload) // 2])))
        self.assertClosedWith(peer, TOO_BIG)

    def test_a_binary_frame_over_the_limit_fails_with_1009(self):
        peer = self.connect()
        peer.frame(OP_BINARY, b"\xff" * (self.limit(peer) + 1))
        self.assertClosedWith(peer, TOO_BIG)

    def test_a_header_claiming_2_to_the_63_or_more_bytes_fails_with_1009_or_1002(self):
        for claimed in (2 ** 63, 2 ** 64 - 1):
            rss_before = server_rss_bytes(self.server.process.pid)
            with self.subTest(claimed=claimed), self.connect() as peer:
                peer.write(encode_frame(OP_TEXT, b'{"type":"ping"}', length=claimed))
                self.assertClosedWith(peer, TOO_BIG, PROTOCOL_ERROR)
                self.assertIsNone(self.server.process.poll(), "the server died")
                growth = server_rss_bytes(self.server.process.pid) - rss_before
                self.assertLess(growth, 16 * 1024 * 1024)
                self.assertAlive(self.connect())


if __name__ == "__main__":
    unittest.main()
