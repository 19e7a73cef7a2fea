"""One dbt process for a whole orchestrated run: dbt imported and the project parsed once, each command a fork.

A `dbt build` typed at a terminal pays dbt's start-up before it builds anything:
Python imports dbt and its adapter, then dbt reads the project (seconds each).
The transform DAG builds one node per task; paid once per task, that start-up
was most of the run. A session pays it once:

- `start_session` starts this module as a process of its own. It imports dbt,
  parses the project (writing target/manifest.json, which the build plan reads)
  and waits on a port of 127.0.0.1, ready for commands.
- `run_in_session` sends it one dbt command. The session forks, and the fork runs
  it with dbt's programmatic runner on the manifest parsed at the start
  (`dbtRunner(manifest=...)`): no import, no parse. Forks run side by side (on
  Snowflake several models of a generation build at once), and none can leave
  dbt's state behind for the next. dbt's output comes back line by line.
- `stop_session` ends it; so does an hour without a command.

The session itself never opens the warehouse (a parse needs no connection):
each fork opens the DuckDB file for its command and closes it when it exits, so
between commands other processes (the load, a notebook) can open it. A random
token, known only to the run that started the session, must come with each
command.
"""

from __future__ import annotations

import functools
import gc
import json
import os
import secrets
import signal
import socket
import socketserver
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import PipelineError
from ..settings import Settings
from .dbt_runner import dbt_environment, dbt_failed, run_results_path, session_routes

IDLE_SECONDS = 3600
START_TIMEOUT_SECONDS = 600  # the parse, on a slow machine
SESSION_DIR = "session"  # under dbt's target folder: the session's log and its ready file


@dataclass(frozen=True)
class Session:
    """How a task reaches the session (it travels between tasks as a dict)."""

    pid: int
    port: int
    token: str

    def to_dict(self) -> dict:
        return asdict(self)


def start_session(settings: Settings) -> Session:
    """Start a session, wait until it has parsed the project, and return how to reach it."""
    folder = run_results_path(settings).parent / SESSION_DIR
    folder.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(16)
    ready = folder / f"ready-{token}.json"
    log_path = folder / "session.log"
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(ready)],
            # No colour codes: the output lands in an orchestrator's task logs.
            env={**dbt_environment(settings), "DBT_SESSION_TOKEN": token, "DBT_USE_COLORS": "false"},
            cwd=settings.dbt_dir,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not ready.is_file():
        if process.poll() is not None or time.monotonic() > deadline:
            stop_session(Session(process.pid, 0, token))
            tail = log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
            raise PipelineError(f"the dbt session did not start (its log, {log_path}):\n{tail}")
        time.sleep(0.2)
    port = json.loads(ready.read_text(encoding="utf-8"))["port"]
    ready.unlink()
    print(f"dbt session started: process {process.pid}, port {port}, log {log_path}")
    return Session(process.pid, port, token)


def run_in_session(session: Session, *args: str) -> None:
    """Run one dbt command in the session, printing dbt's output; raise PipelineError if it fails."""
    returncode, _ = run_in_session_with_status(session, *args)
    if returncode != 0:
        raise dbt_failed(*args)


def run_in_session_with_status(session: Session, *args: str) -> tuple[int, str]:
    """Run one dbt command in the session, printing dbt's output and keeping it: (exit code, output)."""
    try:
        connection = socket.create_connection(("127.0.0.1", session.port), timeout=30)
    except OSError:
        raise PipelineError(
            f"the dbt session (process {session.pid}, port {session.port}) is not running: "
            "clear the run's plan_builds task to start a new one"
        ) from None
    with connection, connection.makefile("rwb") as stream:
        connection.settimeout(None)  # a build takes as long as it takes
        stream.write(json.dumps({"token": session.token, "args": list(args)}).encode() + b"\n")
        stream.flush()
        success = False
        lines = []
        for raw in stream:
            message = json.loads(raw)
            if "line" in message:
                print(message["line"], flush=True)
                lines.append(message["line"] + "\n")
            else:
                success = message["success"]
    return int(not success), "".join(lines)


@contextmanager
def one_dbt_process(settings: Settings) -> Iterator[Session]:
    """Within the block, every dbt command on these settings (run_dbt, the load, build_models) runs in
    one session, started here and stopped on leaving. The project is parsed once, on entering: a model
    edited inside the block is not seen by its commands."""
    session = start_session(settings)
    session_routes[settings] = functools.partial(run_in_session_with_status, session)
    try:
        yield session
    finally:
        session_routes.pop(settings, None)
        stop_session(session)


def stop_session(session: Session, timeout: float = 30) -> None:
    """End the session (a command still running in a fork finishes first)."""
    try:
        os.kill(session.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while _alive(session.pid):
        if time.monotonic() > deadline:
            os.kill(session.pid, signal.SIGKILL)
            deadline = float("inf")
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:  # our child, now reaped
            return False
    except ChildProcessError:
        pass  # started by another process: it reaps it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# The session's side: this module run as a program.


def _serve(ready: Path) -> None:
    from dbt.cli.main import dbtRunner

    project = ["--project-dir", ".", "--profiles-dir", "."]
    parsed = dbtRunner().invoke(["parse", *project])
    if not parsed.success:
        raise SystemExit(f"dbt parse failed: {parsed.exception or 'see the output above'}")
    runner_manifest = parsed.result
    token = os.environ["DBT_SESSION_TOKEN"]

    class Command(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            request = json.loads(self.rfile.readline() or b"{}")
            if not secrets.compare_digest(str(request.get("token")), token):
                return

            def send(message: dict) -> None:
                self.wfile.write(json.dumps(message).encode() + b"\n")
                self.wfile.flush()

            def forward(event) -> None:
                if event.info.level in ("info", "warn", "error") and event.info.msg:
                    send({"line": event.info.msg})

            try:
                result = dbtRunner(manifest=runner_manifest, callbacks=[forward]).invoke([*request["args"], *project])
                _release_warehouse()
                send({"success": bool(result.success)})
            except BaseException as error:  # noqa: BLE001 - told to the client, whatever it is
                send({"line": f"dbt session: {error!r}"})
                send({"success": False})

    class Server(socketserver.ForkingMixIn, socketserver.TCPServer):
        last_command = time.monotonic()

        def process_request(self, request, client_address) -> None:
            self.last_command = time.monotonic()
            super().process_request(request, client_address)

        def service_actions(self) -> None:
            super().service_actions()  # reaps the forks whose command has finished
            if not self.active_children and time.monotonic() - self.last_command > IDLE_SECONDS:
                raise SystemExit("dbt session: no command for an hour, stopping")

    with Server(("127.0.0.1", 0), Command) as server:
        written = ready.with_suffix(".tmp")
        written.write_text(json.dumps({"port": server.server_address[1]}), encoding="utf-8")
        written.replace(ready)  # whole when it appears
        print(f"dbt session ready on port {server.server_address[1]}", flush=True)
        server.serve_forever(poll_interval=0.5)


def _release_warehouse() -> None:
    """Close dbt's connections before the client hears that the command is done: dbt-duckdb keeps the
    DuckDB file open until the process exits, and the client's next step may open it."""
    from dbt.adapters.factory import cleanup_connections

    cleanup_connections()
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # another adapter: nothing held past the command
        return
    DuckDBConnectionManager.close_all_connections()  # drops the environment that holds the file
    gc.collect()


if __name__ == "__main__":
    _serve(Path(sys.argv[1]))
