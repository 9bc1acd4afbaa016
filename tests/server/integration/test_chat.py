"""End-to-end tests of the real `palaver` binary over a real WebSocket on 127.0.0.1.

The client is Debian's python3-websockets (nobody here wrote it). Each test starts its own
server on an ephemeral port with its own SQLite file, bounded in time, and stops it.
Run with /usr/bin/python3 (Debian's Python, where python3-websockets is installed):
    PALAVER_BINARY=build/server/palaver /usr/bin/python3 -m unittest -v test_chat
"""

import asyncio
import gzip
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest
import http.client
import http.server
import threading

import websockets

BINARY = os.environ.get("PALAVER_BINARY", "build/server/palaver")
TIMEOUT = 10  # seconds any single wait may take
API_KEY = "site-backend-key-0123456789abcdef"  # the RestApi tests' site backend


class Server:
    """A palaver process on an ephemeral port, with its own database and config."""

    def __init__(self, directory, words_per_second=200, extra_args=(), extra_config=""):
        self.directory = directory
        self.config = os.path.join(directory, "palaver.toml")
        with open(self.config, "w") as f:
            f.write('[[agent]]\nname = "echo"\nkind = "echo"\n'
                    f"words_per_second = {words_per_second}\n" + extra_config)
        self.args = [BINARY, "serve", "--port", "0", "--config", self.config,
                     "--database", os.path.join(directory, "palaver.db"), *extra_args]
        self.process = None
        self.port = None

    def start(self):
        self.log = os.path.join(self.directory, "palaver.log")
        with open(self.log, "a") as log:  # a file, not a pipe: a full pipe would block it
            self.process = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=log,
                                            text=True)
        line = self.process.stdout.readline()
        match = re.search(r":(\d+)/", line)
        if not match:
            self.process.kill()
            raise RuntimeError("palaver did not start: " + line + self.logged())
        self.port = int(match.group(1))
        return self

    def stop(self, sig=signal.SIGTERM):
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process:
            self.process.stdout.close()

    def logged(self):
        with open(self.log) as log:
            return log.read()

    @property
    def url(self):
        return f"ws://127.0.0.1:{self.port}/ws"


class Client:
    """One WebSocket, with helpers that read frames until one matches."""

    def __init__(self, ws):
        self.ws = ws
        self.frames = []

    @classmethod
    async def connect(cls, server, token=None, **kwargs):
        ws = await websockets.connect(server.url, max_size=None, **kwargs)
        client = cls(ws)
        auth = {"type": "auth", "protocol": 1}
        if token:
            auth["token"] = token
        await client.send(auth)
        client.ready = await client.until("ready")
        return client

    async def send(self, frame):
        await self.ws.send(json.dumps(frame))

    async def recv(self):
        frame = json.loads(await asyncio.wait_for(self.ws.recv(), TIMEOUT))
        self.frames.append(frame)
        return frame

    async def until(self, frame_type, **fields):
        while True:
            frame = await self.recv()
            if frame["type"] == frame_type and all(frame.get(k) == v for k, v in fields.items()):
                return frame

    async def close(self):
        await self.ws.close()


def reply_of(frames):
    """The reply's text, assembled from `message`/`delta`/`done` frames as the widget does:
    each event applied once, by seq."""
    text, last_seq = None, 0
    for f in frames:
        seq = f.get("seq") or f.get("message", {}).get("seq") or 0
        if f["type"] == "message" and f["message"]["role"] == "assistant":
            if seq > last_seq:
                text, last_seq = f["message"]["text"], seq
        elif f["type"] == "delta" and seq > last_seq:
            text, last_seq = text + f["text"], seq
        elif f["type"] == "done" and seq > last_seq:
            text, last_seq = f["text"], seq
    return text


class ServerTest(unittest.IsolatedAsyncioTestCase):
    words_per_second = 200
    extra_args = ()

    def extra_config(self):
        return ""

    def setUp(self):
        self.directory = tempfile.TemporaryDirectory()
        self.server = Server(self.directory.name, self.words_per_second, self.extra_args,
                             self.extra_config()).start()

    def tearDown(self):
        self.server.stop()
        self.directory.cleanup()

    async def stored_rows(self, sql, *args):
        """What a query finds in the server's database, once it finds anything (the store
        commits a moment after it answers), or nothing after a few seconds."""
        database = os.path.join(self.server.directory, "palaver.db")
        for _ in range(100):
            db = sqlite3.connect(database)
            try:
                rows = db.execute(sql, args).fetchall()
            finally:
                db.close()
            if rows:
                break
            await asyncio.sleep(0.05)
        return rows

    def get(self, path, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=TIMEOUT)
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response, body

    async def chat(self, client, text, conversation_id=None, client_msg_id="m1"):
        frame = {"type": "message", "client_msg_id": client_msg_id, "text": text}
        if conversation_id:
            frame["conversation_id"] = conversation_id
        await client.send(frame)


