"""Ed25519 keys, addresses and signatures as PROTOCOL.md ("Signed transactions") defines them."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .encoding import canon, is_hex, sha256_hex
from .errors import BlockchainError

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


def sign_body(key: Ed25519PrivateKey, body: dict[str, Any]) -> str:
    """Hex of the Ed25519 signature of ``canon(body)``."""
    return key.sign(canon(body)).hex()


def verify_body(public_key_hex_: str, body: dict[str, Any], signature_hex: str) -> bool:
    if not is_hex(public_key_hex_, 64) or not is_hex(signature_hex, 128):
        return False
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex_)).verify(
            bytes.fromhex(signature_hex), canon(body)
        )
    except (_CryptoInvalidSignature, ValueError):
        return False
    return True


class KeyFileError(BlockchainError, ValueError):
    """A key file that cannot be created or read; the message says why."""

    code = "key_file_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)


def write_new_private_file(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` as a new file: owner-readable only (0600), written atomically (a
    temporary file, fsync, a hard link, then the directory's fsync), never replacing one that
    exists. Raises ``FileExistsError`` if ``path`` exists and ``OSError`` if it cannot be written."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding=encoding) as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, path)  # fails if path exists: never replaces a file
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def create_key_file(path: Path) -> Ed25519PrivateKey:
    """Create a new key at ``path``: owner-readable only, written atomically, never overwriting."""
    path = Path(path)
    key = generate_private_key()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        write_new_private_file(path, private_key_seed_hex(key) + "\n", encoding="ascii")
    except FileExistsError:
        raise KeyFileError(f"{path} already exists; refusing to overwrite a key") from None
    except OSError as exc:
        raise KeyFileError(f"cannot create {path}: {exc.strerror or exc}") from None
    return key


def read_key_file(path: Path) -> Ed25519PrivateKey:
    path = Path(path)
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise KeyFileError(f"{path} does not exist; create it first") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        return private_key_from_seed(text)
    except ValueError:
        raise KeyFileError(f"{path} must hold a 64-character hex Ed25519 seed") from None


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The node's key: read it, or create it on first start."""
    try:
        return read_key_file(path)
    except KeyFileError:
        if Path(path).exists():
            raise
    return create_key_file(path)
