"""A fault battery for the real `palaver` binary: SIGKILL at random moments while visitors chat,
a database on a full disk, and an LLM endpoint that fails in the ways real ones do.

Each class starts its own servers (test_chat.Server) on ephemeral ports with their own SQLite
files, bounded in time, and stops them. DiskFull needs root (it mounts a tmpfs in a private
mount namespace of the server's own) and is skipped without it.
Run with /usr/bin/python3 (Debian's Python, where python3-websockets is installed):
    PALAVER_BINARY=build/server/palaver /usr/bin/python3 -m unittest -v test_faults
"""

import asyncio
import errno
import http.client
import json
import os
import random
import select
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
import unittest

import websockets

from test_chat import (BINARY, TIMEOUT, Client, FakeUpstream, FakeUpstreamHandler, Server,
                       ServerTest, reply_of)


def reply_text(frames):
    """test_chat.reply_of over the frames that carry a reply (it reads no `error` frame)."""
    return reply_of([f for f in frames if f["type"] in ("message", "delta", "done")])


def prefix_related(a, b):
    return a.startswith(b) or b.startswith(a)


# ---- 1. SIGKILL at random moments ----------------------------------------------------------

WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november "
         "oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu "
         "été naïve façade 漢字 ünïcödé").split()
STATUS_AFTER = {"stop": "complete", "length": "complete", "cancelled": "cancelled",
                "error": "error", "interrupted": "interrupted"}


