"""Proof of work in worker processes, so that mining uses every core and never holds the
interpreter lock that the node's request threads need.

Each worker is ``python -m blockchain.miner``: it reads one JSON job per line on stdin
(``{"job", "prefix": hex, "bound": hex, "start", "step"}``: a hash below ``bound`` wins), searches
nonces ``start, start + step, ...`` and writes one line back (``{"job", "nonce": n}``, or
``"nonce": null`` when told to stop).
Worker ``i`` of ``n`` takes ``start = i`` and ``step = n``. A line ``stop`` ends a search early;
end of input (the node is gone, even after kill -9) ends the worker.

A block needs any valid nonce, not the smallest, so the node takes the first answer and tells
the other workers to stop without waiting for them: their late answers carry an old job number
and are dropped. Workers look for ``stop`` every ``CHECK_EVERY`` tries (about a millisecond),
so a search costs little beyond its hashing.
"""
from __future__ import annotations

import json
import logging
import os
import select
import signal
import subprocess
import sys
import threading
from typing import IO, Iterable, Optional, cast

from .pow import search_below

log = logging.getLogger("blockchain.miner")
POLL = 0.01
CHECK_EVERY = 512


class _Lines:
    """Lines from a pipe, read with ``os.read`` into a buffer of our own, so that ``select`` on
    the descriptor never misses a line that a buffered reader had already pulled in."""

    def __init__(self, fd: int) -> None:
        self.fd, self.buffer, self.eof = fd, b"", False

    def fill(self, timeout: Optional[float]) -> None:
        if select.select([self.fd], [], [], timeout)[0]:
            data = os.read(self.fd, 65536)
            if data:
                self.buffer += data
            else:
                self.eof = True

    def next_line(self, wait: bool = True) -> Optional[str]:
        """The next line without its newline; "" at end of input; None when ``wait`` is False
        and no whole line is there yet."""
        while b"\n" not in self.buffer and not self.eof:
            self.fill(None if wait else 0)
            if not wait and b"\n" not in self.buffer and not self.eof:
                return None
        if b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            return line.decode("utf-8")
        return ""

    def push_back(self, line: str) -> None:
        self.buffer = line.encode("utf-8") + b"\n" + self.buffer


class _StdinStop:
    """``is_set()`` is true once the parent has written ``stop`` (or closed our input)."""

    def __init__(self, lines: _Lines) -> None:
        self.lines = lines
        self._set = False
        self.eof = False  # the parent closed our input: exit after answering

    def is_set(self) -> bool:
        if not self._set:
            line = self.lines.next_line(wait=False)
            if line is not None:
                if line.strip() == "stop" or line == "":
                    self._set, self.eof = True, line == ""
                else:
                    self.lines.push_back(line)  # a new job: it runs after this one
        return self._set


WORKER_NICENESS = 10


def _lower_priority() -> None:
    """Hash only on cycles nothing else wants: the node's request threads (and any other work on
    the machine) take a core from a worker at once, and an idle machine still gives the workers
    every cycle. Linux's SCHED_IDLE class does exactly that; elsewhere, a niceness of 10."""
    idle = getattr(os, "SCHED_IDLE", None)
    if idle is not None and hasattr(os, "sched_setscheduler"):
        try:
            os.sched_setscheduler(0, idle, os.sched_param(0))
            return
        except OSError:
            pass
    if hasattr(os, "nice"):
        try:
            os.nice(WORKER_NICENESS)
        except OSError:
            pass


def worker_main() -> int:
    # Ctrl-C in the node's terminal reaches the whole process group: the node stops its workers
    # by closing their input, so they ignore the interrupt instead of printing a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _lower_priority()
    lines = _Lines(sys.stdin.fileno())
    while True:
        line = lines.next_line()
        if not line:
            return 0
        if line.strip() == "stop":
            continue  # a stop that crossed our answer: nothing is running
        job = json.loads(line)
        stop = _StdinStop(lines)
        # search_below only ever asks its stop is_set(), which _StdinStop answers from our input
        nonce = search_below(bytes.fromhex(job["prefix"]), int(job["bound"], 16), start=job["start"],
                             step=job["step"], stop=cast(threading.Event, stop), check_every=CHECK_EVERY)
        try:
            sys.stdout.write(json.dumps({"job": job["job"], "nonce": nonce}) + "\n")
            sys.stdout.flush()
        except BrokenPipeError:  # the node is gone
            return 0
        if stop.eof:
            return 0


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity where the platform has one (a container
    or ``taskset`` may allow fewer than the machine has), else the machine's count."""
    if hasattr(os, "sched_getaffinity"):
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except OSError:
            pass
    return os.cpu_count() or 1


