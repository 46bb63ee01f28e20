"""A pre-imported acctctl for tests that run many acctctl commands in a shell (the docs).

Every acctctl process spends most of its CPU on imports (about half a second on the
2-core CI machine; docs/performance.md), and the docs tests run about 280 commands. Here one
server process per pytest worker imports acctctl and everything its commands import, once,
and then forks a child per command. The `acctctl` the shell finds first on PATH is a small
stdlib-only client (`python -S`): it hands the server its argv, environment, working
directory and its standard input, output and error (the file descriptors themselves, over
a Unix socket), and exits with the child's exit code. The child runs acctctl's own `main()`
exactly as the installed entry point does, on the caller's descriptors, so redirections,
pipes and exit codes are the shell's own; only the imports were done before.

What it does not give is a fresh interpreter: acctctl keeps no state at import time (no
module reads the environment or a file when imported; tests/test_launcher.py checks that
commands run through it print and exit as the installed entry point does), and the real
entry point is still what every other subprocess test, and the newcomer's README run, use.

    python tests/launcher.py serve SOCKET      # the server (started by `Launcher`)
    tests/launcher.py-made `acctctl` script     # the client (written by `Launcher`)
"""

from __future__ import annotations

import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

#: ACCTCTL_TEST_LAUNCHER=0: every test that would go through the launcher starts the
#: installed entry point instead (a whole run of the suite that way checks the launcher hides
#: nothing)
USE = os.environ.get("ACCTCTL_TEST_LAUNCHER", "1") != "0"

#: the signals a terminal, a shell or a test sends a process: the client passes them on
FORWARDED = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGWINCH", "SIGUSR1", "SIGUSR2",
             "SIGCONT", "SIGTSTP")

#: the client: stdlib only, started with -S -E so that it costs a few milliseconds
CLIENT = r'''
import json, os, signal, socket, struct, sys
path = {socket_path!r}
client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
client.connect(path)
request = json.dumps({{"argv": sys.argv[1:], "env": dict(os.environ), "cwd": os.getcwd(),
                       "sigint_ignored": signal.getsignal(signal.SIGINT) == signal.SIG_IGN}})
request = request.encode()
socket.send_fds(client, [struct.pack("!I", len(request)) + request], [0, 1, 2])


def receive():
    data = b""
    while len(data) < 4:
        chunk = client.recv(4 - len(data))
        if not chunk:
            sys.stderr.write("acctctl (test launcher): the command ended without an exit code\n")
            os._exit(255)
        data += chunk
    return struct.unpack("!i", data)[0]


pid = receive()


def forward(signum, frame):
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


for name in {forwarded!r}:
    if signal.getsignal(getattr(signal, name)) != signal.SIG_IGN:
        signal.signal(getattr(signal, name), forward)
status = receive()
if status < 0:  # ended by a signal: end the same way
    signal.signal(-status, signal.SIG_DFL)
    os.kill(os.getpid(), -status)
os._exit(status & 0xFF)
'''


def _preload() -> None:
    """Import acctctl's CLI and every module a command imports when it runs."""
    import importlib
    import pkgutil

    import acctctl

    for info in pkgutil.walk_packages(acctctl.__path__, "acctctl."):
        # the Alembic environment runs migrations when imported; __main__ runs the CLI
        if info.name.startswith("acctctl.db.migrations") or info.name == "acctctl.__main__":
            continue
        importlib.import_module(info.name)
    _prebuild()
    share_pymysql_tls_context()
    for name in ("psycopg", "pymysql", "sqlalchemy.dialects.postgresql",
                 "sqlalchemy.dialects.mysql", "sqlalchemy.dialects.sqlite", "argon2",
                 "email_validator", "alembic.command", "alembic.runtime.migration"):
        try:
            importlib.import_module(name)
        except ImportError:  # an optional driver not installed
            pass


def share_pymysql_tls_context() -> None:
    """PyMySQL makes a new TLS context for every MariaDB connection without TLS options (its
    PREFERRED mode), reading the system's whole CA bundle each time (60 ms on the CI
    machine; a sixth of the ASTPP tests' CPU), though it verifies no certificate with it
    (CERT_NONE). Test processes open hundreds of connections: they make that context once
    and share it (acctctl's own processes open one or two)."""
    try:
        from pymysql.connections import Connection
    except ImportError:  # the driver is optional
        return
    make = Connection._create_ssl_ctx
    if getattr(make, "shared", False):
        return
    made: list = []

    def create_ssl_ctx(self, sslp):
        if sslp != {}:
            return make(self, sslp)
        if not made:
            made.append(make(self, sslp))
        return made[0]

    create_ssl_ctx.shared = True
    Connection._create_ssl_ctx = create_ssl_ctx


