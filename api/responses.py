"""Shapes of the answers, for the OpenAPI document. Extra fields are allowed: the contract is
that these fields exist with these types (DESIGN.md: "add fields freely")."""
from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from blockchain.rules import RULES


class Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class ErrorDetail(Out):
    code: str
    message: str


class ErrorOut(Out):
    error: ErrorDetail


#: one of the transaction types, listed from the rules' registry (blockchain/rules/)
TransactionType = Annotated[str, WithJsonSchema({"enum": list(RULES), "type": "string"})]


class TransactionOut(Out):
    type: TransactionType
    id: str
    sender: str
    recipient: str
    amount: int


class HeaderOut(Out):
    """A block without its transactions: enough to check its links and its proof of work."""

    index: int
    timestamp_ms: int
    previous_hash: str
    difficulty: int
    merkle_root: str
    nonce: int
    hash: str


class BlockOut(HeaderOut):
    transactions: list[TransactionOut]


class BlockLookupOut(BlockOut):
    main_chain: bool  # False: a block of a side branch this node holds (not part of its chain)


class MinedOut(BlockOut):
    message: str


class HealthOut(Out):
    status: Literal["ok"]
    protocol: int
    node_id: str
    address: str
    height: int
    tip: str
    genesis: str
    work: str = Field(description="the chain's cumulative work, a decimal string")
    difficulty: int
    pending: int
    model_hash: str
    peers: int
    advertise: Optional[str]


class TxAcceptedOut(Out):
    message: str
    transaction_id: str
    block_index: int


class PendingOut(Out):
    transactions: list[TransactionOut]
    count: int
    next: Optional[str]


class ChainOut(Out):
    chain: list[BlockOut]
    length: int
    next: Optional[int]


class TipOut(Out):
    height: int
    hash: str
    genesis: str
    work: str = Field(description="the chain's cumulative work, a decimal string (PROTOCOL.md, version 3)")


class HeadersOut(Out):
    headers: list[HeaderOut]


class BlocksOut(Out):
    blocks: list[BlockOut]


class ValidateIssue(Out):
    block_index: Optional[int]
    tx_id: Optional[str]
    message: str


class ValidateOut(Out):
    valid: bool
    length: int
    errors: list[ValidateIssue]


class Neighbour(Out):
    row: int
    distance: int
    label: str
    block_index: Optional[int] = None  # the block that added the row; None for the base data


class PredictOut(Out):
    prediction: str
    probabilities: dict[str, float]
    neighbours: list[Neighbour]
    model_hash: str


class ModelInfoOut(Out):
    trained: bool
    data_count: int
    classes: list[str]
    n_neighbors: int
    weights: list[int]
    model_hash: str
    test_correct: int
    test_rows: int
    accuracy: float


class EvaluateOut(Out):
    accuracy: float
    data_points_trained: int
    test_samples: int
    class_metrics: dict[str, Any]


class HistoryRow(Out):
    block_index: int
    data_points_trained: int
    test_correct: int
    test_rows: int
    accuracy: float
    model_hash: str


class HistoryOut(Out):
    history: list[HistoryRow]
    next: Optional[int]


class BalanceOut(Out):
    address: str
    balance: int
    available: int


class ProofOut(Out):
    status: Literal["confirmed", "pending"]
    tx_id: str
    block_index: Optional[int]


class Contribution(Out):
    flower_id: str
    block_index: int
    deposit: int
    left: int
    refunded: bool
    claimable_from_block: int
    model_agrees: bool
    refund_allowed: bool    # the network's claim rule would refund it in the next block (due, something left)
    report_allowed: bool    # ... would accept a report on it from a contributor with a good record


class JudgementNeighbour(Out):
    row: int
    distance: int
    label: str
    flower_id: Optional[str]
    counted: bool
    why: str


class JudgementOut(Out):
    flower_id: str
    protocol: int
    judged_in_block: int
    rule: str
    label: str
    k: int
    agree: int
    vote_allows_refund: bool  # what the panel's vote alone says
    vote_allows_report: bool
    due: bool                 # the claim may be made in judged_in_block: old enough, something left
    blocked_by: list[str]     # why not, when not due
    refund_allowed: bool      # vote and due: the node would take a refund in the next block
    report_allowed: bool      # vote and due: ... a report from a contributor with a good record
    good: bool
    left: int
    claimable_from_block: int
    neighbours: list[JudgementNeighbour]


class ContributionsOut(Out):
    sender: str
    count: int
    contributions: list[Contribution]
    next: Optional[int]
    good: int


class PeerOut(Out):
    url: str
    height: Optional[int]
    claimed_height: Optional[int]
    tip: Optional[str]
    last_seen: Optional[float]
    state: Literal["new", "ok", "unreachable", "backed_off", "other_network"]
    problem: Optional[str]
    next_poll_in: float
    bytes_sent: int
    bytes_received: int


class NodesOut(Out):
    nodes: list[PeerOut]


class RegisterOut(Out):
    message: str
    total_nodes: list[str]


class ResolveOut(Out):
    message: str
    replaced: bool
    length: int


class MessageOut(Out):
    message: str


class DriftOut(Out):
    window: int
    alpha: float
    enough_data: bool
    drifted: bool
    drifted_features: list[str]
    features: dict[str, Any]


class BaseDataOut(Out):
    classes: list[str]
    train: list[list[str]]
    train_labels: list[str]
    test: list[list[str]]
    test_labels: list[str]


class TransfersOut(Out):
    address: str
    transfers: list[dict[str, Any]]
    count: int
    next: Optional[int]


class ArtifactOut(Out):
    """The artifact, by its SHA-256 and size in bytes"""

    sha256: str
    size: int


class ArtifactsOut(Out):
    """One page of the stored artifacts, by name; next is the from of the next page, or null"""

    artifacts: list[ArtifactOut]
    count: int
    next: Optional[int]
    total_bytes: int
    max_bytes: int
    max_total_bytes: int


class PeerProblem(Out):
    url: str
    problem: str


class ArtifactFetchOut(ArtifactOut):
    """Fetched from a peer (201), or held already (200, peer null); tried: the peers asked before it"""

    peer: Optional[str]
    created: bool
    tried: list[PeerProblem]