class ChatFlow(ServerTest):
    async def test_a_message_is_stored_acknowledged_and_answered_token_by_token(self):
        client = await Client.connect(self.server)
        self.assertTrue(client.ready["user"]["anonymous"])
        self.assertIn("token", client.ready)
        await self.chat(client, "hello there")
        conversation = await client.until("conversation")
        ack = await client.until("ack")
        done = await client.until("done")
        types = [f["type"] for f in client.frames]
        self.assertLess(types.index("ack"), types.index("typing"))
        user = next(f["message"] for f in client.frames
                    if f["type"] == "message" and f["message"]["role"] == "user")
        self.assertEqual(user["client_msg_id"], "m1")
        self.assertEqual((user["id"], user["seq"]), (ack["message_id"], ack["seq"]))
        deltas = [f["text"] for f in client.frames if f["type"] == "delta"]
        self.assertGreater(len(deltas), 1)
        self.assertEqual("".join(deltas), done["text"])
        self.assertEqual(done["text"], "You said: hello there")
        self.assertEqual(done["finish_reason"], "stop")
        seqs = [f["seq"] for f in client.frames if f["type"] in ("delta", "done")]
        self.assertEqual(seqs, sorted(set(seqs)))
        self.assertEqual(done["conversation_id"], conversation["conversation"]["id"])
        await client.close()

    async def test_a_long_message_arrives_whole_across_many_reads(self):
        # ~30 KB of UTF-8 (the server reads a frame in 512-byte chunks; multi-byte characters
        # straddle their edges), one word, so the echo answers in one delta.
        text = "ünïcödé€漢字" * 1500
        frame = {"type": "message", "client_msg_id": "long", "text": text}
        client = await Client.connect(self.server)
        await client.ws.send(json.dumps(frame, ensure_ascii=False))
        ack = await client.until("ack")
        self.assertEqual(ack["client_msg_id"], "long")
        done = await client.until("done")
        self.assertEqual(done["text"], "You said: " + text)
        await client.close()

    async def test_a_resent_message_is_acknowledged_again_and_stored_once(self):
        client = await Client.connect(self.server)
        await self.chat(client, "once")
        conversation_id = (await client.until("conversation"))["conversation"]["id"]
        first = await client.until("ack")
        await client.until("done")
        await self.chat(client, "once", conversation_id)  # the same client_msg_id
        again = await client.until("ack")
        self.assertEqual(again["message_id"], first["message_id"])
        await client.send({"type": "subscribe", "conversation_id": conversation_id})
        history = await client.until("history")
        users = [m for m in history["messages"] if m["role"] == "user"]
        self.assertEqual(len(users), 1)
        await client.close()

    async def test_two_tabs_of_one_visitor_see_the_same_conversation(self):
        tab1 = await Client.connect(self.server)
        tab2 = await Client.connect(self.server, token=tab1.ready["token"])
        self.assertEqual(tab2.ready["user"]["id"], tab1.ready["user"]["id"])
        await self.chat(tab1, "first")
        conversation_id = (await tab1.until("conversation"))["conversation"]["id"]
        await tab1.until("done")
        await tab2.send({"type": "subscribe", "conversation_id": conversation_id})
        await tab2.until("history")
        await self.chat(tab1, "second", conversation_id, "m2")
        done1 = await tab1.until("done")
        done2 = await tab2.until("done")
        self.assertEqual(done1, done2)
        self.assertEqual(reply_of(tab2.frames), "You said: second")
        self.assertTrue(any(f["type"] == "message" and f["message"]["text"] == "second"
                            for f in tab2.frames))
        await tab1.close()
        await tab2.close()

    async def test_an_ask_is_answered_with_reply_and_the_conversation_goes_on(self):
        client = await Client.connect(self.server)
        await self.chat(client, "/ask")
        conversation_id = (await client.until("conversation"))["conversation"]["id"]
        ask = await client.until("ask")
        self.assertEqual(ask["choices"], ["Free", "Pro", "Enterprise"])
        await client.until("done")
        await client.send({"type": "reply", "request_id": ask["request_id"], "text": "Pro"})
        answer = await client.until("done")
        self.assertEqual(answer["text"], "You said: Pro")
        await client.send({"type": "reply", "request_id": ask["request_id"], "text": "Free"})
        self.assertEqual((await client.until("error"))["code"], "CONFLICT")
        await client.send({"type": "subscribe", "conversation_id": conversation_id})
        history = await client.until("history")
        self.assertEqual([m["text"] for m in history["messages"] if m["role"] == "user"],
                         ["/ask", "Pro"])
        await client.close()

    async def test_a_button_press_feedback_and_regenerate(self):
        client = await Client.connect(self.server)
        await self.chat(client, "/buttons")
        conversation_id = (await client.until("conversation"))["conversation"]["id"]
        with_buttons = await client.until("message", **{})
        while not with_buttons["message"].get("buttons"):
            with_buttons = await client.until("message")
        reply_id = with_buttons["message"]["id"]
        self.assertEqual([b["id"] for b in with_buttons["message"]["buttons"]], ["yes", "no"])
        await client.send({"type": "action", "message_id": reply_id, "action_id": "yes"})
        pressed = await client.until("done")
        self.assertEqual(pressed["text"], "You said: Yes, thanks")
        await client.send({"type": "feedback", "message_id": reply_id, "rating": 1,
                           "comment": "useful"})
        await client.send({"type": "regenerate", "message_id": pressed["message_id"]})
        again = await client.until("done")
        self.assertNotEqual(again["message_id"], pressed["message_id"])
        self.assertEqual(again["text"], "You said: Yes, thanks")
        await client.send({"type": "subscribe", "conversation_id": conversation_id})
        history = await client.until("history")
        rated = next(m for m in history["messages"] if m["id"] == reply_id)
        self.assertEqual(rated.get("rating"), 1)
        self.assertFalse(any(f["type"] == "error" for f in client.frames))
        await client.close()

    async def test_a_visitor_is_recorded_with_its_first_message_not_at_its_first_auth(self):
        client = await Client.connect(self.server)
        await client.send({"type": "ping"})
        await client.until("pong")  # auth is done: a visitor that never speaks costs no row
        idle = await Client.connect(self.server)
        await self.chat(client, "hello")
        await client.until("done")
        rows = await self.stored_rows("SELECT id, site_id FROM visitors")
        self.assertEqual(rows, [(client.ready["user"]["id"], "default")])
        await idle.close()
        await client.close()

    async def test_ping_gets_pong(self):
        client = await Client.connect(self.server)
        await client.send({"type": "ping", "id": "p1"})
        self.assertEqual(await client.until("pong"), {"type": "pong", "id": "p1"})
        await client.close()