def _prebuild() -> None:
    """Build every Click command of acctctl's tree once (a process builds the ones it runs,
    tens of milliseconds each), and have the children's main() find the built tree."""
    import typer.main
    from typer._click import Context

    from acctctl.cli.app import app

    root = typer.main.get_command(app)

    def walk(command, ctx) -> None:
        for name in command.list_commands(ctx):
            child = command.get_command(ctx, name)
            if hasattr(child, "list_commands"):
                walk(child, Context(child, parent=ctx, info_name=name))

    walk(root, Context(root, info_name="acctctl"))
    build = typer.main.get_command
    typer.main.get_command = lambda typer_app: root if typer_app is app else build(typer_app)


def _receive(conn: socket.socket) -> tuple[dict, list[int]]:
    import json

    data, fds, _flags, _addr = socket.recv_fds(conn, 1 << 20, 3)
    (length,) = struct.unpack("!I", data[:4])
    body = data[4:]
    while len(body) < length:
        chunk = conn.recv(length - len(body))
        if not chunk:
            raise EOFError
        body += chunk
    return json.loads(body), fds


def _run_child(request: dict, fds: list[int]) -> None:
    """In the forked child: become the caller's acctctl process, run main(), exit."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN if request.get("sigint_ignored")
                  else signal.default_int_handler)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = ["acctctl", *request["argv"]]
    import random

    random.seed()  # a fork shares the parent's state
    code = 0
    try:
        from acctctl.cli import main

        main()
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        if not isinstance(stop.code, int | None):
            print(stop.code, file=sys.stderr)
    except BaseException:  # what the interpreter would print and exit 1 for
        import traceback

        traceback.print_exc()
        code = 1
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def _watch(conn: socket.socket, request: dict, fds: list[int]) -> None:
    """In the forked watcher: fork the command, tell the client its pid (signals go to it),
    wait for it, and tell its exit status: a code, or minus the signal that ended it."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    status = 255
    try:
        pid = os.fork()
        if pid == 0:
            conn.close()
            _run_child(request, fds)
        for fd in fds:
            os.close(fd)
        conn.sendall(struct.pack("!i", pid))
        _, raw = os.waitpid(pid, 0)
        status = (-os.WTERMSIG(raw) if os.WIFSIGNALED(raw) else os.WEXITSTATUS(raw))
        conn.sendall(struct.pack("!i", status))
    finally:
        os._exit(0)


def serve(path: str) -> None:
    _preload()
    import gc

    gc.collect()
    gc.freeze()  # what every child shares is never walked by the children's collections
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the children reap themselves
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(16)
    server.settimeout(5)
    parent = os.getppid()
    print("ready", flush=True)
    while True:
        try:
            conn, _ = server.accept()
        except TimeoutError:
            if os.getppid() != parent:  # the pytest worker is gone: so is its launcher
                return
            continue
        conn.settimeout(None)
        try:
            request, fds = _receive(conn)
        except (OSError, EOFError, ValueError):
            conn.close()
            continue
        if os.fork() == 0:
            server.close()
            _watch(conn, request, fds)
        for fd in fds:
            os.close(fd)
        conn.close()


class Launcher:
    """The server of one pytest worker, and a bin directory whose `acctctl` is its client."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="acctctl-launcher-"))
        self.socket = str(self.dir / "s")
        self.bin = self.dir / "bin"
        self.bin.mkdir()
        script = self.bin / "acctctl"
        script.write_text(f"#!{sys.executable} -SE\n"
                          + CLIENT.format(socket_path=self.socket, forwarded=FORWARDED))
        script.chmod(0o755)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("ACCTCTL_", "PYTEST_"))}
        self.process = subprocess.Popen(
            [sys.executable, __file__, "serve", self.socket], stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, env=env, cwd=self.dir, text=True)
        if self.process.stdout.readline().strip() != "ready":  # it failed to start
            self.close()
            raise RuntimeError("the acctctl test launcher did not start")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        import shutil

        shutil.rmtree(self.dir, ignore_errors=True)


_shared: Launcher | None = None


def shared() -> Launcher:
    """This process's launcher, started on first use and ended when the process ends."""
    global _shared
    if _shared is None or _shared.process.poll() is not None:
        _shared = Launcher()
        import atexit

        atexit.register(_shared.close)
    return _shared


def acctctl_argv() -> list[str]:
    """The start of an argv that runs acctctl as a process of its own: through this
    process's launcher (pre-imported, forked), or the installed entry point under
    ACCTCTL_TEST_LAUNCHER=0. Either way a real process, with its own pid, descriptors,
    exit status and signals (the launcher's client passes them on to the command)."""
    if not USE:
        return [sys.executable, "-m", "acctctl"]
    return [str(shared().bin / "acctctl")]


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(sys.argv[2])
    else:
        raise SystemExit("usage: python tests/launcher.py serve SOCKET")
