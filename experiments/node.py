"""One node process and a ``client.Node`` to it, shared by the label-flipping experiment
(poisoning.py) and the claim-strategy experiment (strategies.py)."""
from __future__ import annotations

from pathlib import Path

from bench.util import NodeProcess
from client import ApiError
from client import Node as ClientNode
from client.models import ContributionsPage


class Node(ClientNode):
    """A node process of an experiment network, driven through the client library (typed answers;
    every refusal is an ``ApiError``, except the claims of ``try_claim``)."""

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
        super().__init__(self.proc.url, timeout=120)

    def all_contributions(self, sender: str) -> ContributionsPage:
        """``/contributions?sender=`` with every page in ``.contributions`` (the route pages them)."""
        first = self.contributions(sender, limit=1000)
        if first.next is None:
            return first
        rest = list(self.iter_contributions(sender, start=first.next))
        return first.model_copy(update={"contributions": [*first.contributions, *rest], "next": None})

    def try_claim(self, kind: str, sender: str, flower_id: str) -> bool:
        """An unsigned refund or report; False when the node refuses it now (400: the rule forbids it)."""
        try:
            self.add_claim(kind, sender, flower_id)
        except ApiError as exc:
            if exc.status != 400:
                raise
            return False
        return True

    def stop(self) -> None:
        self.session.close()
        self.proc.stop()