class SlowReplies(ServerTest):
    words_per_second = 100  # "/long" takes ~20 s unless stopped

    async def test_cancel_stops_the_reply_and_keeps_its_text(self):
        client = await Client.connect(self.server)
        await self.chat(client, "/long")
        conversation_id = (await client.until("conversation"))["conversation"]["id"]
        for _ in range(2):  # "Paragraph ", "1: "
            await client.until("delta")
        asked = time.monotonic()
        await client.send({"type": "cancel", "conversation_id": conversation_id})
        done = await client.until("done")
        self.assertLess(time.monotonic() - asked, 1.0)
        self.assertEqual(done["finish_reason"], "cancelled")
        self.assertTrue(done["text"].startswith("Paragraph 1:"))
        self.assertEqual(reply_of(client.frames), done["text"])
        await client.close()

    async def test_a_disconnect_does_not_cancel_and_resume_loses_and_repeats_nothing(self):
        rng = random.Random(1234)
        first = await Client.connect(self.server)
        await self.chat(first, "/long")
        conversation_id = (await first.until("conversation"))["conversation"]["id"]
        for _ in range(rng.randint(3, 40)):  # drop at a random point mid-reply
            await first.until("delta")
        seen = [f for f in first.frames]
        last_seq = max(f.get("seq") or f.get("message", {}).get("seq", 0) for f in seen)
        await first.ws.close()

        second = await Client.connect(self.server, token=first.ready["token"])
        await second.send({"type": "subscribe", "conversation_id": conversation_id,
                           "last_seq": last_seq})
        await second.send({"type": "cancel", "conversation_id": conversation_id})
        done = await second.until("done")
        replayed = [f for f in second.frames if f["type"] in ("delta", "done", "message")]
        seqs = [f.get("seq") or f["message"]["seq"] for f in replayed]
        self.assertEqual(len(seqs), len(set(seqs)), "an event came twice")
        self.assertTrue(all(s > last_seq for s in seqs), "an event already seen came again")
        self.assertEqual(reply_of(seen + second.frames), done["text"])
        await second.close()


class Restart(ServerTest):
    words_per_second = 50

    async def test_history_survives_a_crash_and_the_cut_reply_is_marked_interrupted(self):
        client = await Client.connect(self.server)
        token = client.ready["token"]
        await self.chat(client, "/long")
        conversation_id = (await client.until("conversation"))["conversation"]["id"]
        for _ in range(5):
            await client.until("delta")
        self.server.stop(signal.SIGKILL)
        self.server.start()
        client = await Client.connect(self.server, token=token)
        await client.send({"type": "subscribe", "conversation_id": conversation_id})
        history = await client.until("history")
        roles = [(m["role"], m["status"]) for m in history["messages"]]
        self.assertEqual(roles, [("user", "complete"), ("assistant", "interrupted")])
        self.assertEqual(history["messages"][0]["text"], "/long")
        await client.close()

    async def test_an_open_ask_survives_a_graceful_restart(self):
        await self.open_ask_survives_a_restart(signal.SIGTERM)

    async def test_an_open_ask_survives_a_crash_once_stored(self):
        await self.open_ask_survives_a_restart(signal.SIGKILL)

    async def open_ask_survives_a_restart(self, sig):
        client = await Client.connect(self.server)
        token = client.ready["token"]
        await self.chat(client, "/ask")
        conversation_id = (await client.until("conversation"))["conversation"]["id"]
        ask = await client.until("ask")
        await client.until("done")
        if sig == signal.SIGKILL:  # a crash loses what was not committed yet
            self.assertTrue(await self.stored_rows("SELECT 1 FROM asks WHERE request_id = ?",
                                                   ask["request_id"]))
        self.server.stop(sig)
        self.server.start()

        # Subscribing shows the question again after the newest page; so does a resume from
        # before it, in seq order with the stored messages.
        client = await Client.connect(self.server, token=token)
        await client.send({"type": "subscribe", "conversation_id": conversation_id})
        await client.until("history")
        self.assertEqual(await client.recv(), ask)
        tab = await Client.connect(self.server, token=token)
        await tab.send({"type": "subscribe", "conversation_id": conversation_id,
                        "last_seq": ask["seq"] - 1})
        self.assertEqual(await tab.recv(), ask)
        self.assertEqual((await tab.recv())["message"]["role"], "assistant")
        await tab.close()
        stranger = await Client.connect(self.server)
        await stranger.send({"type": "reply", "request_id": ask["request_id"], "text": "Free"})
        self.assertEqual((await stranger.until("error"))["code"], "NOT_FOUND")
        await stranger.close()

        # The answer goes on as the visitor's message, and the agent answers it.
        await client.send({"type": "reply", "request_id": ask["request_id"], "text": "Pro"})
        self.assertEqual((await client.until("done"))["text"], "You said: Pro")
        await client.send({"type": "reply", "request_id": ask["request_id"], "text": "Free"})
        self.assertEqual((await client.until("error"))["code"], "CONFLICT")
        await client.close()

        # Answered stays answered across a restart: not shown again, not answered twice.
        self.server.stop()
        self.server.start()
        client = await Client.connect(self.server, token=token)
        await client.send({"type": "subscribe", "conversation_id": conversation_id})
        history = await client.until("history")
        self.assertEqual([m["text"] for m in history["messages"] if m["role"] == "user"],
                         ["/ask", "Pro"])
        await client.send({"type": "reply", "request_id": ask["request_id"], "text": "Free"})
        frame = await client.recv()  # the next frame: no ask came after the history
        self.assertEqual((frame["type"], frame.get("code")), ("error", "CONFLICT"))
        await client.close()

    async def test_a_graceful_stop_closes_sockets_with_1001(self):
        client = await Client.connect(self.server)
        self.server.stop(signal.SIGTERM)
        with self.assertRaises(websockets.ConnectionClosed) as closed:
            while True:
                await client.recv()
        self.assertEqual(closed.exception.code, 1001)