class ProcessMiner:
    """A nonce finder (``Blockchain(nonce_finder=...)``) backed by ``workers`` processes."""

    def __init__(self, workers: Optional[int] = None) -> None:
        self.workers = workers or usable_cores()
        self._lock = threading.Lock()
        # the workers are started and stopped under this one (a search's replacement of dead
        # workers and close(), which takes no search lock), so none is started after a close
        self._procs_lock = threading.Lock()
        self._procs: list[subprocess.Popen[str]] = []
        self._closed = False
        self._job = 0
        self._start()

    def _start(self) -> None:
        env = dict(os.environ)
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        # Their own session: Ctrl-C in the node's terminal does not reach them (not even while they
        # are still starting); the node stops them by closing their input, and so does its death.
        self._procs = [subprocess.Popen([sys.executable, "-m", "blockchain.miner"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, bufsize=1, env=env,
                                        start_new_session=True)
                       for _ in range(self.workers)]
        self._out = {proc.pid: _Lines(_pipe(proc.stdout).fileno()) for proc in self._procs}

    @property
    def worker_pids(self) -> list[int]:
        """Process ids of the live workers (empty once closed)."""
        return [proc.pid for proc in self._procs if proc.poll() is None]

    def __call__(self, prefix: bytes, bound: int, abort: threading.Event) -> Optional[int]:
        """A nonce whose hash (a 256-bit integer) is below ``bound``, or None when ``abort`` is set."""
        with self._lock:  # one search at a time
            if self._closed:
                return None
            try:
                return self._search(prefix, bound, abort)
            except (OSError, ValueError) as exc:  # a worker died: start fresh ones, mine here this time
                if self._closed:
                    return None  # we are shutting down: the workers were stopped on purpose
                log.warning("mining workers failed (%s); restarting them", exc)
                with self._procs_lock:
                    self._stop_workers()
                    if self._closed:  # closed while the old workers were stopped: start none
                        return None
                    self._start()
                return search_below(prefix, bound, stop=abort)

    def _search(self, prefix: bytes, bound: int, abort: threading.Event) -> Optional[int]:
        self._job += 1
        job, n = self._job, len(self._procs)
        for i, proc in enumerate(self._procs):
            stdin = _pipe(proc.stdin)
            stdin.write(json.dumps({"job": job, "prefix": prefix.hex(), "bound": format(bound, "x"),
                                    "start": i, "step": n}) + "\n")
            stdin.flush()
        waiting = {self._out[proc.pid].fd: proc for proc in self._procs}
        while waiting:
            if abort.is_set():
                break
            ready, _, _ = select.select(list(waiting), [], [], POLL)
            for fd in ready:
                lines = self._out[waiting[fd].pid]
                lines.fill(0)
                while fd in waiting and b"\n" in lines.buffer:
                    answer = json.loads(lines.next_line() or "")
                    if answer.get("job") != job:
                        continue  # a late answer to an earlier search
                    waiting.pop(fd)
                    nonce = answer["nonce"]
                    if isinstance(nonce, int):
                        self._stop(waiting.values())
                        return nonce
                if lines.eof and fd in waiting:
                    raise OSError("a mining worker exited")
        self._stop(waiting.values())
        return None

    @staticmethod
    def _stop(procs: Iterable[subprocess.Popen[str]]) -> None:
        for proc in procs:
            stdin = _pipe(proc.stdin)
            stdin.write("stop\n")
            stdin.flush()

    def close(self) -> None:
        """Stop the workers for good; a search under way ends with no nonce."""
        self._closed = True
        with self._procs_lock:
            self._stop_workers()

    def _stop_workers(self) -> None:
        for proc in self._procs:
            try:
                _pipe(proc.stdin).close()
            except OSError:
                pass
        for proc in self._procs:
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
        self._procs = []


def _pipe(stream: Optional[IO[str]]) -> IO[str]:
    """A worker's stdin or stdout: always a pipe (``_start`` opens both)."""
    if stream is None:
        raise OSError("a mining worker has no pipe")
    return stream


if __name__ == "__main__":
    sys.exit(worker_main())
