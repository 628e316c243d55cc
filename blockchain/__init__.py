"""The ledger of PROTOCOL.md version 2: blocks, transactions, proof of work, validation, storage.

Knows nothing of machine learning or HTTP: the model is any object that follows
``blockchain.model_port.LedgerModel``.
"""
from .audit import AuditResult, audit_chain
from .block import Block
from .chain import Blockchain, MiningAborted
from .encoding import canon, check_value, merkle_proof, merkle_root, sha256_hex, verify_merkle_proof
from .errors import (BlockchainError, BlockConflict, ClaimNotAllowed, DuplicateTransaction, InsufficientFunds,
                     InvalidBlock, InvalidChain, InvalidSignature, InvalidTransaction, ModelUpdateError, PoolFull,
                     SignatureRequired, StorageError, UnknownBlock, UnknownTransaction, ValidationError)
from .genesis import PROTOCOL_VERSION, PROTOCOLS, make_genesis, network_params
from .proofs import inclusion_proof, verify_inclusion
from .storage import MemoryStore, SQLiteStore
from .transactions import (FEATURES, FLOWER_DATA, MODEL_UPDATE, REFUND, REPORT, REWARD, TRANSFER, Transaction,
                           claim_body, flower_body, transfer_body)
from .transition import Issue

__all__ = [
    "AuditResult", "audit_chain", "Block", "Blockchain", "MiningAborted", "canon", "check_value", "merkle_proof",
    "merkle_root", "sha256_hex", "verify_merkle_proof", "BlockchainError", "BlockConflict", "ClaimNotAllowed",
    "DuplicateTransaction", "InsufficientFunds", "InvalidBlock", "InvalidChain", "InvalidSignature",
    "InvalidTransaction", "ModelUpdateError", "PoolFull", "SignatureRequired", "StorageError", "UnknownBlock",
    "UnknownTransaction",
    "ValidationError",
    "PROTOCOL_VERSION", "PROTOCOLS", "make_genesis", "network_params", "Issue", "inclusion_proof", "verify_inclusion",
    "MemoryStore", "SQLiteStore", "FEATURES", "FLOWER_DATA", "MODEL_UPDATE", "REFUND", "REPORT", "REWARD",
    "TRANSFER", "Transaction", "claim_body", "flower_body", "transfer_body",
]