class Ownership(ServerTest):
    async def test_another_visitors_conversation_is_not_found_everywhere(self):
        owner = await Client.connect(self.server)
        await self.chat(owner, "mine")
        conversation_id = (await owner.until("conversation"))["conversation"]["id"]
        message_id = (await owner.until("done"))["message_id"]
        stranger = await Client.connect(self.server)
        attempts = [
            {"type": "subscribe", "conversation_id": conversation_id},
            {"type": "subscribe", "conversation_id": conversation_id, "last_seq": 0},
            {"type": "history", "conversation_id": conversation_id},
            {"type": "cancel", "conversation_id": conversation_id},
            {"type": "message", "conversation_id": conversation_id, "client_msg_id": "x",
             "text": "let me in"},
            {"type": "regenerate", "message_id": message_id},
            {"type": "feedback", "message_id": message_id, "rating": 1},
        ]
        for attempt in attempts:
            await stranger.send(attempt)
            error = await stranger.until("error")
            self.assertEqual(error["code"], "NOT_FOUND", attempt)
        self.assertFalse(any(f["type"] in ("history", "delta", "message") for f in stranger.frames))
        await owner.close()
        await stranger.close()


class Limits(ServerTest):
    extra_args = ("--auth-timeout-seconds", "1", "--messages-per-minute-per-socket", "3",
                  "--sockets-per-identity", "2")

    async def test_an_identity_may_hold_only_so_many_sockets(self):
        first = await Client.connect(self.server)
        second = await Client.connect(self.server, token=first.ready["token"])
        ws = await websockets.connect(self.server.url)
        await ws.send(json.dumps({"type": "auth", "protocol": 1, "token": first.ready["token"]}))
        error = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        self.assertEqual(error["code"], "RATE_LIMITED")
        with self.assertRaises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
        self.assertEqual(closed.exception.code, 1008)
        await second.close()
        await asyncio.sleep(0.2)  # the server counts the close
        third = await Client.connect(self.server, token=first.ready["token"])
        self.assertEqual(third.ready["user"]["id"], first.ready["user"]["id"])
        await first.close()
        await third.close()

    async def test_a_frame_above_64_kib_closes_with_1009(self):
        client = await Client.connect(self.server)
        await client.ws.send("x" * (64 * 1024 + 1))
        with self.assertRaises(websockets.ConnectionClosed) as closed:
            await client.recv()
        self.assertEqual(closed.exception.code, 1009)

    async def test_no_auth_in_time_closes_with_1008(self):
        ws = await websockets.connect(self.server.url)
        with self.assertRaises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
        self.assertEqual(closed.exception.code, 1008)

    async def test_a_bad_token_gets_auth_failed_and_4001(self):
        ws = await websockets.connect(self.server.url)
        await ws.send(json.dumps({"type": "auth", "protocol": 1, "token": "not.a.token"}))
        error = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        self.assertEqual(error["code"], "AUTH_FAILED")
        with self.assertRaises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
        self.assertEqual(closed.exception.code, 4001)

    async def test_frames_before_auth_get_auth_required(self):
        ws = await websockets.connect(self.server.url)
        await ws.send(json.dumps({"type": "ping"}))
        error = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        self.assertEqual(error["code"], "AUTH_REQUIRED")
        await ws.close()

    async def test_too_many_messages_are_rate_limited_and_the_socket_stays_usable(self):
        client = await Client.connect(self.server)
        await self.chat(client, "one", client_msg_id="a")
        conversation_id = (await client.until("conversation"))["conversation"]["id"]
        for i in range(3):
            await self.chat(client, "more", conversation_id, f"b{i}")
        error = await client.until("error")
        self.assertEqual(error["code"], "RATE_LIMITED")
        self.assertEqual(error["ref"], "b2")
        await client.send({"type": "ping", "id": "still"})
        await client.until("pong", id="still")
        await client.close()

    async def test_invalid_frames_get_their_error_code_and_are_counted_not_logged(self):
        client = await Client.connect(self.server)
        for raw, code in [("{", "BAD_FRAME"), ('{"type":"teleport"}', "UNKNOWN_TYPE"),
                          ('{"type":"message","text":"secret words"}', "MISSING_FIELD")]:
            await client.ws.send(raw)
            self.assertEqual((await client.until("error"))["code"], code)
        _, metrics = self.get("/metrics")
        for code in ("BAD_FRAME", "UNKNOWN_TYPE", "MISSING_FIELD"):
            self.assertIn(f'palaver_errors_total{{code="{code}"}} 1', metrics.decode())
        await client.close()
        self.server.stop()
        # A client's mistakes are its own: logged at debug only, or a hostile one fills the log.
        logged = self.server.logged()
        for code in ("BAD_FRAME", "UNKNOWN_TYPE", "MISSING_FIELD"):
            self.assertNotIn(code, logged)
        self.assertNotIn(client.ready["token"], logged)
        self.assertNotIn("secret words", logged)

    async def test_at_debug_level_client_mistakes_are_logged_without_secrets(self):
        self.server.stop()
        self.server.args += ["--log-level", "debug"]
        self.server.start()
        client = await Client.connect(self.server)
        await client.ws.send('{"type":"message","text":"secret words"}')
        self.assertEqual((await client.until("error"))["code"], "MISSING_FIELD")
        await client.close()
        self.server.stop()
        logged = self.server.logged()
        self.assertIn("MISSING_FIELD", logged)
        self.assertNotIn(client.ready["token"], logged)
        self.assertNotIn("secret words", logged)

    def test_a_page_from_an_unlisted_origin_cannot_open_a_socket(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=TIMEOUT)
        connection.request("GET", "/ws", headers={
            "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Origin": "https://evil.example"})
        self.assertEqual(connection.getresponse().status, 403)
        connection.close()


