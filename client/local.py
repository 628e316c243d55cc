"""Real ``python app.py`` node processes on free loopback ports (``NodeProcess``) and a
``LocalNetwork`` of them, for notebooks, experiments, benchmarks and tests. Every process this
module starts is stopped by its pid: on ``stop()``, on leaving ``LocalNetwork``'s ``with`` block,
also on exceptions and Ctrl-C."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator, Optional

import requests

from .node import Node

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NodeProcess:
    """One node process. ``data_dir`` defaults to ``workdir/<name>-data``; ``ephemeral=True``
    keeps everything in memory instead (``--ephemeral``)."""

    def __init__(self, workdir: Path, name: str = "node", difficulty: int = 2, data_dir: Path | None = None,
                 extra_args: tuple = (), ephemeral: bool = False) -> None:
        self.workdir = Path(workdir)
        self.name = name
        self.difficulty = difficulty
        self.ephemeral = ephemeral
        self.data_dir = data_dir or self.workdir / f"{name}-data"
        self.extra_args = tuple(extra_args)
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None
        self.log_path = self.workdir / f"{name}.log"
        self.session = requests.Session()
        self._api: Node | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api(self) -> Node:
        """A ``client.Node`` to this process (typed answers); ``get``/``post`` give raw responses."""
        if self._api is None or self._api.url != self.url:
            self._api = Node(self.url, timeout=30)
        return self._api

    def start(self, timeout: float = 30) -> "NodeProcess":
        """Start the process and wait (at most ``timeout`` seconds) until /health answers 200."""
        store = ["--ephemeral"] if self.ephemeral else ["--data-dir", str(self.data_dir)]
        for _attempt in range(3):
            self.port = self.port or free_port()
            log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(
                [sys.executable, str(ROOT / "app.py"), "--port", str(self.port), "--difficulty", str(self.difficulty),
                 *store, *self.extra_args],
                cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
            log.close()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    if self.session.get(self.url + "/health", timeout=1).status_code == 200:
                        return self
                except requests.RequestException:
                    time.sleep(0.05)
            if self.proc.poll() is None:
                self.stop()
                raise RuntimeError(f"{self.name} did not answer within {timeout}s:\n{self.log()}")
            if "address already in use" not in self.log().lower():
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log()}")
            self.port = None  # another process took the port first; try another
        raise RuntimeError(f"{self.name} could not find a free port:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def get(self, path: str, **kw):
        return self.session.get(self.url + path, timeout=kw.pop("timeout", 30), **kw)

    def post(self, path: str, **kw):
        return self.session.post(self.url + path, timeout=kw.pop("timeout", 30), **kw)

    def kill(self) -> None:
        """SIGKILL: no chance to flush or clean up."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.session.close()
        if self._api is not None:
            self._api.session.close()


def thread_sessions():
    """A function giving each calling thread its own keep-alive ``requests.Session``."""
    local = threading.local()

    def session() -> requests.Session:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return local.session
    return session


class LocalNetwork:
    """``with LocalNetwork(3) as net: net[0].mine()``: ``n`` nodes on free ports (in memory
    unless ``ephemeral=False``), each answering /health within ``start_timeout`` seconds,
    registered with each other when ``register``; ``net[i]`` is a ``Node``, ``net.processes[i]``
    its ``NodeProcess``. Every process is stopped by its pid when the block ends, however it ends."""

    def __init__(self, n: int, difficulty: int = 1, register: bool = True, ephemeral: bool = True,
                 workdir: Optional[Path] = None, extra_args: tuple = (), start_timeout: float = 30,
                 timeout: float = 30) -> None:
        if n < 1:
            raise ValueError("a LocalNetwork needs at least one node")
        self.n, self.difficulty, self.register, self.ephemeral = n, difficulty, register, ephemeral
        self.extra_args, self.start_timeout, self.timeout = tuple(extra_args), start_timeout, timeout
        self._workdir = workdir
        self._tmp: Optional[tempfile.TemporaryDirectory] = None
        self.processes: list[NodeProcess] = []
        self.nodes: list[Node] = []

    def __enter__(self) -> "LocalNetwork":
        try:
            if self._workdir is None:
                tmp = tempfile.TemporaryDirectory(prefix="localnet-")
                self._tmp, self._workdir = tmp, Path(tmp.name)
            for i in range(self.n):
                process = NodeProcess(self._workdir, f"node{i}", self.difficulty, extra_args=self.extra_args,
                                      ephemeral=self.ephemeral)
                self.processes.append(process)  # before start, so a failed start is stopped too
                process.start(self.start_timeout)
            self.nodes = [Node(p.url, timeout=self.timeout) for p in self.processes]
            if self.register and self.n > 1:
                for node in self.nodes:
                    node.register([other.url for other in self.nodes if other is not node])
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop every process started (safe to call twice)."""
        for process in self.processes:
            process.stop()
        for node in self.nodes:
            node.session.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    def __getitem__(self, i: int) -> Node:
        return self.nodes[i]

    def __len__(self) -> int:
        return len(self.nodes)

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes)
