"""Run the commands shown in the README and the docs pages, and check what they print.

A ```console block holds `$ ` commands (a line ending in `\\` continues on the next) and, after each,
what it printed. The harness runs each page's console blocks in order, in one scratch folder,
against a real node it starts on a free port (`localhost:5000` in a command means that node), and
checks the printed shape: JSON lines must have the same keys at every level, the same error code,
and the same numbers, flags and texts once ids, hashes and times are set aside; other lines must
match once hex ids are set aside (`...` in the page matches anything). An id the page shows in an
answer (a transaction id, an address) stands for the id the real run printed there, so a later
command that uses it is sent the real one.

A block preceded by `<!-- not run: REASON -->` is not run (a second machine, minutes of work...);
the harness counts those. Every other ```sh, ```bash or ```console block of a page the harness
covers must be run, or the test fails.
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEX = re.compile(r"[0-9a-f]{16,}")
VOLATILE = {"timestamp_ms", "nonce", "last_seen", "next_poll_in", "bytes_sent", "bytes_received", "data_dir",
            "merkle_root", "hash", "previous_hash", "tip", "id", "transaction_id", "tx_id", "node_id", "address"}
COMMAND_LANGS = ("console", "sh", "bash", "shell")


@dataclass
class Block:
    lang: str
    lines: list[str]
    line_no: int
    not_run: str | None = None


@dataclass
class Step:
    command: str
    expected: list[str] = field(default_factory=list)


def blocks(markdown: str) -> list[Block]:
    found: list[Block] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^```(\w*)\s*$", lines[i])
        if not m:
            i += 1
            continue
        start = i
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        k = start - 1
        while k >= 0 and not lines[k].strip():
            k -= 1
        reason = None
        if k >= 0:
            d = re.match(r"^<!-- not run: (.+?) -->$", lines[k].strip())
            reason = d.group(1) if d else None
        found.append(Block(m.group(1), lines[start + 1:j], start + 1, reason))
        i = j + 1
    return found


def steps(block: Block) -> list[Step]:
    out: list[Step] = []
    lines = iter(block.lines)
    for line in lines:
        if line.startswith("$ "):
            command = line[2:]
            while command.endswith("\\"):
                command = command[:-1] + " " + next(lines).strip()
            out.append(Step(re.sub(r"\s+#\s[^'\"]*$", "", command)))
        elif out and line.strip():
            out[-1].expected.append(line)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Session:
    """Nodes on free ports (the page's port 5000, 5001, ... each stands for one), a scratch folder,
    and the ids seen so far."""

    def __init__(self, folder: Path, args: tuple[str, ...] = (), shown_ports: tuple[int, ...] = (5000,)):
        self.folder = folder
        self.ports = {shown: free_port() for shown in shown_ports}
        self.port = self.ports[shown_ports[0]]
        self.ids: dict[str, str] = {}
        (folder / ".venv").symlink_to(ROOT / ".venv")
        self.log = open(folder / "node.log", "w")
        self.procs = [
            subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(real), "--data-dir",
                              f"data/node-{shown}", *args], cwd=folder, stdout=self.log, stderr=subprocess.STDOUT)
            for shown, real in self.ports.items()]
        deadline = time.monotonic() + 60
        for real, proc in zip(self.ports.values(), self.procs, strict=True):
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{real}/health", timeout=2).read()
                    break
                except OSError as err:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        self.stop()
                        raise RuntimeError((folder / "node.log").read_text()) from err
                    time.sleep(0.1)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.log.close()

    def command(self, text: str) -> str:
        # a port after ":", "%3A" or a space; not the 5000 of data/node-5000
        text = re.sub(r"(?<![\w-])50\d\d(?!\d)|(?<=%3A)50\d\d(?!\d)",
                      lambda m: str(self.ports.get(int(m.group(0)), m.group(0))), text)
        for shown in sorted(self.ids, key=len, reverse=True):  # an address before the node id it starts with
            text = text.replace(shown, self.ids[shown])

        def prefix(m: re.Match) -> str:
            hits = [real for shown, real in self.ids.items() if shown.startswith(m.group(1))]
            return hits[0] if len(hits) == 1 else m.group(0)

        return re.sub(r"\b([0-9a-f]{8,})\.\.\.", prefix, text)

    def run(self, step: Step) -> tuple[str, list[str]]:
        command = self.command(step.command)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "IRIS_NODE": f"http://127.0.0.1:{self.port}"}
        done = subprocess.run(["bash", "-c", command], cwd=self.folder, env=env, capture_output=True, text=True,
                              timeout=120)
        printed = done.stdout + done.stderr
        for shown, real in self.ports.items():
            printed = re.sub(rf"(?<!\d){real}(?!\d)", str(shown), printed)
        return command, [line for line in printed.splitlines() if line.strip()]


DURATION = re.compile(r"\(\d+\.\d+ s\)")  # "(0.00 s)": how long a command took, which a run cannot promise


def _norm(text: str) -> str:
    return DURATION.sub("\x01", HEX.sub("\x00", text))


def _lenient(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return None  # shown cut short ("...")


def compare(expected, actual, ids: dict[str, str], path: str = "") -> list[str]:
    """The differences in shape between what the page shows and what the run printed."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {actual!r:.80}"]
        if set(expected) != set(actual):
            return [f"{path}: keys {sorted(expected)} shown, {sorted(actual)} printed"]
        return [p for k in expected for p in compare(expected[k], actual[k], ids, f"{path}.{k}")]
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{path}: expected a list, got {actual!r:.80}"]
        if bool(expected) != bool(actual):
            return [f"{path}: {len(expected)} items shown, {len(actual)} printed"]
        return [p for e, a in zip(expected, actual, strict=False) for p in compare(e, a, ids, f"{path}[]")]
    if isinstance(expected, str) and isinstance(actual, str) and HEX.fullmatch(expected) and HEX.fullmatch(actual):
        ids.setdefault(expected, actual)
        return []
    numbers = isinstance(expected, (int, float)) and isinstance(actual, (int, float))
    if type(expected) is not type(actual) and not numbers:
        return [f"{path}: {type(expected).__name__} shown, {type(actual).__name__} printed"]
    if path.rsplit(".", 1)[-1] in VOLATILE:
        return []
    if isinstance(expected, str):
        return [] if _norm(expected) == _norm(actual) else [f"{path}: {expected!r} shown, {actual!r} printed"]
    return [] if expected == actual else [f"{path}: {expected!r} shown, {actual!r} printed"]


