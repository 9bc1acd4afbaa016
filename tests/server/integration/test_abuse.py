"""The abuse battery: what a hostile client can do to a running `palaver`, one test class per
attack. Ping floods (PingFlood, PongBacklog), never-reading clients asking for big answers
(BigAnswers), frame floods before and after login and the log volume they cause (FrameFlood,
LogFlood), message/cancel/regenerate loops against a slow agent (ReplyLoops) and a flood of new
visitors (NewVisitorsFlood).

Each test runs its attack bounded in count and time, all on loopback, and asserts what a user
or an operator would notice: the server's peak memory (VmHWM of its process, from /proc) stays
under a stated bound while the attack runs, and a well-behaved visitor who connects during the
attack still gets the first delta of its reply within FIRST_DELTA_BOUND. Each prints its
figures in one line starting with "abuse:" for the results table.

This module owns the attacks and those two measurements. The limits' everyday behaviour (one
slow reader, one oversized frame, a request over the header limit) is test_transport's and
test_chat's. Attackers speak WebSocket by hand (test_transport.RawWebSocket), so they can
stop reading; the well-behaved visitor is python3-websockets (test_chat.Client).
Run with /usr/bin/python3, as test_chat:
    PALAVER_BINARY=build/server/palaver /usr/bin/python3 -m unittest -v test_abuse
"""

import asyncio
import http.client
import json
import os
import select
import socket
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import websockets

import test_chat
from test_chat import API_KEY, TIMEOUT, Client, FakeUpstream, FakeUpstreamHandler, ServerTest
from test_transport import OP_CLOSE, OP_PING, OP_TEXT, RawWebSocket, encode_frame

KiB, MiB = 1024, 1024 * 1024

# A well-behaved visitor's first delta, counted from the start of its connect: the handshake,
# auth, its message stored and the agent's first word. About 40 ms on an idle server here; 2 s
# is about where a person stops reading the wait as "it is answering". An attack that costs a
# bystander more than that has made the chat unusable, even if the server stays up.
FIRST_DELTA_BOUND = 2.0
# Set by tests/sanitized_ctest.cmake when the server is built with ASan + UBSan.
SANITIZED = bool(os.environ.get("PALAVER_SANITIZED"))

# How long the well-behaved visitor waits at most, so a starved one is measured, not only
# failed.
WELL_BEHAVED_PATIENCE = 30.0

# The server's defaults that the attacks run into (docs/configuration.md §5).
FRAMES_PER_SECOND = 50
OUTGOING_QUEUE_BYTES = 1 * MiB
MAX_CONNECTIONS_PER_ADDRESS = 256
MESSAGES_PER_MINUTE_PER_SOCKET = 20
MESSAGES_PER_MINUTE_PER_IDENTITY = 60
NEW_VISITORS_PER_MINUTE_PER_ADDRESS = 30
MAX_PAGE_BYTES = 256 * KiB  # a history frame's or a REST page's messages (protocol.md §3)

# Memory bounds: how far the server's peak resident set may rise above what it was just before
# the attack. The server starts at about 11 MiB and serving one visitor adds about 1 MiB.
#
# Attacks the server turns away cheaply: sockets cut off by the frame rate or dropped at
# OUTGOING_QUEUE_BYTES (1 MiB), one or a few at a time, and requests refused before they cost
# anything. Measured, they add 0.5 to 3 MiB; 16 MiB leaves room for another allocator or libc,
# and for SQLite's page cache (2 MiB at most). Before the fix, one ping-flooding socket grew
# the server by 450 MB in 9 s: 28 times this bound.
SMALL_ATTACK_GROWTH = 16 * MiB
# REST pages held for MAX_CONNECTIONS_PER_ADDRESS clients that never read: each holds one page
# of at most MAX_PAGE_BYTES of messages (plus a few KB of JSON around them) until its write
# times out; twice that for the copies a page passes through, plus SMALL_ATTACK_GROWTH. Before
# the fix a page was 200 messages of 32 KiB, 6.4 MB, and 256 of them 1.6 GB.
HELD_PAGES_GROWTH = MAX_CONNECTIONS_PER_ADDRESS * 2 * MAX_PAGE_BYTES + SMALL_ATTACK_GROWTH
# Never-reading WebSockets asking for history: each capped at OUTGOING_QUEUE_BYTES plus the
# page being written when it is dropped, plus SMALL_ATTACK_GROWTH.
def queued_sockets_growth(sockets):
    return sockets * (OUTGOING_QUEUE_BYTES + MAX_PAGE_BYTES) + SMALL_ATTACK_GROWTH

