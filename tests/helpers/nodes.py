"""Real ``python app.py`` processes on free loopback ports, always stopped after the test."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NodeProcess:
    def __init__(self, workdir: Path, name: str = "node", difficulty: int = 2, data_dir: Path | None = None,
                 extra_args: tuple = ()) -> None:
        self.workdir = Path(workdir)
        self.name = name
        self.difficulty = difficulty
        self.data_dir = data_dir or self.workdir / f"{name}-data"
        self.extra_args = tuple(extra_args)
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None
        self.log_path = self.workdir / f"{name}.log"
        self.session = requests.Session()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> "NodeProcess":
        for _attempt in range(3):
            self.port = self.port or free_port()
            log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(
                [sys.executable, str(ROOT / "app.py"), "--port", str(self.port), "--difficulty", str(self.difficulty),
                 "--data-dir", str(self.data_dir), *self.extra_args],
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


def thread_sessions():
    """A function giving each calling thread its own keep-alive ``requests.Session``."""
    local = threading.local()

    def session() -> requests.Session:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return local.session
    return session
