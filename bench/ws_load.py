#!/usr/bin/env python3
"""Drives bench/ws_load against a real palaver over loopback and prints a table of figures.

It owns one palaver process (a temporary directory with its TOML config and SQLite file), the
ws_load runs and the table; with --latency, a second palaver and the stamping upstream behind
it. Single-threaded but for the upstream's own threads: it waits for each child in turn. The server is
stopped with SIGTERM (then killed) on every way out, errors included. Stdlib only.

    cmake --build build --target palaver ws_load &&
      python3 bench/ws_load.py build/server/palaver build/bench/ws_load

Steps: start the server (echo agent streaming as fast as it can, rate limits raised for the
load) and wait for /healthz; idle memory first, on the fresh server (VmRSS before and after
--idle connections); then for each client count a timed run, with /metrics and the server's
CPU time (/proc/PID/stat) read before and after it.

With --latency: a second server whose agent is `openai`, pointed at an upstream here that
streams replies at a steady pace, each delta's text being the CLOCK_MONOTONIC time at which it
was written; ws_load --latency records when each arrives. The delay covers the server's whole
path (HTTP client, SSE parser, hub, socket) plus loopback twice and the client's decoding.
"""

import argparse
import http.client
import http.server
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
WAIT = 15  # seconds any single wait for the server may take

# Counters read from /metrics around each run. A missing one is simply not printed: builds
# before the coalescing write layer do not count their socket writes.
FRAMES_SENT = "palaver_frames_sent_total"
DELTAS_STREAMED = "palaver_tokens_streamed_total"
SOCKET_WRITES = "palaver_websocket_writes_total"


def config_text(args):
    return f"""# Written by bench/ws_load.py: a server tuned to be measured, not to be safe.
[server]
listen = "127.0.0.1"
port = 0
threads = {args.server_threads}
log_level = "warn"
demo_page = false

[limits]
messages_per_minute_per_socket = 10000
messages_per_minute_per_identity = 100000
frames_per_second_per_socket = 10000
sockets_per_identity = 1000
# Every client connects from 127.0.0.1: one address holds all of the idle sockets.
max_connections_per_address = 100000
max_connections = 100000
# Replies stream faster than a loaded socket drains them: no socket is dropped for it here.
outgoing_queue_bytes = 268435456
# A quiet socket gives its write buffers back at its timer's first tick (a ping interval):
# short here, so the idle figure is taken after it.
ping_interval_seconds = 1

[[agent]]
name = "echo"
kind = "echo"
words_per_second = {args.words_per_second}
"""


