"""The ledger: blocks, transactions, proof of work, validation, storage.

Knows nothing of machine learning or HTTP: the model is any object that follows
``blockchain.model_port.LedgerModel``.
"""
from .audit import AuditResult, audit_chain
from .block import Block
from .chain import Blockchain, MiningAborted
from .encoding import canon, merkle_proof, merkle_root, sha256_hex, verify_merkle_proof
from .errors import (BlockchainError, BlockConflict, DuplicateTransaction, InsufficientFunds,
                     InvalidBlock, InvalidChain, InvalidSignature, InvalidTransaction,
                     ModelUpdateError, PoolFull, SignatureRequired, StorageError, ValidationError)
from .genesis import make_genesis
from .ledger import Issue
from .proofs import inclusion_proof, verify_inclusion
from .storage import MemoryStore, SQLiteStore
from .transactions import (FEATURES, FLOWER_DATA, FLOWER_TYPES, MODEL_UPDATE, REWARD, TRANSFER,
                           Transaction, flower_body, transfer_body)

__all__ = [
    "AuditResult", "audit_chain", "Block", "Blockchain", "MiningAborted", "canon", "merkle_proof", "merkle_root",
    "sha256_hex", "verify_merkle_proof", "BlockchainError", "BlockConflict", "DuplicateTransaction",
    "InsufficientFunds", "InvalidBlock", "InvalidChain", "InvalidSignature", "InvalidTransaction", "ModelUpdateError",
    "PoolFull", "SignatureRequired", "StorageError", "ValidationError", "make_genesis", "Issue", "inclusion_proof",
    "verify_inclusion", "MemoryStore", "SQLiteStore", "FEATURES", "FLOWER_DATA", "FLOWER_TYPES", "MODEL_UPDATE",
    "REWARD", "TRANSFER", "Transaction", "flower_body", "transfer_body",
]