class Chatter:
    """One visitor that chats through a server killed under it: it reconnects to wherever the
    server is now, resumes every conversation with `subscribe` + `last_seq`, resends what was
    not acknowledged, and holds a transcript by the protocol's rules (§5 `message`, §8 Resume).
    Everything it saw is kept for the final comparison with the database."""

    def __init__(self, name, rng, harness):
        self.name, self.rng, self.harness = name, rng, harness
        self.token = None
        self.conversations = {}  # id -> the highest seq seen in it
        self.current = None      # where new messages go
        self.pending = {}        # client_msg_id -> the frame, sent and not acknowledged yet
        self.sent = []           # every client_msg_id ever sent
        self.acked = {}          # client_msg_id -> message_id
        self.transcript = {}     # message id -> {"text", "status", "seq", "role"}
        self.cut = {}            # reply id -> the text held when a kill cut it mid-stream
        self.cut_at = {}         # reply id -> (when the kill came, [(when, length) per delta])
        self.cut_empty = set()   # replies cut before the visitor saw their first delta
        self.resolved = {}       # reply id -> (text held, the stored copy's text, its status)
        self.given_up = set()    # cut replies no resume brought back
        self.violations = []
        self.errors = []
        self.unknown_deltas = 0
        self.count = 0
        self.resends = 0
        self.connections = 0
        self.idle_until = 0

    def violation(self, what):
        self.violations.append(f"{self.name}: {what}")

    # ---- what the visitor holds ----

    def seen(self, conversation_id, seq):
        if conversation_id:
            self.conversations[conversation_id] = max(self.conversations.get(conversation_id, 0),
                                                      seq or 0)

    def take_message(self, m):
        held = self.transcript.get(m["id"])
        if m["role"] == "assistant" and m["id"] in self.cut and m["id"] not in self.resolved \
                and m["status"] != "streaming" and held is not None:
            # The stored copy of a reply a kill cut: the client keeps its longer text only when
            # the copy is a strict prefix of it, so the copy must be a prefix, or longer.
            self.resolved[m["id"]] = (held["text"], m["text"], m["status"])
            if not prefix_related(held["text"], m["text"]):
                self.violation(f"reply {m['id']}: the stored copy {m['text']!r} and the text held "
                               f"{held['text']!r} are not prefixes of one another")
        if held is not None and m["status"] != "streaming" and len(m["text"]) < len(held["text"]) \
                and held["text"].startswith(m["text"]):
            text = held["text"]  # §8: a finished copy never shortens what the visitor reads
        else:
            text = m["text"]
        if held is not None and len(text) < len(held["text"]):
            self.violation(f"message {m['id']}: the text held shrank from {len(held['text'])} to "
                           f"{len(text)} characters")
        self.transcript[m["id"]] = {"text": text, "status": m["status"], "seq": m["seq"],
                                    "role": m["role"]}

    def take(self, f):
        kind = f["type"]
        if kind == "ack":
            cmid = f["client_msg_id"]
            if cmid in self.acked and self.acked[cmid] != f["message_id"]:
                self.violation(f"{cmid} acknowledged as {self.acked[cmid]} and {f['message_id']}")
            self.acked[cmid] = f["message_id"]
            frame = self.pending.pop(cmid, None)
            if frame is not None and "conversation_id" not in frame:
                self.current = f["conversation_id"]
            self.seen(f["conversation_id"], f["seq"])
        elif kind == "conversation":
            self.seen(f["conversation"]["id"], f["conversation"]["last_seq"])
        elif kind == "message":
            self.seen(f["message"]["conversation_id"], f["message"]["seq"])
            self.take_message(f["message"])
        elif kind == "history":
            for m in f["messages"]:
                self.take_message(m)
            self.seen(f["conversation_id"], f["last_seq"])
        elif kind == "delta":
            self.seen(f["conversation_id"], f["seq"])
            m = self.transcript.get(f["message_id"])
            if m is None:
                self.unknown_deltas += 1
            elif f["seq"] > m["seq"]:
                if not m["text"]:
                    self.harness.first_delta.set()
                m["text"] += f["text"]
                m["seq"] = f["seq"]
                m.setdefault("arrivals", []).append((time.monotonic(), len(m["text"])))
        elif kind == "done":
            self.seen(f["conversation_id"], f["seq"])
            m = self.transcript.setdefault(f["message_id"], {"role": "assistant", "text": "",
                                                            "seq": 0, "status": "streaming"})
            if f["seq"] > m["seq"]:
                m.update(text=f["text"], seq=f["seq"], status=STATUS_AFTER[f["finish_reason"]])
            self.idle_until = time.monotonic() + self.rng.uniform(0, 0.3)
        elif kind == "error":
            if f["code"] == "RESUME_GAP":
                return {"type": "subscribe", "conversation_id": f["conversation_id"]}
            self.errors.append(f)
        return None

    def streaming(self):
        return [i for i, m in self.transcript.items()
                if m["role"] == "assistant" and m["status"] == "streaming" and i not in self.given_up]

    def connection_lost(self):
        for reply_id in self.streaming():
            text = self.transcript[reply_id]["text"]
            if text:
                self.cut[reply_id] = text
                self.cut_at[reply_id] = (self.harness.last_kill,
                                         self.transcript[reply_id].get("arrivals", []))
                self.resolved.pop(reply_id, None)
            elif reply_id not in self.cut:
                self.cut_empty.add(reply_id)

    # ---- talking ----

    def next_message(self):
        self.count += 1
        cmid = f"{self.name}-{self.count}"
        if self.rng.random() < 0.1:
            text = "/long"
        else:
            text = " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(3, 20)))
        frame = {"type": "message", "client_msg_id": cmid, "text": text}
        if self.current and (len(self.conversations) >= 5 or self.rng.random() > 0.1):
            frame["conversation_id"] = self.current
        return frame

    async def run(self):
        h = self.harness
        while not h.finished:
            await h.up.wait()
            try:
                ws = await asyncio.wait_for(
                    websockets.connect(f"ws://127.0.0.1:{h.port}/ws", max_size=None,
                                       ping_interval=None, close_timeout=1), 3)
            except (OSError, asyncio.TimeoutError, websockets.WebSocketException):
                await asyncio.sleep(0.05)
                continue
            self.connections += 1
            try:
                await self.session(ws)
            except (OSError, asyncio.TimeoutError, websockets.WebSocketException):
                pass
            finally:
                self.connection_lost()
                ws.transport.abort()

    async def session(self, ws):
        h = self.harness

        async def send(frame):
            await ws.send(json.dumps(frame, ensure_ascii=False))

        auth = {"type": "auth", "protocol": 1}
        if self.token:
            auth["token"] = self.token
        await send(auth)
        ready = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if ready["type"] != "ready":
            raise AssertionError(f"{self.name}: auth answered {ready}")
        self.token = self.token or ready["token"]
        for conversation_id, last_seq in self.conversations.items():  # §7 Reconnecting
            await send({"type": "subscribe", "conversation_id": conversation_id,
                        "last_seq": last_seq})
        for frame in list(self.pending.values()):
            self.resends += 1
            await send(frame)
        resume_deadline = time.monotonic() + 2.5
        while not h.finished:
            now = time.monotonic()
            if now > resume_deadline:  # a reply the store never had: nothing will come
                self.given_up.update(self.streaming())
                resume_deadline = float("inf")
            if not h.quiet and not self.pending and not self.streaming() and now > self.idle_until:
                frame = self.next_message()
                self.pending[frame["client_msg_id"]] = frame
                self.sent.append(frame["client_msg_id"])
                await send(frame)
                h.message_sent.set()
            try:
                raw = await asyncio.wait_for(ws.recv(), 0.2)
            except asyncio.TimeoutError:
                continue
            answer = self.take(json.loads(raw))
            if answer:
                await send(answer)