def keys_of(value, out: set[str]) -> set[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(k)
            keys_of(v, out)
    elif isinstance(value, list):
        for v in value:
            keys_of(v, out)
    return out


def check(step: Step, printed: list[str], ids: dict[str, str]) -> list[str]:
    if len(printed) != len(step.expected):
        return [f"{len(step.expected)} line(s) shown, {len(printed)} printed: {printed!r:.300}"]
    problems: list[str] = []
    for shown, got in zip(step.expected, printed, strict=True):
        if shown.startswith("{"):
            actual = _lenient(got)
            if actual is None:
                problems.append(f"not JSON: {got:.200}")
                continue
            expected = _lenient(shown)
            if expected is not None:
                problems += compare(expected, actual, ids)
            else:  # cut short on the page: every key it shows must be there, and the error code
                missing = set(re.findall(r'"(\w[\w -]*)":', shown)) - keys_of(actual, set())
                if missing:
                    problems.append(f"keys {sorted(missing)} shown but not printed")
                code = re.search(r'"code":"(\w+)"', shown)
                if code and (actual.get("error") or {}).get("code") != code.group(1):
                    problems.append(f"error code {code.group(1)} shown, {actual.get('error')} printed")
        else:
            pattern = ".*".join(re.escape(part) for part in _norm(shown).split("..."))
            m = re.fullmatch(pattern.replace("\x00", "[0-9a-f]{16,}").replace("\x01", r"\(\d+\.\d+ s\)"), got)
            if not m:
                problems.append(f"line {shown!r:.200} shown, {got!r:.200} printed")
            else:
                for a, b in zip(HEX.findall(shown), HEX.findall(got), strict=False):
                    ids.setdefault(a, b)
    return problems


def run_page(markdown: str, folder: Path, args: tuple[str, ...] = (), retry_s: float = 10.0) -> dict:
    """Run every console block of a page not marked as not run. Returns counts and problems."""
    counts = {"run": 0, "not_run": 0, "problems": []}
    session = None
    try:
        for block in blocks(markdown):
            if block.lang not in COMMAND_LANGS:
                continue
            if block.not_run:
                counts["not_run"] += sum(1 for s in steps(block)) if block.lang == "console" else 1
                continue
            nodes = [re.fullmatch(r"\./run\.sh --port (50\d\d)", line.strip()) for line in block.lines]
            if block.lang == "sh" and nodes and all(nodes):  # the page starts several nodes: so does the harness
                if session is not None:
                    session.stop()
                    folder = folder / "next"
                    folder.mkdir()
                session = Session(folder, args, tuple(int(m.group(1)) for m in nodes if m))
                counts["run"] += len(nodes)
                continue
            if block.lang != "console":
                counts["problems"].append(f"line {block.line_no}: a {block.lang} block neither run nor marked")
                continue
            for step in steps(block):
                start = re.fullmatch(r"\./run\.sh((?: [\w-]+)*)", step.command.strip())
                if start and not step.expected:  # the page starts a node: (re)start the session's with its options
                    if session is not None:
                        session.stop()
                        folder = folder / "next"
                        folder.mkdir()
                    session = Session(folder, tuple(start.group(1).split()))
                    counts["run"] += 1
                    continue
                if session is None:
                    session = Session(folder, args)
                deadline = time.monotonic() + (retry_s if _is_read(step.command) else 0)
                while True:
                    command, printed = session.run(step)
                    problems = check(step, printed, session.ids)
                    if not problems or time.monotonic() > deadline:
                        break
                    time.sleep(0.2)
                counts["run"] += 1
                counts["problems"] += [f"line {block.line_no}: $ {step.command[:120]}: {p}" for p in problems]
                if problems and os.environ.get("DOCS_COMMANDS_VERBOSE"):
                    counts["problems"].append("printed:\n" + "\n".join(printed))
    finally:
        if session is not None:
            session.stop()
    return counts


def _is_read(command: str) -> bool:
    """A command that changes nothing, so it may be asked again until the network has caught up."""
    return "-X" not in command and "/mine" not in command and "python -m" not in command