class Http(ServerTest):
    def extra_config(self):
        # The shop has its own words; \u00e9 is TOML's escape for the é of "vélo".
        return ('[[site]]\nid = "shop"\norigins = ["https://www.example.com"]\n'
                '[site.texts]\ntitle = "Kestrel help"\ngreeting = "Hi! Ask us about your bike."\n'
                '[site.texts.fr]\ngreeting = "Bonjour ! Une question sur votre v\\u00e9lo ?"\n'
                '[[site]]\nid = "portal"\norigins = ["https://portal.example.com"]\n')

    def test_the_demo_page_is_served_compressed_and_cached(self):
        response, body = self.get("/", {"Accept-Encoding": "gzip"})
        self.assertEqual(response.status, 200)
        self.assertEqual(response.headers["Content-Encoding"], "gzip")
        self.assertTrue(response.headers["Content-Type"].startswith("text/html"))
        self.assertIn(b"/palaver.js", gzip.decompress(body))
        self.assertEqual(response.headers["Content-Security-Policy"], "frame-ancestors 'self'")
        again, body = self.get("/", {"If-None-Match": response.headers["ETag"]})
        self.assertEqual(again.status, 304)
        self.assertEqual(body, b"")

    def test_the_protocol_demo_is_served(self):
        response, body = self.get("/protocol.html")
        self.assertEqual(response.status, 200)
        self.assertIn(b"<title>Palaver protocol demo</title>", body)

    def test_the_loader_is_small_and_revalidated_at_every_use(self):
        response, body = self.get("/palaver.js?v=1", {"Accept-Encoding": "gzip"})
        self.assertEqual(response.status, 200)
        self.assertEqual(response.headers["Content-Type"], "text/javascript; charset=utf-8")
        self.assertEqual(response.headers["Cache-Control"], "no-cache")
        self.assertEqual(response.headers["Content-Encoding"], "gzip")
        self.assertLessEqual(len(body), 5 * 1024)  # the budget of docs/embedding.md
        self.assertIsNone(response.headers["Content-Security-Policy"])
        again, _ = self.get("/palaver.js", {"If-None-Match": response.headers["ETag"]})
        self.assertEqual(again.status, 304)

    def test_the_widgets_catalogues_are_served_as_utf8_json(self):
        response, body = self.get("/i18n/fr.json", {"Accept-Encoding": "gzip"})
        self.assertEqual(response.status, 200)
        self.assertEqual(response.headers["Content-Type"], "application/json; charset=utf-8")
        self.assertEqual(response.headers["Content-Encoding"], "gzip")
        catalogue = json.loads(gzip.decompress(body).decode("utf-8"))
        self.assertEqual(catalogue["button_send"], "Envoyer")
        again, _ = self.get("/i18n/fr.json", {"If-None-Match": response.headers["ETag"]})
        self.assertEqual(again.status, 304)
        self.assertEqual(self.get("/i18n/xx.json")[0].status, 404)

    def test_a_sites_own_words_come_with_its_catalogues(self):
        _, built_in = self.get("/i18n/fr.json")
        response, body = self.get("/i18n/fr.json?site=shop", {"Accept-Encoding": "gzip"})
        self.assertEqual(response.status, 200)
        self.assertEqual(response.headers["Content-Type"], "application/json; charset=utf-8")
        self.assertEqual(response.headers["Cache-Control"], "no-cache")
        self.assertEqual(response.headers["Content-Encoding"], "gzip")
        french = json.loads(gzip.decompress(body).decode("utf-8"))
        self.assertEqual(french["greeting"], "Bonjour ! Une question sur votre v\u00e9lo ?")
        self.assertEqual(french["title"], "Kestrel help")
        self.assertEqual(french["button_send"], "Envoyer")  # the rest is the catalogue's
        self.assertNotEqual(json.loads(built_in)["greeting"], french["greeting"])
        again, _ = self.get("/i18n/fr.json?site=shop", {"If-None-Match": response.headers["ETag"]})
        self.assertEqual(again.status, 304)
        # The French greeting is French only; the site's own greeting is every other language's.
        response, body = self.get("/i18n/de.json?site=shop")
        self.assertEqual(response.status, 200)
        german = json.loads(body.decode("utf-8"))
        self.assertEqual(german["greeting"], "Hi! Ask us about your bike.")
        self.assertEqual(german["title"], "Kestrel help")
        # A site without texts, and no site at all: the catalogue as it ships.
        self.assertEqual(self.get("/i18n/fr.json?site=portal")[1], built_in)
        self.assertEqual(self.get("/i18n/fr.json?lang=fr")[1], built_in)
        response, body = self.get("/i18n/fr.json?site=elsewhere")
        self.assertEqual((response.status, body), (404, b"no such site\n"))

    def test_the_widget_page_may_be_framed_by_its_sites_pages_only(self):
        response, body = self.get("/widget.html")
        if response.status == 404 and body == b"not found\n":
            self.skipTest("public/widget.html is not built into the server yet")
        self.assertEqual(response.status, 200)
        # No site: the default site, the first in the file. ([::1] cannot be written in CSP.)
        self.assertEqual(response.headers["Content-Security-Policy"],
                         f"frame-ancestors 'self' http://127.0.0.1:{self.server.port} "
                         f"http://localhost:{self.server.port} "
                         "https://www.example.com")
        response, _ = self.get("/widget.html?site=portal#host=https://www.example.com")
        self.assertEqual(response.status, 200)
        self.assertTrue(response.headers["Content-Security-Policy"].endswith(
            f":{self.server.port} https://portal.example.com"))
        response, body = self.get("/widget.html?site=elsewhere")
        self.assertEqual((response.status, body), (404, b"no such site\n"))

    def test_healthz(self):
        response, body = self.get("/healthz")
        self.assertEqual((response.status, body), (200, b"ok\n"))