class KillNine(unittest.IsolatedAsyncioTestCase):
    """Visitors chat while the server is SIGKILLed at random moments and restarted on the same
    database (on another port). Nothing acknowledged is lost or stored twice, the database stays
    sound, and a reply cut by a kill keeps, stored, a prefix of what its visitor saw (§8)."""

    kills = 50             # at least this many
    kill_seconds = 70      # ... within this long, or the test fails
    clients = 4
    words_per_second = 30  # a reply of 3-20 words takes ~0.2-0.8 s; "/long" ~40 s
    # A kill loses at most the deltas of the last 250 ms (the server saves a streaming reply at
    # least that often, and at least every 64 events); this allows for one more delta and a
    # slow commit on a busy machine.
    tail_seconds = 0.25 + 1 / 30 + 0.5

    def setUp(self):
        self.directory = tempfile.TemporaryDirectory()
        self.database = os.path.join(self.directory.name, "palaver.db")
        self.server = Server(self.directory.name, self.words_per_second,
                             ("--messages-per-minute-per-socket", "10000",
                              "--messages-per-minute-per-identity", "100000"))
        self.seed = int(os.environ.get("PALAVER_FAULT_SEED", random.randrange(1 << 30)))
        self.finished = False  # the chatters stop
        self.quiet = False     # no new messages: the resends settle
        self.up = asyncio.Event()
        self.message_sent = asyncio.Event()
        self.first_delta = asyncio.Event()
        self.last_kill = None

    async def asyncSetUp(self):
        asyncio.get_running_loop().slow_callback_duration = 2  # a busy machine is no news

    def tearDown(self):
        self.server.stop()
        self.directory.cleanup()

    async def start_server(self):
        await asyncio.to_thread(self.server.start)
        self.port = self.server.port
        self.up.set()

    async def kill_at_random_moments(self, rng):
        kills = 0
        deadline = time.monotonic() + self.kill_seconds
        while kills < self.kills and time.monotonic() < deadline:
            # Mostly mid-conversation; sometimes while the visitors reconnect and resume, right
            # after a message went out (before or after its ack), or right after a visitor saw
            # the first words of a reply.
            moment = rng.random()
            if moment < 0.2:
                await asyncio.sleep(rng.uniform(0, 0.15))
            elif moment < 0.5:
                event = self.message_sent if moment < 0.35 else self.first_delta
                event.clear()
                try:
                    await asyncio.wait_for(event.wait(), 2)
                except asyncio.TimeoutError:
                    pass
                if event is self.message_sent:
                    time.sleep(rng.uniform(0, 0.004))
            else:
                await asyncio.sleep(rng.uniform(0.15, 1.4))
            self.up.clear()
            self.last_kill = time.monotonic()
            self.server.stop(signal.SIGKILL)
            kills += 1
            await asyncio.sleep(rng.uniform(0, 0.05))
            await self.start_server()
        return kills

    async def test_nothing_acknowledged_is_lost_and_no_reply_shrinks(self):
        print(f"\nKillNine seed {self.seed} (PALAVER_FAULT_SEED=that replays its choices)", flush=True)
        rng = random.Random(self.seed)
        started = time.monotonic()
        await self.start_server()
        chatters = [Chatter(f"v{i}", random.Random(rng.random()), self)
                    for i in range(self.clients)]
        tasks = [asyncio.create_task(c.run()) for c in chatters]
        try:
            kills = await self.kill_at_random_moments(rng)
            # The last run: no new messages; the resends and resumes settle.
            self.quiet = True
            for _ in range(50):
                if not any(c.pending or c.streaming() for c in chatters):
                    break
                await asyncio.sleep(0.1)
            self.finished = True
            await asyncio.wait_for(asyncio.gather(*tasks), 10)
        finally:
            self.finished = True
            for task in tasks:
                task.cancel()
        self.server.stop()  # a clean stop
        self.assertEqual(self.server.process.returncode, 0, self.server.logged()[-2000:])
        elapsed = time.monotonic() - started

        db = sqlite3.connect(self.database)
        try:
            integrity = db.execute("PRAGMA integrity_check").fetchall()
            rows = db.execute("SELECT client_msg_id, id FROM messages WHERE client_msg_id IS NOT"
                              " NULL").fetchall()
            replies = {i: (text, status) for i, text, status in db.execute(
                "SELECT id, text, status FROM messages WHERE role = 'assistant'")}
            still_streaming = db.execute(
                "SELECT count(*) FROM messages WHERE status = 'streaming'").fetchone()[0]
        finally:
            db.close()
        stored = {}
        for cmid, message_id in rows:
            stored.setdefault(cmid, []).append(message_id)

        problems = [v for c in chatters for v in c.violations]
        acked = sent = resends = cut = cut_empty = given_up = 0
        kept_longer = same = longer = kept_chars = seen_chars = stored_empty = 0
        tails = []  # per cut reply: seconds from the first delta seen but not stored to the kill
        for c in chatters:
            sent += len(c.sent)
            acked += len(c.acked)
            resends += c.resends
            cut += len(c.cut)
            cut_empty += len(c.cut_empty - set(c.cut))
            given_up += len(set(c.cut) & c.given_up)
            problems += [f"{c.name}: unexpected error {e}" for e in c.errors]
            if c.unknown_deltas:
                problems.append(f"{c.name}: {c.unknown_deltas} deltas of unknown messages")
            for cmid, message_id in c.acked.items():
                if stored.get(cmid) != [message_id]:
                    problems.append(f"{cmid}: acknowledged as {message_id}, stored as "
                                    f"{stored.get(cmid)}")
            for cmid in c.sent:
                if len(stored.get(cmid, [])) > 1:
                    problems.append(f"{cmid}: stored {len(stored[cmid])} times")
            for reply_id, text in c.cut.items():
                seen_chars += len(text)
                if reply_id not in replies:
                    problems.append(f"{c.name}: reply {reply_id} cut after {text!r} was seen is "
                                    "not in the database")
                    continue
                kept, status = replies[reply_id]
                kept_chars += min(len(kept), len(text))
                if not kept:
                    stored_empty += 1
                    problems.append(f"{c.name}: reply {reply_id} cut after {text!r} was seen is "
                                    f"stored empty ({status})")
                elif not prefix_related(kept, text):
                    problems.append(f"{c.name}: reply {reply_id}: stored {kept!r}, seen {text!r}")
                killed, arrivals = c.cut_at[reply_id]
                lost = [(when, length) for when, length in arrivals if length > len(kept)]
                if lost and kept:
                    tails.append(killed - lost[0][0])
                    if len(lost) > 64 or killed - lost[0][0] > self.tail_seconds:
                        problems.append(
                            f"{c.name}: reply {reply_id}: {len(lost)} deltas lost, the first "
                            f"seen {killed - lost[0][0]:.3f} s before the kill")
            for reply_id, (held, copy, status) in c.resolved.items():
                if len(copy) < len(held):
                    kept_longer += 1
                elif len(copy) == len(held):
                    same += 1
                else:
                    longer += 1
        print(f"KillNine: {kills} kills in {elapsed:.1f} s; {sent} messages sent, {acked} "
              f"acknowledged, {resends} resent; {sum(c.connections for c in chatters)} "
              f"connections; {cut} replies cut after their first delta was seen ({cut_empty} "
              f"before it): {kept_longer + same + longer} resumed (stored copy shorter, the "
              f"client kept its text: {kept_longer}; the same: {same}; longer: {longer}), "
              f"{given_up} never replayed, {stored_empty} stored empty; chars kept {kept_chars} "
              f"of {seen_chars} seen; {len(tails)} lost tails, the longest "
              f"{max(tails, default=0):.3f} s", flush=True)
        self.assertEqual(integrity, [("ok",)])
        self.assertEqual(still_streaming, 0)
        self.assertGreaterEqual(kills, self.kills, "too few kills in the time allowed")
        self.assertGreater(acked, kills, "the visitors hardly talked")
        self.assertGreater(cut, 0, "no kill cut a reply")
        self.assertEqual(problems, [], "\n".join(problems[:30]))


