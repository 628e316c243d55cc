"""A network test bed: N hosts on this machine, each a Linux network namespace with its own address
on one private /24, joined by a bridge, with one real ``python app.py`` in each.

    sudo .venv/bin/python -m tests.cluster.bed --nodes 5     # start, print the nodes, Ctrl-C ends

Layout (every name, link and address lives in namespaces the bed creates and deletes; nothing is
routed outside them and no other address is contacted):

- ``<prefix>-sw``, the switch: bridges ``br0`` (everyone) and ``br1``, ``br2``, ... for partitions;
- ``<prefix>-n<i>``, host i: ``eth0`` at ``10.77.0.<i+1>/24``, the other end of its veth in the
  switch. Partitions move that other end to another bridge; healing moves it back.

The driver (a test, or you) talks to a node from inside that node's own namespace (``Host.api``, a
``client.Node`` whose calls run on threads that joined the namespace with ``setns``; ``Host.get`` and
``Host.post`` give raw responses), so a partition never cuts the driver off from a node, only nodes
from each other.
"""
from __future__ import annotations

import argparse
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator, Optional

import requests

from client import Node, NodeError

ROOT = Path(__file__).resolve().parent.parent.parent
SUBNET = "10.77.0"
PORT = 5000
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def unavailable() -> Optional[str]:
    """Why the bed cannot run here (one line), or None when it can."""
    if os.geteuid() != 0:
        return "the network test bed needs root (ip netns); the loopback tests cover the rest"
    if shutil.which("ip") is None:
        return "the network test bed needs iproute2's ip command"
    probe = f"ibprobe{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"ip netns does not work here: {made.stderr.strip()[:120]}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def ip(*args: str) -> None:
    run = subprocess.run(["ip", *args], capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {run.stderr.strip()}")


def _enter(namespace: str) -> None:
    """Move the calling thread into ``namespace`` (network namespaces are per thread)."""
    fd = os.open(f"/run/netns/{namespace}", os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns into {namespace}: {os.strerror(err)}")
    finally:
        os.close(fd)


def clean_leftovers() -> None:
    """Delete namespaces of beds whose process is gone (after a kill -9, say)."""
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split()
    for name in listed:
        if name.startswith("ib") and "-" in name and name[2:name.index("-")].isdigit():
            pid = int(name[2:name.index("-")])
            if pid != os.getpid() and not Path(f"/proc/{pid}").exists():
                subprocess.run(["ip", "netns", "del", name], capture_output=True)


def direct(url: str, timeout: float) -> Node:
    """A ``client.Node`` that ignores proxy settings of the environment (the bed's addresses are local)."""
    node = Node(url, timeout=timeout)
    node.session.trust_env = False
    return node


class InNamespace:
    """``host.api.health()``: the ``client.Node`` methods, each run on one of the host's namespace
    threads (with that thread's own ``Node``); a paging iterator is read to the end there, as a list."""

    def __init__(self, host: "Host") -> None:
        self._host = host

    def __getattr__(self, name: str):
        if name.startswith("_") or not callable(getattr(Node, name, None)):
            raise AttributeError(name)

        def inside(*args: Any, **kw: Any) -> Any:
            result = getattr(self._host._node(), name)(*args, **kw)
            return list(result) if isinstance(result, Iterator) else result

        def run(*args: Any, **kw: Any) -> Any:
            return self._host._pool.submit(inside, *args, **kw).result()
        return run


class Host:
    """One namespace, its address and its node process."""

    def __init__(self, bed: "TestBed", index: int) -> None:
        self.bed, self.index = bed, index
        self.namespace = f"{bed.prefix}-n{index}"
        self.address = f"{SUBNET}.{index + 1}"
        self.url = f"http://{self.address}:{PORT}"
        self.data_dir = bed.workdir / f"node{index}-data"
        self.log_path = bed.workdir / f"node{index}.log"
        self.proc: Optional[subprocess.Popen] = None
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix=self.namespace,
                                        initializer=_enter, initargs=(self.namespace,))
        self.api = InNamespace(self)

    # -- the node -----------------------------------------------------------------------
    def start(self, host: Optional[str] = None, advertise: bool = True, timeout: float = 60) -> "Host":
        args = [sys.executable, str(ROOT / "app.py"), "--host", host or self.address, "--port", str(PORT),
                "--difficulty", str(self.bed.difficulty), "--data-dir", str(self.data_dir), "--miners", "0",
                "--durability", "os", *self.bed.node_args, *self.bed.host_args.get(self.index, ())]
        if advertise:
            args += ["--advertise", self.url]
        log = open(self.log_path, "ab")
        # ip netns exec execs the command: the pid is the node's own
        self.proc = subprocess.Popen(["ip", "netns", "exec", self.namespace, *args], cwd=self.bed.workdir,
                                     stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"node {self.index} exited with {self.proc.returncode}:\n{self.log()[-3000:]}")
            try:
                self._pool.submit(lambda: direct(self.url, timeout=1).health()).result()
                return self
            except NodeError:
                time.sleep(0.1)
        raise RuntimeError(f"node {self.index} did not answer within {timeout}s:\n{self.log()[-3000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    # -- talking to it from inside its namespace ----------------------------------------
    def _node(self) -> Node:
        """This (namespace) thread's ``client.Node`` to the host, with no proxy from the environment."""
        node = getattr(self._local, "node", None)
        if node is None:
            node = self._local.node = direct(self.url, timeout=30)
        return node

    # raw responses, for what the library does not hide on purpose (statuses, headers, peer routes)
    def _request(self, method: str, path: str, **kw) -> requests.Response:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.trust_env = False
        return session.request(method, self.url + path, timeout=kw.pop("timeout", 30), **kw)

    def request(self, method: str, path: str, **kw) -> requests.Response:
        return self._pool.submit(self._request, method, path, **kw).result()

    def get(self, path: str, **kw) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw) -> requests.Response:
        return self.request("POST", path, **kw)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class TestBed:
    """``with TestBed(5, workdir) as bed:`` creates the namespaces and starts a node in each;
    leaving the block (also by an exception) stops every node and deletes every namespace."""

    __test__ = False  # not a pytest class

    def __init__(self, nodes: int, workdir: Path, difficulty: int = 2, node_args=(), start: bool = True,
                 host_args: Optional[dict[int, tuple[str, ...]]] = None) -> None:
        """``node_args`` go to every node; ``host_args[i]`` after them to node i only (the last of a
        repeated option wins: ``{0: ("--miners", "2")}`` gives node 0 two worker processes where
        the others mine in a thread, i.e. uneven hash power)."""
        if not 1 <= nodes <= 250:
            raise ValueError(f"nodes must be 1 to 250; got {nodes}")
        self.prefix = f"ib{os.getpid()}"
        self.switch = f"{self.prefix}-sw"
        self.workdir = Path(workdir)
        self.difficulty = difficulty
        self.node_args = tuple(node_args)
        self.host_args = dict(host_args or {})
        self.start_nodes = start
        self.hosts = [Host(self, i) for i in range(nodes)]
        self._bridges = {0}
        self._created: list[str] = []

    def __enter__(self) -> "TestBed":
        try:
            self.up()
        except BaseException:
            self.down()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.down()

    def up(self) -> None:
        clean_leftovers()
        ip("netns", "add", self.switch)
        self._created.append(self.switch)
        ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
        ip("-n", self.switch, "link", "set", "br0", "up")
        for host in self.hosts:
            ip("netns", "add", host.namespace)
            self._created.append(host.namespace)
            ip("-n", self.switch, "link", "add", f"v{host.index}", "type", "veth", "peer", "name", "eth0",
               "netns", host.namespace)
            ip("-n", self.switch, "link", "set", f"v{host.index}", "master", "br0", "up")
            ip("-n", host.namespace, "addr", "add", f"{host.address}/24", "dev", "eth0")
            ip("-n", host.namespace, "link", "set", "eth0", "up")
            ip("-n", host.namespace, "link", "set", "lo", "up")
        if self.start_nodes:
            for host in self.hosts:
                host.start()

    def down(self) -> None:
        for host in self.hosts:
            try:
                host.stop()
            finally:
                host.close()
        for name in reversed(self._created):
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
        self._created.clear()

    # -- partitions ---------------------------------------------------------------------
    def _bridge(self, number: int) -> str:
        if number not in self._bridges:
            ip("-n", self.switch, "link", "add", f"br{number}", "type", "bridge")
            ip("-n", self.switch, "link", "set", f"br{number}", "up")
            self._bridges.add(number)
        return f"br{number}"

    def partition(self, groups: list[list[int]]) -> None:
        """Each group of host indices on a bridge of its own: a group reaches only itself."""
        for number, group in enumerate(groups):
            bridge = self._bridge(number)
            for index in group:
                ip("-n", self.switch, "link", "set", f"v{index}", "master", bridge)

    def isolate(self, index: int, down: bool = True) -> None:
        """Cut one host off by setting its link down (``down``) or back up."""
        ip("-n", self.switch, "link", "set", f"v{index}", "down" if down else "up")

    def heal(self) -> None:
        for host in self.hosts:
            ip("-n", self.switch, "link", "set", f"v{host.index}", "master", "br0", "up")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.cluster.bed",
        description="Start N nodes, each in a network namespace of its own on one bridge (10.77.0.0/24); "
        "Ctrl-C stops them and deletes every namespace. Needs root and ip netns.",
    )
    parser.add_argument("--nodes", type=int, default=5, help="hosts, each with one node (default: 5)")
    parser.add_argument("--difficulty", type=int, default=2, help="the network's difficulty (default: 2)")
    args = parser.parse_args(argv)
    reason = unavailable()
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="iris-bed-"))
    with TestBed(args.nodes, workdir, args.difficulty) as bed:
        for host in bed.hosts:
            print(f"node {host.index}: {host.url} in namespace {host.namespace} (pid {host.proc.pid}); "
                  f"curl it with: ip netns exec {host.namespace} curl -s {host.url}/health")
        print(f"logs and data in {workdir}; Ctrl-C stops every node and deletes the namespaces", flush=True)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
