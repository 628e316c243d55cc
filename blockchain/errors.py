"""Every failure the ledger can report, one class per failure under one root.

Messages follow the form "X must be ...; got ...". The API maps these classes to
HTTP statuses in one place (``api/errors.py``); nothing here knows about HTTP.
"""
from __future__ import annotations


class BlockchainError(Exception):
    """Root of every error raised by the ``blockchain`` package."""

    code = "blockchain_error"

    def __init__(self, message: str, *, block_index: int | None = None, tx_id: str | None = None):
        super().__init__(message)
        self.message = message
        self.block_index = block_index
        self.tx_id = tx_id


class ValidationError(BlockchainError):
    """Something from outside does not follow PROTOCOL.md."""

    code = "invalid"


class InvalidTransaction(ValidationError):
    code = "invalid_transaction"


class InvalidSignature(InvalidTransaction):
    code = "invalid_signature"


class SignatureRequired(InvalidTransaction):
    code = "signature_required"


class InsufficientFunds(InvalidTransaction):
    code = "insufficient_funds"


class ClaimNotAllowed(InvalidTransaction):
    """A REFUND or REPORT that the rules do not allow now; the message says why."""

    code = "claim_not_allowed"


class InvalidBlock(ValidationError):
    code = "invalid_block"


class InvalidChain(ValidationError):
    code = "invalid_chain"


class UnknownTransaction(BlockchainError):
    """No transaction with that id on the chain or in the pending pool."""

    code = "unknown_transaction"


class UnknownBlock(BlockchainError):
    """No block with that height or hash on this node's chain."""

    code = "unknown_block"


class DuplicateTransaction(BlockchainError):
    """The transaction id is already on the chain or in the pending pool."""

    code = "duplicate_transaction"


class ClaimPending(DuplicateTransaction):
    """The sender already has a claim (REFUND or REPORT) of this flower pending."""

    code = "claim_pending"


class PoolFull(BlockchainError):
    code = "pool_full"


class BlockConflict(BlockchainError):
    """A block that is valid on its own but does not extend our tip."""

    code = "block_conflict"


class StorageError(BlockchainError):
    """The data directory cannot be used (wrong network, corrupt, unreadable)."""

    code = "storage_error"


class StorageFull(StorageError):
    """A write found the disk full; nothing was written, and the next write tries again."""

    code = "storage_full"


class StorageBusy(StorageError):
    """Another process held the database's write lock too long; nothing was written."""

    code = "storage_busy"


class ModelUpdateError(BlockchainError):
    """The model refused a block's data after the block was validated (a bug, never input)."""

    code = "model_update_failed"


class UndoMissing(BlockchainError):
    """A rewind below the blocks whose undo records a state holds (``ChainState.rewind``); the
    ledger catches it and rebuilds the state instead, so it never reaches a client."""

    code = "undo_missing"


class MiningAborted(BlockchainError):
    """The node is shutting down; the block under way was not mined."""

    code = "mining_aborted"


class MiningBusy(BlockchainError):
    """Too many requests are already mining or waiting to mine; the caller should retry later."""

    code = "mining_busy"


class VerifyError(BlockchainError):
    """``python -m blockchain.verify`` cannot check its input (unreadable, not strict JSON, not a chain)."""

    code = "verify_error"
