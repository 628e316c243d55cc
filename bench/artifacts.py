"""The artifact store of a real node: ``.venv/bin/python -m bench.artifacts [--quick] [--out DIR]``.

Two node processes (each with a data directory and the default ``--durability fsync``; b has a as its
peer), keep-alive requests on loopback. In one run, for files of 1 KiB, 1 MiB and 16 MiB (the
default cap), fresh random bytes for every request:

- ``PUT /artifacts`` (a new file: hashed, written, synced, renamed), ``GET /artifacts/<sha256>``
  (re-hashed, then sent) and ``HEAD`` (re-hashed, no body) on a, and ``POST /artifacts/fetch`` on b
  (b asks a, checks the hash, stores it): each median in ms, MiB/s, and its ratio to the HTTP floor,
  the median of ``GET /health`` on the same node;
- ``GET /artifacts`` (the list, one page of up to 1,000) once the store holds every file;
- refusals: a file over the cap sent with its ``Content-Length`` (refused before it is read) and
  without one (chunked: refused once the cap is passed while reading), a body that is not
  ``application/octet-stream``, and names no bytes match: a ``GET`` of a name not held and a fetch of
  a name no peer holds. ``PUT`` takes no expected hash (a file's name is computed from its bytes), so
  a "wrong hash" can only be asked for, never stored.

Writes artifacts.json and artifacts.md to ``--out`` (default bench/results; ``--quick``: fewer
requests, a scratch folder unless ``--out`` is given).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import requests

from .util import NodeProcess, Progress, output_dir, summarize

KIB, MIB = 1024, 1024 * 1024
CAP = 16 * MIB  # the node's default --artifact-max-bytes
SIZES = {"1 KiB": KIB, "1 MiB": MIB, "16 MiB": CAP}
FULL = {"1 KiB": 200, "1 MiB": 40, "16 MiB": 9, "floor": 300, "list": 100, "refused": 20}
QUICK = {"1 KiB": 20, "1 MiB": 5, "16 MiB": 2, "floor": 50, "list": 10, "refused": 3}
OCTETS = {"Content-Type": "application/octet-stream"}
NODE_ARGS = ("--sync-interval", "300")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def clock(s: requests.Session, method: str, url: str, expect: int, what: str, **kw: Any
          ) -> tuple[float, requests.Response]:
    """One request's duration in seconds and its answer (RuntimeError unless its status is ``expect``)."""
    t = time.perf_counter()
    r = s.request(method, url, **kw)
    seconds = time.perf_counter() - t
    if r.status_code != expect:
        raise RuntimeError(f"{what} answered {r.status_code} (expected {expect}): {r.text[:300]}")
    return seconds, r


def floor(s: requests.Session, node: NodeProcess, n: int) -> dict[str, Any]:
    times = []
    bar = Progress(f"floor GET /health on {node.name}", n)
    for _ in range(n):
        times.append(clock(s, "GET", node.url + "/health", 200, "GET /health", timeout=30)[0])
        bar.step()
    return summarize(times)


def rated(times: list[float], size: int, floor_ms: float) -> dict[str, Any]:
    stats = summarize(times)
    seconds = stats["median_ms"] / 1000
    return {**stats, "mib_s": float(f"{size / MIB / seconds:.3g}"), "x_floor": round(stats["median_ms"] / floor_ms, 2)}


