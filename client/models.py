"""Typed answers of the node's API, as ``client.Node`` returns them.

Each class has the fields /openapi.json promises for its route (DESIGN.md "User-facing API"), checked
when the answer arrives: an answer without them, or with a wrong type, is a ``NodeError`` rather than
a ``KeyError`` later. Fields the node adds beyond these are kept too (the contract is "add fields
freely"): reach them as attributes, or take the whole answer as the node sent it with ``to_dict()``.
"""
from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict


class Answer(BaseModel):
    """One JSON object of the API: read-only, with unknown fields kept."""

    model_config = ConfigDict(extra="allow", frozen=True, strict=True, protected_namespaces=())

    def to_dict(self) -> dict[str, Any]:
        """The answer as the node sent it: plain JSON values (dicts and lists), its extra fields
        included, and no optional field the node left out."""
        return self.model_dump(mode="json", exclude_unset=True)


class Transaction(Answer):
    type: Literal["TRANSFER", "FLOWER_DATA", "REFUND", "REPORT", "REWARD", "MODEL_UPDATE", "GENESIS",
                  "JOB", "JOB_COMMIT", "JOB_TEST", "JOB_MODEL", "JOB_SETTLE"]
    id: str
    sender: str
    recipient: str
    amount: int
    timestamp_ms: Optional[int] = None
    data: Optional[dict[str, Any]] = None     # FLOWER_DATA: the measurements and flower_type; JOB*: its data
    job_id: Optional[str] = None              # JOB_COMMIT, JOB_TEST, JOB_MODEL, JOB_SETTLE
    model_commitment: Optional[str] = None    # JOB_COMMIT
    deposit: Optional[int] = None
    public_key: Optional[str] = None          # signed transactions
    signature: Optional[str] = None
    block_index: Optional[int] = None         # where the node reports it (rewards, /transfers)


class Block(Answer):
    index: int
    timestamp_ms: int
    previous_hash: str
    difficulty: int
    merkle_root: str
    nonce: int
    hash: str
    transactions: list[Transaction]


class BlockLookup(Block):
    """``/block/<key>``: ``main_chain`` is False for a block of a side branch the node holds."""

    main_chain: Optional[bool] = None


class Mined(Block):
    message: str


class Health(Answer):
    status: Literal["ok"]
    protocol: int
    node_id: str
    address: str
    height: int
    tip: str
    genesis: str
    difficulty: int
    pending: int
    model_hash: str
    peers: int
    work: Optional[str] = None       # the chain's cumulative work, a decimal string
    advertise: Optional[str] = None
    data_dir: Optional[str] = None


class Tip(Answer):
    height: int
    hash: str
    genesis: str
    work: Optional[str] = None       # the chain's cumulative work, a decimal string


class Accepted(Answer):
    """A 201 for a submitted transaction: it waits in the pool for ``block_index``."""

    message: str
    transaction_id: str
    block_index: int
    transaction: Optional[Transaction] = None


class PendingPage(Answer):
    transactions: list[Transaction]
    count: int
    next: Optional[str]


class ChainPage(Answer):
    chain: list[Block]
    length: int
    next: Optional[int]


class ChainIssue(Answer):
    """One problem ``/chain/validate`` found."""

    block_index: Optional[int]
    tx_id: Optional[str]
    message: str


class Validation(Answer):
    valid: bool
    length: int
    errors: list[ChainIssue]


class Neighbour(Answer):
    row: int
    distance: int
    label: str
    block_index: Optional[int] = None  # the block that added the row; None for the base data


class Prediction(Answer):
    prediction: str
    probabilities: dict[str, float]
    neighbours: list[Neighbour]
    model_hash: str


class ModelInfo(Answer):
    trained: bool
    data_count: int
    classes: list[str]
    n_neighbors: int
    weights: list[int]
    model_hash: str
    test_correct: int
    test_rows: int
    accuracy: float


class ConfusionMatrix(Answer):
    labels: list[str]
    matrix: list[list[int]]


class Evaluation(Answer):
    accuracy: float
    data_points_trained: int
    test_samples: int
    class_metrics: dict[str, Any]
    confusion_matrix: ConfusionMatrix
    model_hash: str


class HistoryEntry(Answer):
    block_index: int
    data_points_trained: int
    test_correct: int
    test_rows: int
    accuracy: float
    model_hash: str
    timestamp_ms: Optional[int] = None


class HistoryPage(Answer):
    history: list[HistoryEntry]
    next: Optional[int]


class Balance(Answer):
    address: str
    balance: int
    available: int