class Server:
    """One palaver process on an ephemeral port of 127.0.0.1."""

    def __init__(self, binary, directory, config, preload=None):
        self.directory = directory
        self.config = os.path.join(directory, "palaver.toml")
        with open(self.config, "w") as f:
            f.write(config)
        self.log = os.path.join(directory, "palaver.log")
        self.args = [binary, "serve", "--config", self.config,
                     "--database", os.path.join(directory, "palaver.db")]
        self.env = dict(os.environ, LD_PRELOAD=os.path.abspath(preload)) if preload else None
        self.process = None
        self.port = None

    def start(self):
        with open(self.log, "a") as log:  # a file, not a pipe: a full pipe would block it
            self.process = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=log,
                                            text=True, env=self.env)
        line = self.process.stdout.readline()  # "palaver listening on http://127.0.0.1:PORT/"
        match = re.search(r":(\d+)/", line)
        if not match:
            raise RuntimeError("palaver did not start: " + line + self.logged())
        self.port = int(match.group(1))
        deadline = time.monotonic() + WAIT
        while True:
            try:
                if self.get("/healthz")[0] == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("palaver never answered /healthz\n" + self.logged())
            time.sleep(0.05)

    def get(self, path):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=WAIT)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.read().decode()
        finally:
            connection.close()

    def metrics(self):
        """Every sample of /metrics, summed over labels: {name: value}."""
        status, body = self.get("/metrics")
        if status != 200:
            raise RuntimeError(f"/metrics answered {status}")
        out = {}
        for line in body.splitlines():
            if not line or line.startswith("#"):
                continue
            name_and_labels, _, value = line.rpartition(" ")
            name = name_and_labels.split("{", 1)[0]
            try:
                out[name] = out.get(name, 0.0) + float(value)
            except ValueError:
                pass
        return out

    def cpu_seconds(self):
        """utime + stime of the server process, all threads."""
        with open(f"/proc/{self.process.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # fields 14 and 15 of stat

    def rss_bytes(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS in /proc/PID/status")

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(WAIT)
            except subprocess.TimeoutExpired:
                print("palaver did not stop on SIGTERM: killed", file=sys.stderr)
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()

    def allocations(self):
        """The server's heap allocations so far, from the preloaded alloc_count (SIGUSR2)."""
        reported = self.logged_lines("alloc_count ")
        self.process.send_signal(signal.SIGUSR2)
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            lines = self.logged_lines("alloc_count ")
            if len(lines) > len(reported):
                return int(lines[-1].split()[1])
            time.sleep(0.01)
        raise RuntimeError("alloc_count did not answer SIGUSR2: is it preloaded?")

    def logged_lines(self, prefix):
        with open(self.log) as f:
            return [line for line in f if line.startswith(prefix)]

    def logged(self):
        try:
            with open(self.log) as f:
                return f.read()[-4000:]
        except OSError:
            return ""


class StampingUpstream(http.server.ThreadingHTTPServer):
    """An OpenAI-compatible endpoint on 127.0.0.1 whose deltas say when they were sent."""

    daemon_threads = True
    request_queue_size = 256  # a reply per client starts at once: the default backlog is 5

    def __init__(self, tokens, per_second):
        self.tokens, self.interval = tokens, 1.0 / per_second
        super().__init__(("127.0.0.1", 0), StampingHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def stop(self):
        self.shutdown()
        self.server_close()


class StampingHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        # Like a real endpoint's streaming: each delta leaves when written, not after an ACK.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        start = time.monotonic()
        try:
            for i in range(self.server.tokens):
                time.sleep(max(0.0, start + i * self.server.interval - time.monotonic()))
                chunk = {"choices": [{"delta": {"content": f"{time.monotonic_ns()} "},
                                      "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
            end = {"choices": [{"delta": {}, "finish_reason": "stop"}]}
            self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
            self.wfile.flush()
        except OSError:
            pass  # the reply was cancelled: the server closed the request
        self.close_connection = True


def latency_config(args, upstream):
    return config_text(args) + f"""
[[agent]]
name = "stamp"
kind = "openai"
base_url = "http://127.0.0.1:{upstream.server_address[1]}/v1"
model = "stamp"

[[site]]
id = "default"
default_agent = "stamp"
"""


def latency_runs(args, counts):
    """ws_load --latency against a server whose agent is the stamping upstream."""
    upstream = StampingUpstream(args.latency_tokens, args.latency_rate)
    try:
        with tempfile.TemporaryDirectory(prefix="palaver-ws-latency-") as directory:
            server = Server(args.palaver, directory, latency_config(args, upstream))
            try:
                server.start()
                for clients in counts:
                    run = subprocess.run(
                        [args.ws_load, "--port", str(server.port), "--clients", str(clients),
                         "--seconds", str(args.seconds), "--text", "stamp", "--latency"],
                        capture_output=True, text=True, timeout=args.seconds + 90)
                    if run.returncode != 0:
                        raise RuntimeError(f"ws_load --latency failed ({run.returncode}):\n"
                                           + run.stdout + run.stderr + "\nserver log:\n"
                                           + server.logged())
                    r = result_of(run.stdout)
                    print(f"{clients:>7} {r['deltas_per_second']:>10.0f} "
                          f"{r['latency_samples']:>8} {r['latency_p50_us']:>8.0f} "
                          f"{r['latency_p99_us']:>8.0f} {r['latency_p999_us']:>8.0f} "
                          f"{r['latency_max_us']:>8.0f}")
            finally:
                server.stop()
    finally:
        upstream.stop()


def result_of(output):
    for line in reversed(output.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError("ws_load printed no RESULT line:\n" + output)


def load_run(server, ws_load, clients, seconds):
    """One timed run; returns ws_load's figures plus the server's, over the same interval."""
    allocations_before = server.allocations() if server.env else None
    before, cpu_before, wall_before = server.metrics(), server.cpu_seconds(), time.monotonic()
    run = subprocess.run([ws_load, "--port", str(server.port), "--clients", str(clients),
                          "--seconds", str(seconds)],
                         capture_output=True, text=True, timeout=seconds + 90)
    wall_after, cpu_after, after = time.monotonic(), server.cpu_seconds(), server.metrics()
    allocations_after = server.allocations() if server.env else None
    sys.stdout.write(run.stdout.splitlines()[0] + "\n" if run.stdout else "")
    if run.returncode != 0:
        raise RuntimeError(f"ws_load --clients {clients} failed ({run.returncode}):\n"
                           + run.stdout + run.stderr + "\nserver log:\n" + server.logged())
    figures = result_of(run.stdout)
    delta = {name: after[name] - before.get(name, 0.0) for name in after}
    figures["server_cpu_seconds"] = cpu_after - cpu_before
    figures["server_wall_seconds"] = wall_after - wall_before
    figures["frames_sent"] = delta.get(FRAMES_SENT, 0.0)
    figures["deltas_streamed"] = delta.get(DELTAS_STREAMED, 0.0)
    figures["socket_writes"] = delta.get(SOCKET_WRITES)
    figures["allocations"] = (allocations_after - allocations_before
                              if allocations_before is not None else None)
    return figures


def idle_run(server, ws_load, count):
    """RSS before and after `count` idle authenticated connections; bytes per connection."""
    def hold(n):
        process = subprocess.Popen([ws_load, "--port", str(server.port), "--idle", str(n),
                                    "--seconds", "60"], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        try:
            line = process.stdout.readline()  # "idle: N open ..." once all are ready
            if not line.startswith("idle:"):
                process.wait(WAIT)
                raise RuntimeError(f"ws_load --idle {n} failed:\n{line}{process.stderr.read()}")
            # Let the server settle: its store writes each visitor, and each socket's timer
            # ticks once (ping_interval_seconds).
            time.sleep(1.5)
            rss = server.rss_bytes()
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                out, err = process.communicate(timeout=WAIT)
            except subprocess.TimeoutExpired:
                process.kill()
                out, err = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"ws_load --idle {n} failed ({process.returncode}):\n{out}{err}")
        return rss

    hold(10)  # a first few connections pay one-time costs (lazy set-up, first pages)
    time.sleep(0.5)
    before = server.rss_bytes()
    with_idle = hold(count)
    return before, with_idle


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("palaver", help="the server binary, e.g. build/server/palaver")
    parser.add_argument("ws_load", help="the load generator, e.g. build/bench/ws_load")
    parser.add_argument("--seconds", type=float, default=10, help="each timed run (10)")
    parser.add_argument("--clients", default="1,10,100", help="client counts (1,10,100)")
    parser.add_argument("--idle", type=int, default=1000, help="idle connections (1000)")
    parser.add_argument("--server-threads", type=int, default=1,
                        help="the server's I/O threads (1: on 2 cores, the other is the client's)")
    parser.add_argument("--words-per-second", type=int, default=0,
                        help="echo agent speed; 0 streams each word as soon as it can (0)")
    parser.add_argument("--count-allocations", metavar="LIB",
                        help="preload this alloc_count library (build/bench/liballoc_count.so) "
                             "into the server and print its heap allocations per delta")
    parser.add_argument("--latency", action="store_true",
                        help="also measure each delta's delay from an upstream to the client")
    parser.add_argument("--latency-rate", type=float, default=50,
                        help="deltas per second of each upstream reply (50)")
    parser.add_argument("--latency-tokens", type=int, default=200,
                        help="deltas per upstream reply (200)")
    args = parser.parse_args()
    counts = [int(c) for c in args.clients.split(",") if c]

    with tempfile.TemporaryDirectory(prefix="palaver-ws-load-") as directory:
        server = Server(args.palaver, directory, config_text(args), args.count_allocations)
        try:
            server.start()
            print(f"palaver pid {server.process.pid} on 127.0.0.1:{server.port}, "
                  f"{args.server_threads} I/O thread(s), echo words_per_second = "
                  f"{args.words_per_second}, text /long; {os.cpu_count()} cores")

            rss_before, rss_idle = idle_run(server, args.ws_load, args.idle)
            print(f"idle: VmRSS {rss_before / 2**20:.1f} MiB -> {rss_idle / 2**20:.1f} MiB "
                  f"with {args.idle} connections")

            rows = [load_run(server, args.ws_load, n, args.seconds) for n in counts]
        finally:
            server.stop()

    writes_metric = any(r["socket_writes"] is not None for r in rows)
    print()
    header = (f"{'clients':>7} {'deltas/s':>10} {'frames/s':>10} {'MB/s':>7} {'replies':>8} "
              f"{'rate-lim':>8} {'srv CPU%':>8} {'cli CPU%':>8} {'CPU-us/delta':>12} "
              f"{'frames sent':>11}")
    if writes_metric:
        header += f" {'writes':>10} {'frames/write':>12}"
    if args.count_allocations:
        header += f" {'allocs/delta':>12}"
    print(header)
    for r in rows:
        streamed = r["deltas_streamed"] or r["deltas"]
        line = (f"{r['clients']:>7} {r['deltas_per_second']:>10.0f} "
                f"{r['frames_per_second']:>10.0f} {r['megabytes_per_second']:>7.2f} "
                f"{r['replies']:>8} {r['rate_limited']:>8} "
                f"{100 * r['server_cpu_seconds'] / r['server_wall_seconds']:>8.0f} "
                f"{100 * r['client_cpu_seconds'] / r['seconds']:>8.0f} "
                f"{1e6 * r['server_cpu_seconds'] / streamed if streamed else 0:>12.2f} "
                f"{r['frames_sent']:>11.0f}")
        if writes_metric:
            writes = r["socket_writes"] or 0
            line += f" {writes:>10.0f} {r['frames_sent'] / writes if writes else 0:>12.2f}"
        if args.count_allocations:
            line += f" {r['allocations'] / streamed if streamed else 0:>12.2f}"
        print(line)
    print()
    print(f"idle memory: {(rss_idle - rss_before) / args.idle:.0f} bytes of server VmRSS per "
          f"idle authenticated connection ({args.idle} connections)")
    if not writes_metric:
        print(f"frames per socket write: not available (no {SOCKET_WRITES} in /metrics)")
    print("CPU-us/delta: server utime+stime over the whole ws_load process (connect and drain "
          "included) / palaver_tokens_streamed_total over the same interval")
    if args.count_allocations:
        print("allocs/delta: the server's heap allocations (every thread) over the same "
              "interval / palaver_tokens_streamed_total")
    if args.latency:
        print()
        print(f"latency: each upstream reply streams {args.latency_tokens} deltas at "
              f"{args.latency_rate:g}/s through the `openai` agent; delay from the upstream's "
              "write to ws_load's read, in microseconds")
        print(f"{'clients':>7} {'deltas/s':>10} {'samples':>8} {'p50':>8} {'p99':>8} "
              f"{'p99.9':>8} {'max':>8}")
        latency_runs(args, counts)


if __name__ == "__main__":
    try:
        main()
    except (RuntimeError, OSError, subprocess.SubprocessError) as error:
        print(f"ws_load.py: {error}", file=sys.stderr)
        sys.exit(1)
