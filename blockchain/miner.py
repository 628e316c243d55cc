"""Proof of work in worker processes, so that mining uses every core and never holds the
interpreter lock that the node's request threads need.

Each worker is ``python -m blockchain.miner``: it reads one JSON job per line on stdin
(``{"prefix": hex, "difficulty", "start", "step"}``), searches nonces ``start, start + step, ...``
and writes one line back (``{"nonce": n}`` or ``{"nonce": null}`` when told to stop). Worker
``i`` of ``n`` takes ``start = i`` and ``step = n``. A line ``stop`` ends a search early; end of
input (the node is gone, even after kill -9) ends the worker.
"""
from __future__ import annotations

import json
import logging
import os
import select
import subprocess
import sys
import threading
from typing import Optional

from .pow import search_nonce

log = logging.getLogger("blockchain.miner")
POLL = 0.01


class _StdinStop:
    """``is_set()`` is true once the parent has written ``stop`` (or closed our input)."""

    def __init__(self) -> None:
        self._set = False
        self.eof = False  # the parent closed our input: exit after answering

    def is_set(self) -> bool:
        if not self._set and select.select([sys.stdin], [], [], 0)[0]:
            line = sys.stdin.readline()
            if line.strip() == "stop" or line == "":
                self._set = True
                self.eof = line == ""
        return self._set


WORKER_NICENESS = 10


def worker_main() -> int:
    # Lower priority than the node: requests preempt the hashing on a busy machine, and an idle
    # machine still gives the workers every cycle.
    if hasattr(os, "nice"):
        try:
            os.nice(WORKER_NICENESS)
        except OSError:
            pass
    while True:
        line = sys.stdin.readline()
        if not line:
            return 0
        if line.strip() == "stop":
            continue  # a stop that crossed our answer: nothing is running
        job = json.loads(line)
        stop = _StdinStop()
        nonce = search_nonce(bytes.fromhex(job["prefix"]), job["difficulty"], start=job["start"], step=job["step"],
                             stop=stop)
        try:
            sys.stdout.write(json.dumps({"nonce": nonce}) + "\n")
            sys.stdout.flush()
        except BrokenPipeError:  # the node is gone
            return 0
        if stop.eof:
            return 0


class ProcessMiner:
    """A nonce finder (``Blockchain(nonce_finder=...)``) backed by ``workers`` processes."""

    def __init__(self, workers: Optional[int] = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._lock = threading.Lock()
        self._procs: list[subprocess.Popen] = []
        self._closed = False
        self._start()

    def _start(self) -> None:
        env = dict(os.environ)
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        self._procs = [subprocess.Popen([sys.executable, "-m", "blockchain.miner"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, bufsize=1, env=env)
                       for _ in range(self.workers)]

    @property
    def worker_pids(self) -> list[int]:
        """Process ids of the live workers (empty once closed)."""
        return [proc.pid for proc in self._procs if proc.poll() is None]

    def __call__(self, prefix: bytes, difficulty: int, abort: threading.Event) -> Optional[int]:
        with self._lock:  # one search at a time
            if self._closed:
                return None
            try:
                return self._search(prefix, difficulty, abort)
            except (OSError, ValueError) as exc:  # a worker died: start fresh ones, mine here this time
                if self._closed:
                    return None  # we are shutting down: the workers were stopped on purpose
                log.warning("mining workers failed (%s); restarting them", exc)
                self._stop_workers()
                self._start()
                return search_nonce(prefix, difficulty, stop=abort)

    def _search(self, prefix: bytes, difficulty: int, abort: threading.Event) -> Optional[int]:
        n = len(self._procs)
        for i, proc in enumerate(self._procs):
            proc.stdin.write(json.dumps({"prefix": prefix.hex(), "difficulty": difficulty, "start": i, "step": n}) + "\n")
            proc.stdin.flush()
        waiting = {proc.stdout: proc for proc in self._procs}
        found: list[int] = []
        stopped = False
        while waiting:
            ready, _, _ = select.select(list(waiting), [], [], POLL)
            for out in ready:
                line = out.readline()
                if not line:
                    raise OSError("a mining worker exited")
                nonce = json.loads(line)["nonce"]
                if nonce is not None:
                    found.append(nonce)
                del waiting[out]
            if not stopped and (found or abort.is_set()):
                stopped = True
                for proc in waiting.values():
                    proc.stdin.write("stop\n")
                    proc.stdin.flush()
        return min(found) if found else None

    def close(self) -> None:
        """Stop the workers for good; a search under way ends with no nonce."""
        self._closed = True
        self._stop_workers()

    def _stop_workers(self) -> None:
        for proc in self._procs:
            try:
                proc.stdin.close()
            except OSError:
                pass
        for proc in self._procs:
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
        self._procs = []


if __name__ == "__main__":
    sys.exit(worker_main())