# A socket that floods is cut off after about 2 × FRAMES_PER_SECOND frames, which take a few
# milliseconds to arrive: a second is ample, and a server that does not cut it off fails it.
CUT_OFF_WITHIN = 1.0

# How long a never-reading socket may go on asking for history pages before the test calls it
# kept: it is dropped once the kernel's send buffer (up to 4 MiB) and its queue (1 MiB) are
# full, some 20 pages, which the store serves at some 15 pages a second shared by the sockets.
HISTORY_PATIENCE = 20.0


# The log at its default level (info) during a flood from a client: a client's mistakes and
# its refused frames are logged at debug only, so nothing; two lines of slack for anything
# unrelated. Logged per refused frame, a single flood would add about a hundred.
FLOOD_LOG_LINES = 2
# The log limiter (server/src/log.cpp): after a burst of LOG_BURST lines, LOG_LINES_PER_SECOND;
# each line that follows lines left out is preceded by one "left out" notice.
LOG_BURST, LOG_LINES_PER_SECOND = 1000, 100

# A second loopback address (Linux routes all of 127/8 to lo): attackers that fill one
# address's connection slots connect from it, so the well-behaved visitor on 127.0.0.1 is a
# different client, as it would be on the Internet.
ATTACKER_ADDRESS = "127.0.0.2"


class Memory:
    """The resident set of a process, from /proc/<pid>/status: now (VmRSS) and its peak (VmHWM,
    kept by the kernel, so no spike between two reads is missed)."""

    def __init__(self, pid):
        self.pid = pid

    def read(self):
        """{"VmRSS": bytes, "VmHWM": bytes}"""
        fields = {}
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name in ("VmRSS", "VmHWM"):
                    fields[name] = int(value.split()[0]) * KiB
        return fields

    def reset_peak(self):
        """Starts VmHWM afresh from VmRSS (Linux ≥ 4.0). Where that is not allowed, the peak
        counts from the process's start, which only makes a bound on it stricter."""
        try:
            with open(f"/proc/{self.pid}/clear_refs", "w") as clear_refs:
                clear_refs.write("5")
        except OSError:
            pass


class AbuseTest(ServerTest):
    """A server, its memory and log, and a well-behaved visitor. No tests of its own."""

    def setUp(self):
        super().setUp()
        self.memory = Memory(self.server.process.pid)

    def log_lines(self):
        return len(self.server.logged().splitlines())

    def attack_begins(self):
        """Call right before the attack: memory and log are measured from here."""
        self.baseline = self.memory.read()["VmRSS"]
        self.memory.reset_peak()
        self.log_before = self.log_lines()
        self.log_since = time.monotonic()

    def peak_growth(self):
        return self.memory.read()["VmHWM"] - self.baseline

    async def first_delta_seconds(self, text="hello, is anyone there?"):
        """A visitor connects, says something and waits for the first word of the answer:
        the time from the start of its connect to that delta. It waits up to
        WELL_BEHAVED_PATIENCE (then the figure is that, and fails the bound), so a starved
        visitor shows how long it starved."""
        started = time.monotonic()
        deadline = started + WELL_BEHAVED_PATIENCE
        client = await Client.connect(self.server, open_timeout=WELL_BEHAVED_PATIENCE)
        self.well_behaved = client.ready["user"]
        try:
            await self.chat(client, text, client_msg_id="well-behaved")
            while (remaining := deadline - time.monotonic()) > 0:
                try:
                    frame = json.loads(await asyncio.wait_for(client.ws.recv(), remaining))
                except asyncio.TimeoutError:
                    break
                if frame["type"] == "delta":
                    break
            return time.monotonic() - started
        finally:
            await client.close()

    async def during(self, attack, after=1.0):
        """Runs `attack` (a coroutine, or a blocking function, in a thread); `after` seconds
        into it, a well-behaved visitor connects and waits for its first delta. Returns the
        attack's result and the visitor's delay; self.met tells whether the attack was on all
        the while the visitor waited (if not, report() fails the test)."""
        running = asyncio.ensure_future(
            attack if asyncio.iscoroutine(attack) else asyncio.to_thread(attack))
        await asyncio.sleep(after)
        try:
            met = not running.done()
            delay = await self.first_delta_seconds()
            self.met = met and not running.done()
        finally:
            result = await running
        return result, delay

    def report(self, growth_bound, delay, **counts):
        """Prints the figures (before asserting, so a failing run shows them too), then
        checks the two bounds every attack shares."""
        growth = self.peak_growth()
        figures = " ".join(f"{k}={v}" for k, v in counts.items())
        print(f"\nabuse: {self.id().removeprefix('test_abuse.')}: "
              f"peak_rss={self.memory.read()['VmHWM'] / MiB:.1f}MiB "
              f"growth={growth / MiB:.1f}MiB (bound {growth_bound / MiB:.0f}) "
              f"first_delta={delay * 1000:.0f}ms (bound {FIRST_DELTA_BOUND * 1000:.0f}) "
              f"{figures} during_attack={self.met}", flush=True)
        # Under AddressSanitizer (asan.integration) freed memory waits in the sanitizer's
        # quarantine: the resident set is the sanitizer's, not the server's. The plain build's
        # run of the same test holds the server to its bound.
        if not SANITIZED:
            self.assertLess(growth, growth_bound, "the server's memory grew past its bound")
        self.assertLess(delay, FIRST_DELTA_BOUND, "a well-behaved visitor waited too long")
        self.assertTrue(self.met, "the attack was not on all the while the visitor waited")


