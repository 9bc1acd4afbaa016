"""Runs a command against a fresh palaver server: starts the binary on 127.0.0.1 with an
ephemeral port, its own temporary database and config, passes its URL to the command as
PALAVER_URL, and stops the server afterwards (SIGTERM, then SIGKILL), whatever happens.

    with_server.py <palaver binary> [--reserve NAME=HOST]... [--config TEMPLATE] -- <command...>

--reserve picks a free port on HOST for a server the command itself will run (a proxy, a
second origin's page) and passes it as PALAVER_<NAME>_PORT; the config TEMPLATE (TOML) may
name it as {NAME}, so that palaver can list that server's origin before it exists.
Exits with the command's status (124 when the server does not start in time).
"""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile

START_TIMEOUT = 15  # seconds


def free_port(host):
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def main(argv):
    if "--" not in argv or len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    split = argv.index("--")
    binary, options, command = argv[1], argv[2:split], argv[split + 1:]
    config_text, ports = "", {}
    for flag, value in zip(options[::2], options[1::2]):
        if flag == "--reserve":
            name, host = value.split("=", 1)
            ports[name] = free_port(host)
        elif flag == "--config":
            with open(value) as f:
                config_text = f.read()
    config_text = config_text.format(**ports)
    with tempfile.TemporaryDirectory() as directory:
        config = os.path.join(directory, "palaver.toml")
        with open(config, "w") as f:
            f.write(config_text)
        log_path = os.path.join(directory, "palaver.log")
        with open(log_path, "w") as log:
            server = subprocess.Popen(
                [binary, "serve", "--port", "0", "--config", config,
                 "--database", os.path.join(directory, "palaver.db")],
                stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            line = server.stdout.readline()
            match = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
            if not match:
                print("palaver did not start: " + line, file=sys.stderr)
                return 124
            environment = dict(os.environ, PALAVER_URL=match.group(1))
            for name, port in ports.items():
                environment[f"PALAVER_{name.upper()}_PORT"] = str(port)
            return subprocess.call(command, env=environment)
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            server.stdout.close()
            with open(log_path) as log:
                tail = log.read()[-2000:]
            if tail.strip():
                print("--- palaver's log (end) ---\n" + tail, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