# ---- 2. A full disk ---------------------------------------------------------------------------

class DiskFull(ServerTest):
    """The database on a 4 MiB tmpfs that a filler file fills up: writes really fail with
    ENOSPC. The tmpfs is mounted in a mount namespace of the server's own (unshare), so it lives
    and dies with the server process; the test reaches it through /proc/<pid>/root."""

    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("mounting a tmpfs needs root")
        if not shutil.which("unshare") or not shutil.which("nsenter"):
            self.skipTest("no unshare(1) or nsenter(1)")
        self.directory = tempfile.TemporaryDirectory()
        self.mount = os.path.join(self.directory.name, "disk")
        os.mkdir(self.mount)
        probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "mount", "-t",
                                "tmpfs", "-o", "size=1m", "tmpfs", self.mount],
                               capture_output=True, text=True, timeout=TIMEOUT)
        if probe.returncode != 0:  # a container without CAP_SYS_ADMIN, say
            self.directory.cleanup()
            self.skipTest("cannot mount a tmpfs here: " + probe.stderr.strip())
        self.server = Server(self.directory.name, 200)
        self.server.args = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                            'mount -t tmpfs -o size=4m tmpfs "$0" && exec "$@"', self.mount,
                            BINARY, "serve", "--port", "0", "--config", self.server.config,
                            "--database", os.path.join(self.mount, "palaver.db")]
        self.server.start()
        self.disk = f"/proc/{self.server.process.pid}/root{self.mount}"
        self.filler = os.path.join(self.disk, "filler")

    def tearDown(self):
        self.server.stop()  # the namespace, and the tmpfs with it, goes with the process
        self.directory.cleanup()

    async def query(self, sql, *args):
        return await asyncio.to_thread(self.query_now, sql, *args)

    def query_now(self, sql, *args):
        """Runs a query on the server's database from inside its mount namespace (SQLite
        resolves /proc/<pid>/root, a symbolic link, to our own view, where the file is not)."""
        script = ("import json, sqlite3, sys\n"
                  "db = sqlite3.connect(sys.argv[1])\n"
                  "print(json.dumps(db.execute(sys.argv[2], json.loads(sys.argv[3])).fetchall()))")
        done = subprocess.run(["nsenter", "--target", str(self.server.process.pid), "--mount",
                               sys.executable, "-c", script,
                               os.path.join(self.mount, "palaver.db"), sql, json.dumps(args)],
                              capture_output=True, text=True, timeout=TIMEOUT, check=True)
        return [tuple(row) for row in json.loads(done.stdout)]

    def fill(self):
        with open(self.filler, "wb", buffering=0) as f:
            for size in (1 << 20, 1 << 16, 1 << 12, 1 << 9, 1):
                try:
                    while True:
                        f.write(b"\0" * size)
                except OSError as e:
                    self.assertEqual(e.errno, errno.ENOSPC)
        free = os.statvfs(self.disk)
        return free.f_bavail * free.f_frsize

    def post(self, path, token, body):
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=150)
        started = time.monotonic()
        connection.request("POST", path, body=json.dumps(body),
                           headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        raw = response.read()
        connection.close()
        return response.status, raw, time.monotonic() - started

    async def refused(self, client, frame):
        """Sends a message that cannot be stored; returns the error and how long it took. No ack
        comes for it, then or a moment later."""
        client.frames.clear()
        started = time.monotonic()
        await client.send(frame)
        error = await client.until("error", ref=frame["client_msg_id"])
        took = time.monotonic() - started
        await asyncio.sleep(0.3)
        await client.send({"type": "ping", "id": "later"})
        await client.until("pong", id="later")
        self.assertFalse([f for f in client.frames if f["type"] in ("ack", "conversation")],
                         client.frames)
        return error, took

    async def test_a_message_that_cannot_be_stored_is_refused_and_can_be_resent(self):
        with open(f"/proc/{self.server.process.pid}/mountinfo") as mounts:
            self.assertIn(f" {self.mount} ", mounts.read())  # the server's own tmpfs ...
        self.assertFalse(os.path.ismount(self.mount))         # ... which is not ours
        client = await Client.connect(self.server)
        token = client.ready["token"]
        await self.chat(client, "before the disk fills")
        conversation_id = (await client.until("conversation"))["conversation"]["id"]
        await client.until("done")

        free = self.fill()
        self.assertLess(free, 4096)
        into = {"type": "message", "conversation_id": conversation_id, "client_msg_id": "full-1",
                "text": "is anyone there"}
        error, took_into = await self.refused(client, into)
        self.assertEqual((error["code"], error.get("conversation_id")),
                         ("INTERNAL", conversation_id), error)
        self.assertLess(took_into, 3)
        new = {"type": "message", "client_msg_id": "full-2", "text": "a new conversation"}
        error, took_new = await self.refused(client, new)
        self.assertEqual(error["code"], "INTERNAL", error)
        self.assertNotIn("conversation_id", error)
        self.assertLess(took_new, 3)
        path = f"/api/v1/conversations/{conversation_id}/messages"
        rest = {"client_msg_id": "rest-1", "text": "over REST"}
        status, body, took_rest = await asyncio.to_thread(self.post, path, token, rest)
        print(f"\nDiskFull: {free} bytes free; INTERNAL after {took_into:.3f} s (a message into "
              f"a conversation), {took_new:.3f} s (one starting a conversation); REST {status} "
              f"after {took_rest:.3f} s", flush=True)
        self.assertGreaterEqual(status, 500, body)
        self.assertLess(took_rest, 5)
        self.assertIn(b"could not store the message", body)
        self.assertEqual(json.loads(body)["code"], "INTERNAL")
        self.assertIsNone(self.server.process.poll())
        self.assertEqual(self.get("/healthz")[0].status, 200)

        os.remove(self.filler)  # space again: the same messages, resent, go through once
        client.frames.clear()
        await client.send(into)
        ack = await client.until("ack", client_msg_id="full-1")
        done = await client.until("done")
        self.assertEqual(done["text"], "You said: is anyone there")
        await client.send(new)
        created = (await client.until("conversation"))["conversation"]["id"]
        self.assertNotEqual(created, conversation_id)
        await client.until("ack", client_msg_id="full-2")
        self.assertEqual((await client.until("done"))["text"], "You said: a new conversation")
        status, body, _ = await asyncio.to_thread(self.post, path, token, rest)
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["reply"]["text"], "You said: over REST")
        await self.chat(client, "and on it goes", conversation_id, "after")
        await client.until("ack", client_msg_id="after")
        self.assertEqual((await client.until("done"))["text"], "You said: and on it goes")

        await client.send({"type": "subscribe", "conversation_id": conversation_id})
        history = await client.until("history")
        self.assertEqual([m["text"] for m in history["messages"] if m["role"] == "user"],
                         ["before the disk fills", "is anyone there", "over REST",
                          "and on it goes"])
        self.assertEqual([m["status"] for m in history["messages"] if m["role"] == "assistant"],
                         ["complete"] * 4)
        counts = dict(await self.query("SELECT client_msg_id, count(*) FROM messages"
                                 " WHERE client_msg_id IS NOT NULL GROUP BY client_msg_id"))
        self.assertEqual(counts, {"m1": 1, "full-1": 1, "full-2": 1, "rest-1": 1, "after": 1})
        self.assertEqual(await self.query("SELECT id FROM messages WHERE client_msg_id = 'full-1'"),
                         [(ack["message_id"],)])
        self.assertEqual(await self.query("PRAGMA integrity_check"), [("ok",)])
        await client.close()


