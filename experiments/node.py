"""One node process and a session to it, shared by the label-flipping experiment (poisoning.py)
and the claim-strategy experiment (strategies.py)."""
from __future__ import annotations

from pathlib import Path

import requests

from bench.util import NodeProcess


class Node:
    """A node process and a session to it; every refusal is an error here, except claims."""

    def __init__(self, workdir: Path, name: str, min_deposit: int, params: dict, protocol: int = 2) -> None:
        self.proc = NodeProcess(
            workdir,
            name,
            difficulty=params["difficulty"],
            extra_args=(
                "--durability",
                "os",
                "--min-deposit",
                str(min_deposit),
                "--refund-wait",
                str(params["refund_wait"]),
                "--miners",
                "1",
                "--protocol",
                str(protocol),
            ),
        ).start()
        self.s = requests.Session()
        self.url = self.proc.url

    def get(self, path: str) -> dict:
        r = self.s.get(self.url + path, timeout=60)
        r.raise_for_status()
        return r.json()

    def post(self, path: str, body: dict | None = None, ok=(200, 201)) -> requests.Response:
        r = self.s.post(self.url + path, json=body, timeout=120)
        if r.status_code not in ok:
            raise RuntimeError(f"POST {path} answered {r.status_code}: {r.text[:300]}")
        return r

    def contributions(self, sender: str) -> dict:
        """``/contributions?sender=`` with every page (the route pages them, 100 at a time)."""
        book = self.get(f"/contributions?sender={sender}")
        while book["next"] is not None:
            page = self.get(f"/contributions?sender={sender}&from={book['next']}")
            book = {**page, "contributions": book["contributions"] + page["contributions"]}
        return book

    def stop(self) -> None:
        self.proc.stop()
