"""Ed25519 keys, addresses and signatures as PROTOCOL.md ("Signed transactions") defines them."""
from __future__ import annotations

import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .encoding import canon, is_hex, sha256_hex

_RAW = serialization.Encoding.Raw
_RAW_PUB = serialization.PublicFormat.Raw
_RAW_PRIV = serialization.PrivateFormat.Raw


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_from_seed(seed_hex: str) -> Ed25519PrivateKey:
    if not is_hex(seed_hex, 64):
        raise ValueError(f"private key seed must be 64 lowercase hex characters; got {seed_hex!r:.80}")
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex))


def private_key_seed_hex(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(_RAW, _RAW_PRIV, serialization.NoEncryption()).hex()


def public_key_hex(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(_RAW, _RAW_PUB).hex()


def address_of(public_key_hex_: str) -> str:
    """``H(raw_public_key_bytes)[:40]``."""
    return sha256_hex(bytes.fromhex(public_key_hex_))[:40]


def sign_body(key: Ed25519PrivateKey, body: dict) -> str:
    """Hex of the Ed25519 signature of ``canon(body)``."""
    return key.sign(canon(body)).hex()


def verify_body(public_key_hex_: str, body: dict, signature_hex: str) -> bool:
    if not is_hex(public_key_hex_, 64) or not is_hex(signature_hex, 128):
        return False
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex_)).verify(
            bytes.fromhex(signature_hex), canon(body)
        )
    except (_CryptoInvalidSignature, ValueError):
        return False
    return True


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """Read the key at ``path``; create it (owner-readable only, written atomically) if absent."""
    path = Path(path)
    if path.exists():
        return private_key_from_seed(path.read_text(encoding="ascii").strip())
    key = generate_private_key()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(private_key_seed_hex(key) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return key