# ---- 3. The LLM endpoint fails ----------------------------------------------------------------

PIECES = ["Bonjour", " depuis", " le", " modèle", "."]  # what FakeUpstreamHandler streams
WHOLE = "".join(PIECES)


def sse_chunk(content=None, finish_reason=None):
    delta = {"content": content} if content is not None else {}
    return ("data: " + json.dumps({"choices": [{"delta": delta,
                                                "finish_reason": finish_reason}]}) + "\n\n").encode()


class FaultyUpstreamHandler(FakeUpstreamHandler):
    """test_chat's fake endpoint, which fails as its server's `fault` says (None: it answers
    as FakeUpstreamHandler does). Each fault is a method named fault_<name>."""

    def do_POST(self):
        fault = self.server.fault
        if fault is None:
            return super().do_POST()
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append((self.path, dict(self.headers), body))
        self.close_connection = True
        try:
            getattr(self, "fault_" + fault)()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def stream_headers(self, chunked=False):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.flush()

    def write(self, data):
        self.wfile.write(data)
        self.wfile.flush()

    def first_words(self):  # "Bonjour depuis": what a failed reply must keep
        for piece in PIECES[:2]:
            self.write(sse_chunk(piece))

    def wait_for_close(self, limit=15):
        """Sends nothing and waits until palaver closes the connection (or `limit` passes);
        records how long that took, so a test sees that a stalled request is let go."""
        started = time.monotonic()
        connection = self.connection
        while time.monotonic() - started < limit:
            readable, _, _ = select.select([connection], [], [], 0.1)
            if readable:
                try:
                    if not connection.recv(4096):
                        break
                except OSError:
                    break
        else:
            self.server.released.append(None)
            return
        self.server.released.append(time.monotonic() - started)

    def fault_http_500(self):
        payload = b'{"error":{"message":"the model server crashed","type":"server_error"}}'
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.write(payload)

    def fault_stall_before_headers(self):
        self.wait_for_close()

    def fault_stall_after_headers(self):
        self.stream_headers()
        self.wait_for_close()

    def fault_stall_mid_reply(self):
        self.stream_headers()
        self.first_words()
        self.wait_for_close()

    def fault_garbage_then_end(self):
        # A proxy's error page in the middle of the stream, and the end of the body.
        self.stream_headers()
        self.first_words()
        self.write(b"<html><body><h1>502 Bad Gateway</h1></body></html>\n\n"
                   b"\x00\x01 not an event\n\n")

    def fault_invalid_json(self):
        self.stream_headers()
        self.first_words()
        self.write(b'data: {"choices":[{"delta":{"content":" le"\n\n')
        self.write(sse_chunk(" modèle") + b"data: [DONE]\n\n")

    def fault_invalid_utf8(self):
        self.stream_headers()
        self.first_words()
        self.write(b'data: {"choices":[{"delta":{"content":" l\xff\xfe\xc3"}}]}\n\n')
        self.write(sse_chunk(" modèle") + b"data: [DONE]\n\n")

    def fault_lone_surrogate(self):
        self.stream_headers()
        self.first_words()
        self.write(b'data: {"choices":[{"delta":{"content":" l\\ud800e"}}]}\n\n')
        self.write(sse_chunk(" modèle") + b"data: [DONE]\n\n")

    def fault_cut_mid_event(self):
        self.stream_headers()
        self.first_words()
        self.write(b'data: {"choices":[{"delta":{"cont')  # and the connection closes

    def fault_cut_mid_chunk(self):
        # Chunked: a whole chunk with the first words, then a chunk that promises 0x200 bytes
        # and delivers 20 before the connection closes.
        self.stream_headers(chunked=True)
        words = sse_chunk(PIECES[0]) + sse_chunk(PIECES[1])
        self.write(b"%x\r\n%s\r\n" % (len(words), words))
        self.write(b"200\r\n" + sse_chunk(" le")[:20])

    def fault_reset_mid_reply(self):
        self.stream_headers()
        self.first_words()
        # SO_LINGER 0: the close sends RST, as a crashed peer or a middlebox does.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def fault_garbage_lines_ignored(self):
        # Lines that are not `data:` are fields the SSE grammar ignores (WHATWG: a line with no
        # colon is a field name with an empty value; ':' starts a comment). The reply goes on.
        self.stream_headers()
        self.write(b"this is not an event field\n")
        self.write(sse_chunk(PIECES[0]))
        self.write(b": keep-alive comment\nbogus-field: 42\n\n")
        for piece in PIECES[1:]:
            self.write(sse_chunk(piece))
        self.write(b"event-without-colon\n\n" + sse_chunk(None, "stop") + b"data: [DONE]\n\n")