class Contribution(Answer):
    flower_id: str
    block_index: int
    deposit: int
    left: int
    refunded: bool
    claimable_from_block: int
    model_agrees: bool
    refund_allowed: bool
    report_allowed: bool
    data: Optional[dict[str, Any]] = None     # the four measurements and flower_type
    row: Optional[int] = None                 # its row in the training set
    reported_by: list[str] = []
    timestamp_ms: Optional[int] = None


class ContributionsPage(Answer):
    sender: str
    count: int
    contributions: list[Contribution]
    next: Optional[int]
    good: int


class TransfersPage(Answer):
    address: str
    transfers: list[Transaction]
    count: int
    next: Optional[int]


class JudgementNeighbour(Answer):
    row: int
    distance: int
    label: str
    flower_id: Optional[str]
    counted: bool
    why: str


class Judgement(Answer):
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
    blocked_by: list[str]
    refund_allowed: bool
    report_allowed: bool
    good: bool
    left: int
    claimable_from_block: int
    neighbours: list[JudgementNeighbour]


class ProofStep(Answer):
    """One step of a Merkle path: the sibling's hash, and on which side of the running hash it goes."""

    hash: str
    side: Literal["left", "right"]


class Proof(Answer):
    """``/proof/<tx_id>``: a Merkle path from the transaction id to its block's ``merkle_root``
    (empty while the transaction is pending)."""

    status: Literal["confirmed", "pending"]
    tx_id: str
    block_index: Optional[int]
    merkle_root: Optional[str] = None
    block_hash: Optional[str] = None
    position: Optional[int] = None
    path: list[ProofStep] = []


class Peer(Answer):
    url: str
    height: Optional[int]
    state: Literal["new", "ok", "unreachable", "backed_off", "other_network"]
    last_seen: Optional[float] = None
    claimed_height: Optional[int] = None
    tip: Optional[str] = None
    problem: Optional[str] = None
    next_poll_in: float
    bytes_sent: int
    bytes_received: int


class Peers(Answer):
    nodes: list[Peer]


class Registered(Answer):
    message: str
    total_nodes: list[str]


class Resolved(Answer):
    message: str
    replaced: bool
    length: int


class Message(Answer):
    message: str


class Drift(Answer):
    """``/model/drift``: do the last ``window`` contributions drift from the base data (per feature)."""

    window: int
    alpha: float
    enough_data: bool
    drifted: bool
    drifted_features: list[str]
    features: dict[str, Any]


class BaseData(Answer):
    """``/model/base``: the network's base data, measurements as the protocol's strings ("5.10")."""

    classes: list[str]
    train: list[list[str]]
    train_labels: list[str]
    test: list[list[str]]
    test_labels: list[str]


class Artifact(Answer):
    sha256: str
    size: int


class ArtifactsPage(Answer):
    artifacts: list[Artifact]
    count: int
    next: Optional[int]
    total_bytes: int
    max_bytes: int
    max_total_bytes: int


class PeerProblem(Answer):
    url: str
    problem: str


class ArtifactFetch(Artifact):
    """``POST /artifacts/fetch``: ``peer`` served it (``created``), or None when held already."""

    peer: Optional[str]
    created: bool
    tried: list[PeerProblem]


# -- training jobs (api/job_responses.py) -------------------------------------------------------------

class JobWindows(Answer):
    """Inclusive heights of each step of a job, and the block that settles it."""

    commit: list[int]
    test: list[int]
    model: list[int]
    settle: int


class JobCommitment(Answer):
    worker: str
    model_commitment: str
    height: int
    position: int
    revealed: bool


class Job(Answer):
    """``/jobs/<id>``: a job's JOB data, windows, state, commitments, reveals and settlement."""

    id: str
    height: int
    requester: str
    bounty: int
    data: dict[str, Any]
    windows: JobWindows
    state: Literal["commit", "test", "model", "settling", "settled"]
    commitments: list[JobCommitment]
    test: Optional[dict[str, Any]]
    models: dict[str, Any]
    settlement: Optional[dict[str, Any]]
    settled_in: Optional[int]


class JobSummary(Answer):
    """A job in ``/jobs``: its view without the test set and models (``Node.job(id)`` has them)."""

    id: str
    height: int
    requester: str
    bounty: int
    data: dict[str, Any]
    windows: JobWindows
    state: Literal["commit", "test", "model", "settling", "settled"]
    commitments: list[JobCommitment]
    test_revealed: bool
    settlement: Optional[dict[str, Any]]
    settled_in: Optional[int]


class JobsPage(Answer):
    jobs: list[JobSummary]
    count: int
    next: Optional[int]


class JobAccepted(Accepted):
    """A 201 for a job transaction; ``job_id`` names its job."""

    job_id: str


class JobPrediction(Answer):
    job_id: str
    winner: str
    kind: str
    predictions: list[int]
    labels: list[str]