def one_size(a: NodeProcess, b: NodeProcess, sa: requests.Session, sb: requests.Session, label: str, size: int,
             n: int, floors: dict[str, float]) -> dict[str, Any]:
    puts, gets, heads, fetches = [], [], [], []
    bar = Progress(f"{label}: PUT, GET, HEAD, fetch", n)
    for _ in range(n):
        data = os.urandom(size)
        name = sha(data)
        seconds, r = clock(sa, "PUT", a.url + "/artifacts", 201, f"PUT {label}", data=data, headers=OCTETS,
                           timeout=120)
        assert r.json() == {"sha256": name, "size": size}, r.text
        puts.append(seconds)
        seconds, r = clock(sa, "GET", f"{a.url}/artifacts/{name}", 200, f"GET {label}", timeout=120)
        gets.append(seconds)
        if sha(r.content) != name:
            raise RuntimeError(f"GET {label} served other bytes than {name}")
        heads.append(clock(sa, "HEAD", f"{a.url}/artifacts/{name}", 200, f"HEAD {label}", timeout=120)[0])
        seconds, r = clock(sb, "POST", b.url + "/artifacts/fetch", 201, f"POST /artifacts/fetch {label}",
                           json={"sha256": name}, timeout=180)
        if r.json()["peer"] is None or r.json()["size"] != size:
            raise RuntimeError(f"the fetch of {label} did not come from a: {r.text[:300]}")
        fetches.append(seconds)
        bar.step()
    return {"bytes": size, "requests": n, "put": rated(puts, size, floors["a"]), "get": rated(gets, size, floors["a"]),
            "head": {**summarize(heads), "x_floor": round(summarize(heads)["median_ms"] / floors["a"], 2)},
            "fetch": rated(fetches, size, floors["b"])}


def over_cap_stream(total: int) -> Iterator[bytes]:
    block = os.urandom(MIB)
    sent = 0
    while sent < total:
        piece = block[: min(MIB, total - sent)]
        sent += len(piece)
        yield piece


def refused(a: NodeProcess, b: NodeProcess, n: int, floor_ms: float) -> dict[str, Any]:
    """Each refusal's median, its status and code (every request on a fresh connection: the node may
    close one whose body it did not read)."""
    over = os.urandom(CAP + 1)
    missing = sha(b"no file holds these bytes")
    cases: dict[str, tuple[Callable[[requests.Session], requests.Response], int]] = {
        "PUT over the cap, with Content-Length (16 MiB + 1)": (
            lambda s: s.put(a.url + "/artifacts", data=over, headers=OCTETS, timeout=120), 413),
        "PUT over the cap, chunked (16 MiB + 1)": (
            lambda s: s.put(a.url + "/artifacts", data=over_cap_stream(CAP + 1), headers=OCTETS, timeout=120), 413),
        "PUT as application/json": (
            lambda s: s.put(a.url + "/artifacts", data=b'{"a": 1}', headers={"Content-Type": "application/json"},
                            timeout=30), 415),
        "GET of a name not held": (lambda s: s.get(f"{a.url}/artifacts/{missing}", timeout=30), 404),
        "GET of a name that is no SHA-256": (lambda s: s.get(f"{a.url}/artifacts/{'z' * 64}", timeout=30), 400),
        "POST /artifacts/fetch of a name no peer holds": (
            lambda s: s.post(b.url + "/artifacts/fetch", json={"sha256": missing}, timeout=120), 404),
    }
    out: dict[str, Any] = {}
    for label, (call, status) in cases.items():
        times, code, reset = [], None, 0
        bar = Progress(label[:38], n)
        for _ in range(n):
            with requests.Session() as s:
                t = time.perf_counter()
                try:
                    r = call(s)
                except requests.ConnectionError:  # the node answered and closed before the whole body was sent
                    times.append(time.perf_counter() - t)
                    reset += 1
                    bar.step()
                    continue
                times.append(time.perf_counter() - t)
            if r.status_code != status:
                raise RuntimeError(f"{label} answered {r.status_code} (expected {status}): {r.text[:300]}")
            code = r.json()["error"]["code"]
            bar.step()
        stats = summarize(times)
        out[label] = {**stats, "status": status, "code": code, "connection_reset": reset,
                      "x_floor": round(stats["median_ms"] / floor_ms, 2)}
    held = a.get("/artifacts?limit=1000").json()
    if any(item["size"] > CAP for item in held["artifacts"]):
        raise RuntimeError("a file over the cap was stored")
    return out