def kernel_send_buffer_max():
    """The most a TCP socket's send buffer grows to (tcp_wmem's maximum): what the kernel holds
    for a peer that does not read, before the server's own queue starts to fill."""
    with open("/proc/sys/net/ipv4/tcp_wmem") as tcp_wmem:
        return int(tcp_wmem.read().split()[2])


def flood(sock, frame, deadline, per_second=None):
    """Sends `frame` over and over on `sock` and never reads: as fast as the socket takes it,
    or `per_second` frames a second. Until the server cuts the connection off (a reset or a
    broken pipe) or `deadline`. Returns (frames sent, whether it was cut off)."""
    block = frame * max(1, 65536 // len(frame))
    sock.setblocking(False)
    sent, started = 0, time.monotonic()
    while (now := time.monotonic()) < deadline:
        want = len(block)
        if per_second is not None:
            want = min(want, int(per_second * (now - started)) * len(frame) - sent)
            if want <= 0:
                time.sleep(0.002)
                continue
        if not select.select([], [sock], [], 0.05)[1]:
            continue
        offset = sent % len(frame)
        try:
            sent += sock.send(block[offset:offset + want])
        except (BrokenPipeError, ConnectionResetError):
            return sent // len(frame), True
    return sent // len(frame), False


def sockets_for(seconds, one_socket, pause):
    """Attacks with one socket after another for `seconds`: `one_socket()` returns its figures
    as a dict, with "cut_off" false if the server let it be. Stops at the first it lets be."""
    runs = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        runs.append(one_socket())
        if not runs[-1]["cut_off"]:
            break
        time.sleep(pause)
    return runs


# The largest ping a client may send (a control frame carries at most 125 bytes), masked once:
# the same masking key on every frame is legal, and costs the attacker nothing.
PING = encode_frame(OP_PING, b"\x55" * 125)
PONG_BYTES = 2 + 125  # the server's answer: unmasked


class PingFlood(AbuseTest):
    """WebSocket pings, as fast as the socket takes them, from a socket that never reads (a
    small receive buffer, so the pongs back up at once). Pings count against
    frames_per_second_per_socket: a socket that keeps on at twice the rate is cut off. The
    attacker reconnects and goes on for `attack_seconds`."""
    attack_seconds = 3

    async def test_pings_before_auth(self):
        await self.ping_flood(authenticate=False)

    async def test_pings_after_auth(self):
        await self.ping_flood(authenticate=True)

    def cut_off_within(self):
        return CUT_OFF_WITHIN

    async def ping_flood(self, authenticate, per_second=None):
        def one_socket():
            ws = RawWebSocket(self.server.port, receive_buffer=4096)
            if authenticate:
                ws.authenticate()
            started = time.monotonic()
            # Patience beyond the bound, so a socket cut off late is seen as late.
            pings, cut_off = flood(ws.sock, PING, started + self.cut_off_within() + 1,
                                   per_second)
            ws.close()
            return {"pings": pings, "cut_off": cut_off, "after": time.monotonic() - started}

        self.attack_begins()
        runs, delay = await self.during(
            lambda: sockets_for(self.attack_seconds, one_socket, pause=0.05))
        slowest = max(run["after"] for run in runs)
        self.report(SMALL_ATTACK_GROWTH, delay, sockets=len(runs),
                    cut_off=sum(run["cut_off"] for run in runs),
                    pings_sent_max=max(run["pings"] for run in runs),
                    pings_sent_total=sum(run["pings"] for run in runs),
                    slowest_cut_off=f"{slowest * 1000:.0f}ms",
                    cut_off_bound=f"{self.cut_off_within() * 1000:.0f}ms",
                    log_lines=self.log_lines() - self.log_before)
        self.assertTrue(all(run["cut_off"] for run in runs), "a flooding socket was let be")
        self.assertLess(slowest, self.cut_off_within())
        return runs


class PongBacklog(PingFlood):
    """The same, with frames_per_second_per_socket raised to 10000 and the pings sent at 8000 a
    second: never over the frame rate, so only outgoing_queue_bytes stands between the pongs
    nobody reads and the server's memory. Past it the socket is dropped ("too far behind")."""
    extra_args = ("--frames-per-second-per-socket", "10000")
    pings_per_second = 8000

    async def test_pings_before_auth(self):
        await self.pongs_pile_up(authenticate=False)

    async def test_pings_after_auth(self):
        await self.pongs_pile_up(authenticate=True)

    def cut_off_within(self):
        # The pongs fill the kernel's send buffer first (it grows up to tcp_wmem's maximum,
        # 4 MiB by default), then the server's queue: at 8000 pongs a second that takes some
        # 5 s, plus a second of slack. A queue without a cap is never dropped.
        return ((kernel_send_buffer_max() + OUTGOING_QUEUE_BYTES) /
                (self.pings_per_second * PONG_BYTES) + 1.0)

    async def pongs_pile_up(self, authenticate):
        runs = await self.ping_flood(authenticate, per_second=self.pings_per_second)
        self.assertEqual(self.server.logged().count("too far behind"), len(runs))


# A small, valid frame, masked once. Before auth it is answered AUTH_REQUIRED, after it pong.
TEXT_PING = encode_frame(OP_TEXT, b'{"type":"ping"}')
FLOOD_FRAMES = 30_000


def frame_flood(port, authenticate):
    """One socket sends FLOOD_FRAMES small text frames in one go, and reads what comes back
    (a thread sends while this one reads) until the server's close frame, and lets the sending
    finish (the server reads and discards until its close is answered, or 5 s) before it
    hangs up. Returns its figures:
    answers (within the rate), rate_limited, the close code and reason, and how long after
    the first frame the close came."""
    ws = RawWebSocket(port)
    if authenticate:
        ws.authenticate()
    started = time.monotonic()

    figures = {"answers": 0, "rate_limited": 0, "code": None, "reason": None,
               "after": None, "cut_off": False, "sent": 0}

    def send():
        try:
            ws.sock.sendall(TEXT_PING * FLOOD_FRAMES)
            figures["sent"] = FLOOD_FRAMES
        except OSError:  # the server hung up, or this side shut the socket down
            pass

    sender = threading.Thread(target=send)
    sender.start()
    try:
        while True:
            opcode, payload = ws.read()
            if opcode == OP_TEXT:
                frame = json.loads(payload)
                kind = "rate_limited" if frame.get("code") == "RATE_LIMITED" else "answers"
                figures[kind] += 1
            elif opcode == OP_CLOSE:
                figures["code"] = struct.unpack("!H", payload[:2])[0]
                figures["reason"] = payload[2:].decode()
                break
    except (EOFError, ConnectionResetError, socket.timeout):
        pass
    figures["after"] = time.monotonic() - started
    figures["cut_off"] = figures["code"] is not None
    sender.join(TIMEOUT)  # the server reads on, discarding, while its close is answered
    try:
        ws.sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sender.join()
    ws.close()
    return figures


class FrameFlood(AbuseTest):
    """FLOOD_FRAMES small text frames at once, from an unauthenticated socket and from an
    authenticated one, again and again for `attack_seconds`. The first FRAMES_PER_SECOND are
    answered, the first refused one gets RATE_LIMITED (one for the whole run of refused
    frames), and at twice the rate the socket is closed with 1008 "too many frames". At the
    default log level none of it reaches the log."""
    attack_seconds = 3

    async def test_frames_before_auth(self):
        await self.frame_flood(authenticate=False)

    async def test_frames_after_auth(self):
        await self.frame_flood(authenticate=True)

    async def frame_flood(self, authenticate):
        self.attack_begins()
        runs, delay = await self.during(lambda: sockets_for(
            self.attack_seconds, lambda: frame_flood(self.server.port, authenticate), pause=0.1))
        log_lines = self.log_lines() - self.log_before
        slowest = max(run["after"] for run in runs)
        self.report(SMALL_ATTACK_GROWTH, delay, sockets=len(runs),
                    sockets_that_sent_all=sum(run["sent"] == FLOOD_FRAMES for run in runs),
                    answered_max=max(run["answers"] for run in runs),
                    rate_limited_max=max(run["rate_limited"] for run in runs),
                    closes=sorted({(run["code"], run["reason"]) for run in runs}),
                    slowest_close=f"{slowest * 1000:.0f}ms",
                    log_lines=f"{log_lines} (bound {FLOOD_LOG_LINES})")
        for run in runs:
            self.assertEqual((run["code"], run["reason"]), (1008, "too many frames"))
            self.assertEqual(run["rate_limited"], 1, "one RATE_LIMITED for a run of refused")
            self.assertLessEqual(run["answers"], FRAMES_PER_SECOND)
        self.assertLess(slowest, CUT_OFF_WITHIN)
        self.assertLessEqual(log_lines, FLOOD_LOG_LINES)


class LogFlood(AbuseTest):
    """At --log-level debug every error frame the server sends is logged, so a flood of frames
    before auth (AUTH_REQUIRED for each within the rate, RATE_LIMITED for the rest) becomes a
    flood of log lines, from many sockets one after another. The log limiter holds the log to
    LOG_BURST lines, then LOG_LINES_PER_SECOND (each after a gap with its "left out" notice)."""
    extra_args = ("--log-level", "debug")
    attack_seconds = 3

    async def test_a_frame_flood_at_debug_level_is_held_to_the_log_budget(self):
        self.attack_begins()
        runs, delay = await self.during(lambda: sockets_for(
            self.attack_seconds, lambda: frame_flood(self.server.port, False), pause=0.02))
        logged = self.server.logged().splitlines()[self.log_before:]
        elapsed = time.monotonic() - self.log_since
        # Every line written since the count began: at most the burst, then the rate, each of
        # those with a notice.
        bound = LOG_BURST + 2 * LOG_LINES_PER_SECOND * elapsed + 1
        events = sum(run["answers"] + run["rate_limited"] for run in runs)
        self.report(SMALL_ATTACK_GROWTH, delay, sockets=len(runs), errors_sent=events,
                    log_lines=f"{len(logged)} (bound {bound:.0f} in {elapsed:.1f}s)",
                    notices=sum("log lines left out" in line for line in logged))
        self.assertTrue(all(run["cut_off"] for run in runs))
        # Unlimited, each of them would be a line: the flood must be big enough to tell.
        self.assertGreater(events, bound, "the flood was too small to test the limiter")
        self.assertLessEqual(len(logged), bound)
        self.assertTrue(any("log lines left out" in line for line in logged))


def peek(sock):
    """What a connection this side never reads has had from the server so far: "answered"
    (its first bytes, left unread), "closed" (an end or a reset with nothing before it) or
    "waiting". Without waiting: `sock` is non-blocking."""
    try:
        data = sock.recv(16, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return "waiting", b""
    except ConnectionResetError:
        return "closed", b""
    return ("answered" if data else "closed"), data


class BigAnswers(AbuseTest):
    """Clients that ask for the largest answers there are and never read them: a conversation
    of 200 messages of 32 KiB (6.4 MB), paged with limit=200. A page now carries at most
    MAX_PAGE_BYTES of messages; REST connections from one address are capped at
    MAX_CONNECTIONS_PER_ADDRESS (those past it are closed at once, unanswered); a WebSocket
    that lets more than OUTGOING_QUEUE_BYTES pile up is dropped."""
    messages, message_bytes = 200, 32 * KiB
    rest_connections = 300
    # Pages are read one at a time per conversation (the hub queues the rest), some 15 a
    # second here, and a socket takes some 20 pages (the kernel's buffers, then the queue)
    # before it is dropped: 4 sockets, each asking more often than it is served.
    history_sockets, histories_per_second = 4, 10
    hold_seconds = 3
    extra_config = test_chat.RestApi.extra_config  # the site backend's API key
    call = test_chat.RestApi.call

    def setUp(self):
        super().setUp()
        # The conversation is a visitor's; the site backend fills it with operator messages
        # (they start no reply and are not rate limited).
        self.token = test_chat.RestApi.visitor(self)
        status, conversation = self.call("POST", "/api/v1/conversations", self.token)
        self.assertEqual(status, 201)
        self.conversation_id = conversation["id"]
        path = f"/api/v1/conversations/{self.conversation_id}/messages"

        def post(i):
            text = f"{i:04d} " + "lorem ipsum " * (self.message_bytes // 12)
            status, _ = self.call("POST", path, API_KEY, {
                "client_msg_id": f"op-{i}", "text": text[:self.message_bytes], "author": "Ana"})
            return status

        with ThreadPoolExecutor(4) as pool:
            self.assertEqual(set(pool.map(post, range(self.messages))), {201})
        self.page_path = path + f"?limit={self.messages}"
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=TIMEOUT)
        connection.request("GET", self.page_path, headers={"Authorization": f"Bearer {self.token}"})
        page = connection.getresponse().read()
        connection.close()
        self.page_bytes, self.page_messages = len(page), len(json.loads(page)["messages"])

    async def test_rest_pages_asked_for_and_never_read(self):
        request = (f"GET {self.page_path} HTTP/1.1\r\nHost: 127.0.0.1:{self.server.port}\r\n"
                   f"Authorization: Bearer {self.token}\r\n\r\n").encode()

        def attack():
            held = []
            try:
                for _ in range(self.rest_connections):
                    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    held.append(sock)
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                    sock.bind((ATTACKER_ADDRESS, 0))
                    sock.settimeout(TIMEOUT)
                    sock.connect(("127.0.0.1", self.server.port))
                    try:
                        sock.sendall(request)
                    except (BrokenPipeError, ConnectionResetError):
                        pass  # refused already
                    sock.setblocking(False)  # peek() must not wait
                # Every connection answered or refused; then held, unread, a while longer.
                started = time.monotonic()
                while any(peek(sock)[0] == "waiting" for sock in held):
                    if time.monotonic() - started > 2 * TIMEOUT:
                        break
                    time.sleep(0.1)
                settled = time.monotonic() - started
                time.sleep(self.hold_seconds)
                states = [peek(sock) for sock in held]
                return states, settled
            finally:
                for sock in held:
                    sock.close()

        self.attack_begins()
        (states, settled), delay = await self.during(attack)
        answered = [data for state, data in states if state == "answered"]
        refused = sum(state == "closed" for state, _ in states)
        waiting = sum(state == "waiting" for state, _ in states)
        self.report(HELD_PAGES_GROWTH, delay, page_bytes=self.page_bytes,
                    page_messages=self.page_messages, connections=self.rest_connections,
                    answered=len(answered), refused=refused, waiting=waiting,
                    all_answered_after=f"{settled * 1000:.0f}ms")
        self.assertLessEqual(self.page_bytes, MAX_PAGE_BYTES + 16 * KiB)
        self.assertEqual(len(answered), MAX_CONNECTIONS_PER_ADDRESS)
        self.assertTrue(all(data.startswith(b"HTTP/1.1 200 ") for data in answered))
        self.assertEqual(refused, self.rest_connections - MAX_CONNECTIONS_PER_ADDRESS)

    async def test_history_asked_for_and_never_read(self):
        frame = encode_frame(OP_TEXT, json.dumps({
            "type": "history", "conversation_id": self.conversation_id,
            "limit": self.messages}).encode())

        def attack():
            """history_sockets sockets of the visitor ask for a page each,
            histories_per_second times a second, never reading, until each is dropped or
            HISTORY_PATIENCE is over."""
            live = []
            for _ in range(self.history_sockets):
                ws = RawWebSocket(self.server.port, receive_buffer=4096)
                ws.authenticate(self.token)
                live.append({"ws": ws, "asked": 0})
            dropped, kept = [], []
            started = time.monotonic()
            while live:
                for one in list(live):
                    try:
                        one["ws"].sock.sendall(frame)
                        one["asked"] += 1
                        if time.monotonic() - started < HISTORY_PATIENCE:
                            continue
                        kept.append(one["asked"])  # never dropped: the test fails on it
                    except (BrokenPipeError, ConnectionResetError):
                        dropped.append((time.monotonic() - started, one["asked"]))
                    live.remove(one)
                    one["ws"].close()
                time.sleep(1 / self.histories_per_second)
            return dropped, kept

        self.attack_begins()
        (dropped, kept), delay = await self.during(attack)
        logged = self.server.logged().count("too far behind")
        self.report(queued_sockets_growth(self.history_sockets), delay,
                    page_bytes=self.page_bytes, page_messages=self.page_messages,
                    sockets=len(dropped) + len(kept), dropped=len(dropped), kept=len(kept),
                    too_far_behind_logged=logged,
                    slowest_drop=f"{max((t for t, _ in dropped), default=0) * 1000:.0f}ms",
                    pages_asked_max=max((n for _, n in dropped), default=0))
        self.assertEqual(kept, [], "a socket that never read was kept")
        self.assertEqual(logged, len(dropped))


class SlowUpstreamHandler(FakeUpstreamHandler):
    """An OpenAI-compatible model that answers slowly: its first word at once, then one every
    0.2 s for 10 s, unless the server hangs up first (a cancel closes the upstream request)."""

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append((self.path, dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            for i in range(50):
                chunk = {"choices": [{"delta": {"content": f"word{i} "}, "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
                time.sleep(0.2)
            end = {"choices": [{"delta": {}, "finish_reason": "stop"}]}
            self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
            self.wfile.flush()
        except OSError:
            pass  # the server hung up: the reply was cancelled
        self.close_connection = True


async def read_all(client):
    """Reads everything that comes to `client` into client.frames, until it closes."""
    while True:
        try:
            await client.recv()
        except asyncio.TimeoutError:
            continue
        except websockets.ConnectionClosed:
            return


class ReplyLoops(AbuseTest):
    """A visitor sends message, cancel and regenerate in a loop for `loop_seconds`, against a
    slow model: each message and each regenerate would start an upstream request (a paid LLM
    call). Every frame that starts a reply goes through one admission, per socket and per
    identity, and past it gets RATE_LIMITED: the upstream sees at most
    MESSAGES_PER_MINUTE_PER_SOCKET requests from one socket, and
    MESSAGES_PER_MINUTE_PER_IDENTITY from all of one visitor's sockets."""
    loop_seconds = 8

    def extra_config(self):
        self.upstream = FakeUpstream()
        self.upstream.RequestHandlerClass = SlowUpstreamHandler  # read at every request
        return ('[[agent]]\nname = "gpt"\nkind = "openai"\n'
                f'base_url = "http://127.0.0.1:{self.upstream.server_address[1]}/v1"\n'
                'model = "test-model"\n'
                '[[site]]\nid = "default"\ndefault_agent = "gpt"\n')

    def tearDown(self):
        super().tearDown()
        self.upstream.stop()

    async def test_one_socket(self):
        await self.reply_loops(sockets=1, bound=MESSAGES_PER_MINUTE_PER_SOCKET)

    async def test_several_sockets_of_one_visitor(self):
        # 5 sockets could start 5 × 20 replies a minute; the visitor may start 60.
        await self.reply_loops(sockets=5, bound=MESSAGES_PER_MINUTE_PER_IDENTITY)

    async def loop(self, client, name):
        """message + cancel + regenerate ten times a second: 30 frames a second, under the
        frame rate, so only the messages-per-minute admission refuses them. Returns the
        frames sent that would start a reply."""
        await self.chat(client, f"tell me a long story ({name})", client_msg_id=f"{name}-0")
        conversation_id = (await client.until("conversation"))["conversation"]["id"]
        reader = asyncio.ensure_future(read_all(client))
        starts = 1
        deadline = time.monotonic() + self.loop_seconds
        for i in range(1, 10**6):
            if time.monotonic() >= deadline:
                break
            await self.chat(client, f"go on ({name})", conversation_id, f"{name}-{i}")
            await client.send({"type": "cancel", "conversation_id": conversation_id})
            starts += 1
            replies = [f["message_id"] for f in client.frames if f["type"] == "delta"]
            if replies:
                await client.send({"type": "regenerate", "message_id": replies[-1]})
                starts += 1
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # what was admitted last reaches the upstream
        reader.cancel()
        await client.close()
        return starts

    async def reply_loops(self, sockets, bound):
        first = await Client.connect(self.server)
        clients = [first] + [await Client.connect(self.server, token=first.ready["token"])
                             for _ in range(sockets - 1)]

        async def attack():
            return await asyncio.gather(*(self.loop(c, f"socket{k}")
                                          for k, c in enumerate(clients)))

        self.attack_begins()
        starts, delay = await self.during(attack())
        started = [body["messages"][-1]["content"] for _, _, body in self.upstream.requests]
        per_socket = [sum(f"(socket{k})" in text for text in started) for k in range(sockets)]
        refused = [sum(f["type"] == "error" and f["code"] == "RATE_LIMITED" for f in c.frames)
                   for c in clients]
        _, metrics = self.get("/metrics")
        finished = sum(float(line.split()[-1]) for line in metrics.decode().splitlines()
                       if line.startswith("palaver_replies_total{"))
        self.report(SMALL_ATTACK_GROWTH, delay, sockets=sockets,
                    reply_frames_sent=sum(starts), rate_limited=sum(refused),
                    upstream_requests=f"{sum(per_socket)} (bound {bound})",
                    per_socket=per_socket, replies_finished_metric=int(finished))
        self.assertGreater(sum(starts), bound, "the loop did not ask for more than the bound")
        self.assertLessEqual(sum(per_socket), bound)
        self.assertTrue(all(n <= MESSAGES_PER_MINUTE_PER_SOCKET for n in per_socket))
        self.assertTrue(all(refused), "each socket was refused with RATE_LIMITED")


class NewVisitorsFlood(AbuseTest):
    """POST /api/v1/visitors in a loop from one address, 100 a second for `attack_seconds`:
    after NEW_VISITORS_PER_MINUTE_PER_ADDRESS it answers 429 RATE_LIMITED; and the visitors it
    did create, having never sent a message, cost the database nothing."""
    attack_seconds, per_second = 2.5, 100

    async def test_new_visitors_from_one_address(self):
        def attack():
            answers = []
            connection = http.client.HTTPConnection("127.0.0.1", self.server.port,
                                                    timeout=TIMEOUT)
            started = time.monotonic()
            while (elapsed := time.monotonic() - started) < self.attack_seconds:
                connection.request("POST", "/api/v1/visitors")
                response = connection.getresponse()
                body = json.loads(response.read())
                answers.append((response.status, body.get("code")))
                time.sleep(max(0, len(answers) / self.per_second - elapsed))
            connection.close()
            return answers, time.monotonic() - started

        self.attack_begins()
        (answers, elapsed), delay = await self.during(attack)
        created = sum(status == 201 for status, _ in answers)
        # The bucket refills at the same rate per minute: a few more may come in meanwhile.
        bound = NEW_VISITORS_PER_MINUTE_PER_ADDRESS * (1 + elapsed / 60)
        # Rows appear once the store commits; the well-behaved visitor's message is committed
        # after anything the flood could have written, so its row shows the flood's would too.
        rows = await self.stored_rows("SELECT id FROM visitors")
        self.report(SMALL_ATTACK_GROWTH, delay, requests=len(answers),
                    created=f"{created} (bound {bound:.0f})",
                    refused_429=sum(status == 429 for status, _ in answers),
                    visitor_rows=len(rows))
        self.assertEqual(answers[:NEW_VISITORS_PER_MINUTE_PER_ADDRESS],
                         [(201, None)] * NEW_VISITORS_PER_MINUTE_PER_ADDRESS)
        self.assertEqual(answers[NEW_VISITORS_PER_MINUTE_PER_ADDRESS], (429, "RATE_LIMITED"))
        self.assertLessEqual(created, bound)
        self.assertEqual({a for a in answers if a[0] != 201}, {(429, "RATE_LIMITED")})
        self.assertEqual(rows, [(self.well_behaved["id"],)], "only the visitor who spoke")


if __name__ == "__main__":
    import unittest
    unittest.main()