class UpstreamFaults(ServerTest):
    """The `openai` agent against an endpoint that fails: each fault ends the reply with `done`
    (`finish_reason` `error`) and an `error` frame UPSTREAM_ERROR or UPSTREAM_TIMEOUT, the text
    streamed so far is kept (sent and stored), and the server goes on answering. test_chat's
    OpenAiBackend covers an HTTP 503 with a JSON body; these are the other failures."""

    timeout_seconds = 2  # the agent's `timeout_seconds`: stalls end after ~2 s

    def extra_config(self):
        self.upstream = FakeUpstream()
        self.upstream.RequestHandlerClass = FaultyUpstreamHandler
        self.upstream.fault = None
        self.upstream.released = []
        os.environ["PALAVER_TEST_LLM_KEY"] = "sk-test-123"
        return ('[[agent]]\nname = "gpt"\nkind = "openai"\n'
                f'base_url = "http://127.0.0.1:{self.upstream.server_address[1]}/v1"\n'
                'model = "test-model"\napi_key_env = "PALAVER_TEST_LLM_KEY"\n'
                f"timeout_seconds = {self.timeout_seconds}\n"
                '[[site]]\nid = "default"\ndefault_agent = "gpt"\n')

    def tearDown(self):
        super().tearDown()
        self.upstream.stop()

    def open_descriptors(self):
        return len(os.listdir(f"/proc/{self.server.process.pid}/fd"))

    async def exchange(self, client, frame, expect_error):
        """Sends `frame`, then reads until the reply's `done` (and, when expected, its `error`);
        returns (done, error or None, the frames read, seconds from send to the last)."""
        client.frames.clear()
        sent = time.monotonic()
        await client.send(frame)
        done = error = None
        while done is None or (expect_error and error is None):
            f = await client.recv()
            if f["type"] == "done":
                done = f
            elif f["type"] == "error":
                error = f
                self.assertIsNotNone(done, f"an error before the reply's done: {f}")
        if not expect_error:  # a healthy reply brings no error: a ping's pong comes first
            await client.send({"type": "ping", "id": "after"})
            while (f := await client.recv())["type"] != "pong":
                self.assertNotEqual(f["type"], "error", f)
        return done, error, list(client.frames), time.monotonic() - sent

    async def check_fault(self, fault, code, kept, message_part=None, stall=False):
        client = await Client.connect(self.server)
        # A healthy exchange first: the conversation, and the descriptors a server at rest holds.
        done, _, _, _ = await self.exchange(
            client, {"type": "message", "client_msg_id": "before", "text": "hello"}, False)
        self.assertEqual((done["text"], done["finish_reason"]), (WHOLE, "stop"))
        conversation_id = done["conversation_id"]
        await asyncio.sleep(0.2)
        descriptors = self.open_descriptors()

        self.upstream.fault = fault
        attempts = [{"type": "message", "conversation_id": conversation_id,
                     "client_msg_id": "faulty", "text": "and now?"}]
        failed_ids = []
        for attempt in range(2):  # the fault, then a second attempt (regenerate) at the same
            frame = attempts[0] if attempt == 0 else {"type": "regenerate",
                                                      "message_id": failed_ids[-1]}
            done, error, frames, took = await self.exchange(client, frame, True)
            failed_ids.append(done["message_id"])
            print(f"\n  {fault} #{attempt + 1}: {error['code']} after {took:.3f} s, kept "
                  f"{done['text']!r}: {error['message']}", end="", flush=True)
            self.assertEqual(done["finish_reason"], "error", fault)
            self.assertEqual(done["text"], kept, fault)
            self.assertEqual(reply_text(frames), kept, fault)  # the deltas say the same
            self.assertEqual(error["code"], code, error)
            self.assertEqual(error.get("conversation_id"), conversation_id, error)
            self.assertNotIn("ref", error)
            if message_part:
                self.assertIn(message_part, error["message"])
            self.assertNotIn("sk-test-123", json.dumps(frames))
            if stall:  # the watchdog, not something else: after ~timeout_seconds, not much later
                self.assertGreater(took, self.timeout_seconds - 0.5, error)
                self.assertLess(took, self.timeout_seconds + 4, error)
            else:
                self.assertLess(took, 5, error)
            # The store keeps the failed reply with its text.
            rows = await self.stored_rows(
                "SELECT text, status FROM messages WHERE id = ? AND status != 'streaming'",
                done["message_id"])
            self.assertEqual(rows, [(kept, "error")], fault)
        if stall:  # a stalled request is let go (its connection closed) when it times out
            for _ in range(50):
                if len(self.upstream.released) >= 2:
                    break
                await asyncio.sleep(0.1)
            self.assertEqual(len(self.upstream.released), 2, self.upstream.released)
            for released in self.upstream.released:
                self.assertIsNotNone(released, "palaver never closed a stalled upstream request")
                self.assertLess(released, self.timeout_seconds + 2)

        # The server stays healthy: the conversation goes on, and nothing is left open.
        self.upstream.fault = None
        done, _, _, _ = await self.exchange(
            client, {"type": "message", "conversation_id": conversation_id,
                     "client_msg_id": "after", "text": "still there?"}, False)
        self.assertEqual((done["text"], done["finish_reason"]), (WHOLE, "stop"))
        self.assertEqual(len(self.upstream.requests), 4)
        self.assertEqual(self.get("/healthz")[0].status, 200)
        for _ in range(40):
            if self.open_descriptors() <= descriptors:
                break
            await asyncio.sleep(0.05)
        self.assertLessEqual(self.open_descriptors(), descriptors, "descriptors leaked")
        await client.close()
        return failed_ids

    async def test_http_500_with_a_json_body(self):
        await self.check_fault("http_500", "UPSTREAM_ERROR", "", "500")

    async def test_a_stall_before_the_response_times_out(self):
        await self.check_fault("stall_before_headers", "UPSTREAM_TIMEOUT", "", stall=True)

    async def test_a_stall_after_the_headers_times_out(self):
        await self.check_fault("stall_after_headers", "UPSTREAM_TIMEOUT", "", stall=True)

    async def test_a_stall_mid_reply_times_out_and_keeps_the_text(self):
        await self.check_fault("stall_mid_reply", "UPSTREAM_TIMEOUT", "Bonjour depuis", stall=True)

    async def test_garbage_then_the_end_of_the_stream_keeps_the_text(self):
        await self.check_fault("garbage_then_end", "UPSTREAM_ERROR", "Bonjour depuis")

    async def test_invalid_json_in_data_keeps_the_text(self):
        await self.check_fault("invalid_json", "UPSTREAM_ERROR", "Bonjour depuis")

    async def test_invalid_utf8_in_data_keeps_the_text(self):
        await self.check_fault("invalid_utf8", "UPSTREAM_ERROR", "Bonjour depuis")

    async def test_a_lone_surrogate_escape_keeps_the_text(self):
        await self.check_fault("lone_surrogate", "UPSTREAM_ERROR", "Bonjour depuis")

    async def test_a_connection_closed_mid_event_keeps_the_text(self):
        await self.check_fault("cut_mid_event", "UPSTREAM_ERROR", "Bonjour depuis")

    async def test_a_connection_closed_mid_chunk_keeps_the_text(self):
        await self.check_fault("cut_mid_chunk", "UPSTREAM_ERROR", "Bonjour depuis")

    async def test_a_connection_reset_mid_reply_keeps_the_text(self):
        await self.check_fault("reset_mid_reply", "UPSTREAM_ERROR", "Bonjour depuis")

    async def test_lines_that_are_not_data_are_ignored(self):
        client = await Client.connect(self.server)
        self.upstream.fault = "garbage_lines_ignored"
        done, _, frames, _ = await self.exchange(
            client, {"type": "message", "client_msg_id": "g", "text": "hi"}, False)
        self.assertEqual((done["text"], done["finish_reason"]), (WHOLE, "stop"))
        self.assertEqual(reply_text(frames), WHOLE)
        await client.close()


if __name__ == "__main__":
    unittest.main()
