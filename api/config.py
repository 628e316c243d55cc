"""A node's settings: built from the command line by app.py, or from a dict in tests."""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Optional

from blockchain.miner import usable_cores

from .limits import PEER_TIMEOUT

DEFAULT_MAX_BODY = 1024 * 1024
DEFAULT_ARTIFACT_MAX_BYTES = 16 * 1024 * 1024  # one artifact (PUT /artifacts; api/artifacts.py)
DEFAULT_ARTIFACT_STORE_BYTES = 1024 ** 3       # all of them together
DEFAULT_ARTIFACT_TIMEOUT = 30.0                # total deadline of fetching one artifact from one peer, seconds


@dataclass
class NodeConfig:
    host: str = "127.0.0.1"
    port: int = 5000
    difficulty: int = 4
    min_deposit: int = 0        # the network's smallest deposit per contribution (part of its genesis)
    refund_wait: int = 10       # blocks before a contribution can be refunded or reported (genesis)
    protocol: int = 2           # 2, or the draft 3 (its claim rule and retargeting difficulty); part of the genesis
    target_block_ms: Optional[int] = None  # v3 genesis: wanted ms between blocks (None: 10000)
    retarget_every: Optional[int] = None   # v3 genesis: blocks per retarget window (None: 20)
    min_difficulty: Optional[int] = None   # v3 genesis: lowest difficulty (None: 256, or difficulty when lower)
    data_dir: Optional[Path] = None  # default: ./data/node-<port>
    ephemeral: bool = False
    peers: list[str] = field(default_factory=list)
    require_signatures: bool = False
    base_data: Optional[Path] = None
    max_body: int = DEFAULT_MAX_BODY
    artifact_max_bytes: int = DEFAULT_ARTIFACT_MAX_BYTES      # the cap of one artifact
    artifact_store_bytes: int = DEFAULT_ARTIFACT_STORE_BYTES  # the cap of the whole artifact store
    artifact_timeout: float = DEFAULT_ARTIFACT_TIMEOUT        # deadline of one artifact call to a peer
    peer_timeout: float = PEER_TIMEOUT   # total deadline of one call to a peer, seconds
    sync_interval: float = 2.0  # how often peers' heights are polled, seconds
    miners: int = 0             # proof-of-work worker processes; 0 mines in a thread of the node
    mine: str = "demand"        # "demand" (POST /mine only), "auto" (when transactions are pending), "always"
    durability: str = "fsync"   # "fsync": synced to the device before a 201; "os": handed to the OS
    advertise: Optional[str] = None  # the URL peers reach this node at (default: http://host:port)
    allow_hosts: list[str] = field(default_factory=list)  # more Host names served (api/guard.py)

    @classmethod
    def from_mapping(cls, values) -> "NodeConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown node settings {sorted(unknown)}; known: {sorted(known)}")
        return cls(**values)

    @property
    def resolved_data_dir(self) -> Path:
        return Path(self.data_dir) if self.data_dir else Path("data") / f"node-{self.port}"


def default_miners(mine: str) -> int:
    """One worker per core when blocks are mined on demand (a ``POST /mine`` waits for its block);
    one core fewer (at least one) when the node mines by itself, so that its requests keep a core:
    on a 2-core machine, hashing on every core doubled the p99 of reads (docs/difficulty.md)."""
    cores = usable_cores()
    return cores if mine == "demand" else max(1, cores - 1)