def run(work: Path, counts: dict[str, int]) -> dict[str, Any]:
    a = NodeProcess(work, "artifacts-a", difficulty=1, extra_args=NODE_ARGS).start()
    b = None
    try:
        b = NodeProcess(work, "artifacts-b", difficulty=1, extra_args=(*NODE_ARGS, "--peers", a.url)).start()
        sa, sb = requests.Session(), requests.Session()
        for _ in range(30):  # warm both servers and the connections
            sa.get(a.url + "/health")
            sb.get(b.url + "/health")
        floors = {"a": floor(sa, a, counts["floor"]), "b": floor(sb, b, counts["floor"])}
        medians = {k: v["median_ms"] for k, v in floors.items()}
        sizes = {label: one_size(a, b, sa, sb, label, size, counts[label], medians) for label, size in SIZES.items()}
        listing = sa.get(a.url + "/artifacts?limit=1000").json()
        times = []
        bar = Progress(f"GET /artifacts ({listing['count']} files)", counts["list"])
        for _ in range(counts["list"]):
            times.append(clock(sa, "GET", a.url + "/artifacts?limit=1000", 200, "GET /artifacts", timeout=30)[0])
            bar.step()
        listed = {**summarize(times), "files": listing["count"], "x_floor": round(summarize(times)["median_ms"] /
                                                                                   medians["a"], 2)}
        refusals = refused(a, b, counts["refused"], medians["a"])
    finally:
        if b is not None:
            b.stop()
        a.stop()
    return {"counts": counts, "cap_bytes": CAP, "durability": "fsync", "floor": {"GET /health on a": floors["a"],
            "GET /health on b": floors["b"]}, "sizes": sizes, "list": listed, "refused": refusals}


def render(result: dict[str, Any]) -> str:
    fa = result["floor"]["GET /health on a"]["median_ms"]
    fb = result["floor"]["GET /health on b"]["median_ms"]
    lines = [f"The artifact store of a real node (data directory, `--durability fsync`), keep-alive requests on "
             f"loopback, a fresh random file each request; medians in ms, MiB/s of the median, and x the HTTP "
             f"floor (`GET /health`: {fa} ms on a, {fb} ms on b; `python -m bench.artifacts`).", "",
             "| file | requests | PUT | GET | HEAD | fetch from a second node |", "|---|---|---|---|---|---|"]
    def cell(x: dict[str, Any]) -> str:
        return f"{x['median_ms']} ms, {x['mib_s']} MiB/s, {x['x_floor']}x"

    for label, r in result["sizes"].items():
        head = f"{r['head']['median_ms']} ms, {r['head']['x_floor']}x"
        lines.append(f"| {label} | {r['requests']} | {cell(r['put'])} | {cell(r['get'])} | {head} "
                     f"| {cell(r['fetch'])} |")
    li = result["list"]
    lines += ["", f"`GET /artifacts?limit=1000` holding {li['files']} files: {li['median_ms']} ms, {li['x_floor']}x "
              "the floor.", "", "| refused | answer | median | x floor |", "|---|---|---|---|"]
    for label, r in result["refused"].items():
        reset = f" ({r['connection_reset']} closed before the body was sent)" if r["connection_reset"] else ""
        lines.append(f"| {label} | {r['status']} `{r['code']}`{reset} | {r['median_ms']} ms | {r['x_floor']}x |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.artifacts", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests, to a scratch folder unless --out")
    parser.add_argument("--out", type=Path, default=None, help="where to write (default bench/results)")
    args = parser.parse_args(argv)
    counts = QUICK if args.quick else FULL
    out = output_dir(args.out, args.quick, "bench/results")
    out.mkdir(parents=True, exist_ok=True)
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    with tempfile.TemporaryDirectory(prefix="iris-bench-artifacts-") as tmp:
        result = run(Path(tmp), dict(counts))
    result = {"started": started, "finished": time.strftime("%Y-%m-%d %H:%M:%S"), **result}
    (out / "artifacts.json").write_text(json.dumps(result, indent=1) + "\n")
    table = render(result)
    (out / "artifacts.md").write_text(table)
    print(table)
    print(f"wrote {out / 'artifacts.json'} and {out / 'artifacts.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
