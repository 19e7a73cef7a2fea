"""`airflow standalone` for `make airflow`: Ctrl-C stops all of it, and nothing is left behind.

    uv run python airflow/run_standalone.py      # what `make airflow` runs, with its settings

`airflow standalone` starts the scheduler, the DAG processor, the triggerer and
the API server, and they start workers and task processes of their own. Left to
Ctrl-C, each gets the signal at once, and the scheduler can wait forever on a
worker that is already gone (seen with Airflow 3.3), holding the SQLite
database. So Airflow runs here in a session of its own, out of reach of the
terminal's Ctrl-C; on Ctrl-C (or SIGTERM, or the terminal closing) this script
asks every process of that session to stop (SIGTERM), waits up to
GRACE_SECONDS, then kills what is left, and says so.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import psutil

GRACE_SECONDS = 20


def session_processes(session_id: int) -> list[psutil.Process]:
    """Every process of the session, including those whose parent has exited."""
    members = []
    for process in psutil.process_iter():
        try:
            in_session = os.getsid(process.pid) == session_id and process.pid != os.getpid()
            # A zombie has ended already; its parent or init reaps it.
            if in_session and process.status() != psutil.STATUS_ZOMBIE:
                members.append(process)
        except (OSError, psutil.Error):
            continue  # gone meanwhile, or not ours to see
    return members


def stop_session(session_id: int) -> tuple[int, int]:
    """SIGTERM to every process of the session, then SIGKILL to those still there after the grace period.

    Returns (processes stopped, processes killed)."""
    stopped = killed = 0
    deadline = time.monotonic() + GRACE_SECONDS
    while members := session_processes(session_id):
        late = time.monotonic() > deadline
        for process in members:
            try:
                process.send_signal(signal.SIGKILL if late else signal.SIGTERM)
            except psutil.Error:
                continue
        _, alive = psutil.wait_procs(members, timeout=1)
        if late:
            killed += len(members)
        stopped += len(members) - len(alive)
    return stopped, killed


def main() -> int:
    airflow = shutil.which("airflow") or "airflow"
    standalone = subprocess.Popen([airflow, "standalone"], start_new_session=True)
    stopping = []

    def stop(signum, _frame) -> None:
        stopping.append(signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop)
    while not stopping and standalone.poll() is None:
        time.sleep(0.2)
    if stopping:
        print("\nStopping Airflow (every process it started)...", flush=True)
    stopped, killed = stop_session(standalone.pid)
    standalone.wait()
    if stopping:
        print(f"Airflow stopped: {stopped} process(es) ended, {killed} had to be killed.", flush=True)
        return 0
    return standalone.returncode


if __name__ == "__main__":
    sys.exit(main())