class NoDemoPages(ServerTest):
    """`demo_page = false`: a production server shows no demo, and still serves the chat."""
    extra_args = ("--demo-page", "false")

    def test_the_demo_pages_are_gone_and_the_chat_stays(self):
        for path in ["/", "/protocol.html", "/?x=1", "/#x", "/protocol.html#"]:
            self.assertEqual(self.get(path)[0].status, 404, path)
        for path in ["/palaver.js", "/widget.html", "/healthz"]:
            self.assertEqual(self.get(path)[0].status, 200, path)


class FakeUpstream(http.server.ThreadingHTTPServer):
    """An OpenAI-compatible Chat Completions endpoint on 127.0.0.1 that streams SSE."""

    def __init__(self):
        self.requests = []
        self.status = 200
        super().__init__(("127.0.0.1", 0), FakeUpstreamHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def stop(self):
        self.shutdown()
        self.server_close()


class FakeUpstreamHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append((self.path, dict(self.headers), body))
        if self.server.status != 200:
            payload = b'{"error":{"message":"the model is overloaded"}}'
            self.send_response(self.server.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        for piece in ["Bonjour", " depuis", " le", " modèle", "."]:
            chunk = {"choices": [{"delta": {"content": piece}, "finish_reason": None}]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
        end = {"choices": [{"delta": {}, "finish_reason": "stop"}],
               "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}}
        self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
        self.wfile.flush()
        self.close_connection = True


class OpenAiBackend(ServerTest):
    """The `openai` agent against a real HTTP server standing in for the LLM endpoint."""

    def extra_config(self):
        self.upstream = FakeUpstream()
        os.environ["PALAVER_TEST_LLM_KEY"] = "sk-test-123"
        return ('[[agent]]\nname = "gpt"\nkind = "openai"\n'
                f'base_url = "http://127.0.0.1:{self.upstream.server_address[1]}/v1"\n'
                'model = "test-model"\napi_key_env = "PALAVER_TEST_LLM_KEY"\n'
                'system_prompt = "Be brief."\n'
                '[[site]]\nid = "default"\ndefault_agent = "gpt"\n')

    def tearDown(self):
        super().tearDown()
        self.upstream.stop()

    async def test_a_reply_streams_from_the_endpoint(self):
        client = await Client.connect(self.server)
        await self.chat(client, "Say hello in French")
        done = await client.until("done")
        self.assertEqual(done["text"], "Bonjour depuis le modèle.")
        self.assertEqual(done["usage"]["total_tokens"], 17)
        self.assertEqual(reply_of(client.frames), done["text"])
        path, headers, body = self.upstream.requests[0]
        self.assertEqual(path, "/v1/chat/completions")
        self.assertEqual(headers["Authorization"], "Bearer sk-test-123")
        self.assertEqual(body["model"], "test-model")
        self.assertTrue(body["stream"])
        self.assertEqual(body["messages"][0], {"role": "system", "content": "Be brief."})
        self.assertEqual(body["messages"][-1], {"role": "user", "content": "Say hello in French"})
        await client.close()

    async def test_an_upstream_failure_ends_the_reply_with_an_error(self):
        self.upstream.status = 503
        client = await Client.connect(self.server)
        await self.chat(client, "hello?")
        while not {"error", "done"} <= {f["type"] for f in client.frames}:
            await client.recv()
        error = next(f for f in client.frames if f["type"] == "error")
        done = next(f for f in client.frames if f["type"] == "done")
        self.assertEqual(error["code"], "UPSTREAM_ERROR")
        self.assertIn("overloaded", error["message"])
        self.assertEqual(done["finish_reason"], "error")
        await client.close()


class RestApi(ServerTest):
    """The REST API: visitors see their own conversations, the site's backend all of them."""

    def extra_config(self):
        os.environ["PALAVER_TEST_API_KEY"] = API_KEY
        return '[[site]]\nid = "default"\napi_key_env = "PALAVER_TEST_API_KEY"\n'

    def call(self, method, path, token=None, body=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=TIMEOUT)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        payload = json.dumps(body) if body is not None else None
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        connection.close()
        return response.status, json.loads(raw) if raw else None

    def visitor(self):
        status, body = self.call("POST", "/api/v1/visitors")
        self.assertEqual(status, 201)
        return body["token"]

    def test_a_visitor_posts_a_message_and_gets_the_whole_reply(self):
        token = self.visitor()
        status, body = self.call("POST", "/api/v1/messages", token,
                                 {"client_msg_id": "r1", "text": "hi from REST"})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["message"]["text"], "hi from REST")
        self.assertEqual(body["reply"]["text"], "You said: hi from REST")
        self.assertEqual(body["reply"]["status"], "complete")
        conversation_id = body["conversation_id"]
        status, listed = self.call("GET", "/api/v1/conversations", token)
        self.assertEqual([c["id"] for c in listed["conversations"]], [conversation_id])
        status, page = self.call("GET", f"/api/v1/conversations/{conversation_id}/messages", token)
        self.assertEqual([m["role"] for m in page["messages"]], ["assistant", "user"])
        status, again = self.call("POST", f"/api/v1/conversations/{conversation_id}/messages",
                                  token, {"client_msg_id": "r2", "text": "and again"})
        self.assertEqual((status, again["reply"]["text"]), (200, "You said: and again"))

    def test_a_repeated_message_is_answered_at_once_with_the_stored_exchange(self):
        token = self.visitor()
        first = {"client_msg_id": "r1", "text": "did this arrive?"}
        status, body = self.call("POST", "/api/v1/messages", token, first)
        self.assertEqual(status, 200, body)
        started = time.monotonic()
        status, again = self.call("POST", "/api/v1/messages", token, first)
        self.assertLess(time.monotonic() - started, 2)  # not the 120 s reply timeout
        self.assertEqual((status, again), (200, body))
        status, page = self.call(
            "GET", f"/api/v1/conversations/{body['conversation_id']}/messages", token)
        self.assertEqual([m["role"] for m in page["messages"]], ["assistant", "user"])

    def test_two_posts_of_one_message_at_once_store_it_once_and_both_are_answered(self):
        # Both may pass the store look-up before either is stored: then the hub tells the
        # second that it is a repeat, and it is answered from the store like any repeat.
        token = self.visitor()
        first = {"client_msg_id": "twice", "text": "/long"}  # a reply that takes a while
        answers = [None, None]

        def post(i):
            started = time.monotonic()
            answers[i] = (*self.call("POST", "/api/v1/messages", token, first),
                          time.monotonic() - started)

        threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(2 * TIMEOUT)
        statuses = sorted(a[0] for a in answers)
        self.assertIn(statuses, ([200, 200], [200, 202]), answers)
        ids = {a[1]["message"]["id"] for a in answers}
        self.assertEqual(len(ids), 1)  # one message, stored once
        full = next(a for a in answers if a[1].get("reply", {}).get("status") == "complete")
        quick = min(answers, key=lambda a: a[2])
        self.assertLess(quick[2], full[2])  # the repeat did not wait for the whole reply
        status, page = self.call(
            "GET", f"/api/v1/conversations/{full[1]['conversation_id']}/messages", token)
        self.assertEqual([m["role"] for m in page["messages"]], ["assistant", "user"])

    async def test_a_visitor_may_reuse_an_operators_client_msg_id_and_loses_nothing(self):
        client = await Client.connect(self.server)
        await self.chat(client, "hello", client_msg_id="m1")
        conversation_id = (await client.until("conversation"))["conversation"]["id"]
        await client.until("done")
        path = f"/api/v1/conversations/{conversation_id}/messages"
        status, operator = self.call("POST", path, API_KEY,
                                     {"client_msg_id": "op-1", "text": "Ana here", "author": "Ana"})
        self.assertEqual(status, 201)
        await client.until("message")
        await self.chat(client, "my own words", conversation_id, "op-1")
        ack = await client.until("ack", client_msg_id="op-1")
        self.assertNotEqual(ack["message_id"], operator["id"])
        await client.until("done")
        _, page = self.call("GET", path, API_KEY)
        texts = [m["text"] for m in page["messages"] if m["role"] in ("user", "operator")]
        self.assertEqual(texts, ["my own words", "Ana here", "hello"])
        await client.close()

    def test_visitors_see_only_their_own_and_the_site_backend_sees_all(self):
        alice, bob = self.visitor(), self.visitor()
        _, posted = self.call("POST", "/api/v1/messages", alice, {"client_msg_id": "a",
                                                                   "text": "alice here"})
        alices = posted["conversation_id"]
        self.call("POST", "/api/v1/messages", bob, {"client_msg_id": "b", "text": "bob here"})
        for method, path in [("GET", f"/api/v1/conversations/{alices}"),
                             ("GET", f"/api/v1/conversations/{alices}/messages"),
                             ("DELETE", f"/api/v1/conversations/{alices}")]:
            self.assertEqual(self.call(method, path, bob)[0], 404, path)
        status, listed = self.call("GET", "/api/v1/conversations",
                                   API_KEY)
        self.assertEqual((status, len(listed["conversations"])), (200, 2))
        self.assertEqual(self.call("GET", "/api/v1/conversations")[0], 401)
        self.assertEqual(self.call("GET", "/api/v1/conversations", "forged.token.here")[0], 401)

    async def test_the_site_backend_pushes_a_notification_to_open_sockets(self):
        client = await Client.connect(self.server)
        await self.chat(client, "hello")
        conversation_id = (await client.until("conversation"))["conversation"]["id"]
        await client.until("done")
        status, _ = self.call("POST", f"/api/v1/conversations/{conversation_id}/notifications",
                              API_KEY,
                              {"level": "info", "text": "An agent will join shortly."})
        self.assertEqual(status, 202)
        note = await client.until("notification")
        self.assertEqual(note["text"], "An agent will join shortly.")
        status, _ = self.call("POST", f"/api/v1/conversations/{conversation_id}/notifications",
                              client.ready["token"], {"level": "info", "text": "spoof"})
        self.assertEqual(status, 403)
        await client.close()

    def test_create_and_delete_a_conversation(self):
        token = self.visitor()
        status, created = self.call("POST", "/api/v1/conversations", token)
        self.assertEqual((status, created["agent"]), (201, "echo"))
        path = f"/api/v1/conversations/{created['id']}"
        self.assertEqual(self.call("GET", path, token)[0], 200)
        self.assertEqual(self.call("DELETE", path, token)[0], 204)
        self.assertEqual(self.call("GET", path, token)[0], 404)

    async def test_an_operator_joins_the_conversation_and_the_agent_lets_them_speak(self):
        client = await Client.connect(self.server)
        await self.chat(client, "I want a human")
        conversation_id = (await client.until("conversation"))["conversation"]["id"]
        await client.until("done")
        path = f"/api/v1/conversations/{conversation_id}/messages"
        operator = {"client_msg_id": "op-1", "text": "Hi, Ana from support here.",
                    "author": "Ana"}
        status, stored = self.call("POST", path, API_KEY, operator)
        self.assertEqual((status, stored["role"], stored["author"]), (201, "operator", "Ana"))
        shown = await client.until("message")
        self.assertEqual(shown["message"], stored)
        self.assertEqual(self.call("POST", path, API_KEY, operator), (201, stored))  # a resend
        # The agent does not answer the operator: the next reply answers the visitor.
        await self.chat(client, "thanks", conversation_id, "m2")
        after_operator = []
        while (frame := await client.recv())["type"] != "done":
            after_operator.append(frame)
        self.assertEqual(frame["text"], "You said: thanks")
        roles = [f["message"]["role"] for f in after_operator if f["type"] == "message"]
        self.assertEqual(roles, ["user", "assistant"])
        _, page = self.call("GET", path, API_KEY)
        self.assertEqual([m["role"] for m in page["messages"]],
                         ["assistant", "user", "operator", "assistant", "user"])
        status, _ = self.call("POST", "/api/v1/conversations/c_nosuchconversation00000/messages",
                              API_KEY, operator)
        self.assertEqual(status, 404)
        await client.close()

    def test_a_visitor_rates_a_reply_and_nobody_else_can(self):
        alice, bob = self.visitor(), self.visitor()
        _, posted = self.call("POST", "/api/v1/messages", alice, {"client_msg_id": "a",
                                                                   "text": "rate me"})
        reply_id = posted["reply"]["id"]
        rating = {"message_id": reply_id, "rating": -1, "comment": "too short"}
        self.assertEqual(self.call("POST", "/api/v1/feedback", alice, rating)[0], 204)
        _, page = self.call("GET", f"/api/v1/conversations/{posted['conversation_id']}/messages",
                            alice)
        self.assertEqual(page["messages"][0]["rating"], -1)
        self.assertEqual(self.call("POST", "/api/v1/feedback", bob, rating)[0], 404)
        self.assertEqual(self.call("POST", "/api/v1/feedback", API_KEY, rating)[0], 403)
        status, error = self.call("POST", "/api/v1/feedback", alice, {**rating, "rating": 5})
        self.assertEqual((status, error["code"]), (400, "BAD_FIELD"))

    async def test_deleting_a_conversation_stops_its_reply_and_tells_open_sockets(self):
        client = await Client.connect(self.server)
        await self.chat(client, "/long")
        conversation_id = (await client.until("conversation"))["conversation"]["id"]
        await client.until("delta")
        path = f"/api/v1/conversations/{conversation_id}"
        self.assertEqual(self.call("DELETE", path, client.ready["token"])[0], 204)
        gone = await client.until("error", conversation_id=conversation_id)
        self.assertEqual(gone["code"], "NOT_FOUND")
        self.assertEqual(self.call("GET", path, client.ready["token"])[0], 404)
        # Nothing more of the reply comes, and the socket keeps working.
        await client.send({"type": "ping", "id": "after"})
        rest = []
        while (frame := await client.recv())["type"] != "pong":
            rest.append(frame["type"])
        self.assertNotIn("done", rest)
        await asyncio.sleep(0.3)
        await client.send({"type": "ping", "id": "later"})
        self.assertEqual((await client.recv()), {"type": "pong", "id": "later"})
        await client.close()


if __name__ == "__main__":
    unittest.main()
