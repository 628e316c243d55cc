"""One blueprint per area. Routes parse, call the node service, and shape the answer."""
from __future__ import annotations

from . import artifacts, audit, chain, flower, jobs, model, network, status, sync, transactions, web


def blueprints():
    return [status.bp, chain.bp, audit.bp, transactions.bp, flower.bp, jobs.bp, model.bp, network.bp, sync.bp,
            artifacts.bp, web.bp]


__all__ = ["blueprints"]
