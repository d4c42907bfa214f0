"""Sealing and opening: AES-256-GCM with a versioned envelope and associated data.

Envelope, version 1: ``0x01 | key id (8 bytes) | nonce (12 bytes) | ciphertext and tag``.
The associated data names the table, column, row and purpose the ciphertext belongs to, so a
ciphertext copied into another row or column fails to open instead of decrypting.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.vault.keyring import KEY_ID_BYTES, KeySource
from app.vault.secret import Secret

VERSION_1 = 1
NONCE_BYTES = 12
_HEADER = 1 + KEY_ID_BYTES + NONCE_BYTES


class SealError(Exception):
    """A ciphertext could not be opened: wrong row, unknown key, or tampering."""


@dataclass(frozen=True)
class SealContext:
    table: str
    column: str
    row_id: str
    purpose: str
    # Who the secret belongs to ("connection:<id>", "onboarding:<id>"): when given it is bound into
    # the associated data too, so a ciphertext moved to another owner's row, or a row relabelled
    # with another owner, fails to open. Empty for secrets sealed before owners were recorded.
    owner: str = ""

    def associated_data(self) -> bytes:
        parts: tuple[str, ...] = ("onboard-vault/1", self.table, self.column, self.row_id, self.purpose)
        if self.owner:
            parts = ("onboard-vault/2", self.table, self.column, self.row_id, self.purpose, self.owner)
        for part in parts:
            if "\x00" in part:
                raise ValueError("NUL in seal context")
        return "\x00".join(parts).encode()


class Vault:
    def __init__(self, keys: KeySource) -> None:
        self.keys = keys

    def seal(self, plaintext: str | Secret, context: SealContext) -> bytes:
        value = plaintext.reveal() if isinstance(plaintext, Secret) else plaintext
        return self._seal_bytes(value.encode(), context)

    def _seal_bytes(self, data: bytes, context: SealContext) -> bytes:
        key = self.keys.ring().primary
        nonce = os.urandom(NONCE_BYTES)
        body = AESGCM(key.material).encrypt(nonce, data, context.associated_data())
        return bytes([VERSION_1]) + key.id + nonce + body

    def _open_bytes(self, blob: bytes, context: SealContext) -> bytes:
        if len(blob) < _HEADER + 16 or blob[0] != VERSION_1:
            raise SealError("not a sealed secret of a known version")
        key_id = blob[1 : 1 + KEY_ID_BYTES]
        nonce = blob[1 + KEY_ID_BYTES : _HEADER]
        key = self.keys.ring().find(key_id)
        if key is None:
            # Another process may have rotated the key file a moment ago.
            key = self.keys.reload().find(key_id)
        if key is None:
            raise SealError(f"sealed with key {key_id.hex()}, which is not in the key ring")
        try:
            return AESGCM(key.material).decrypt(nonce, blob[_HEADER:], context.associated_data())
        except InvalidTag as exc:
            raise SealError("the secret does not belong here or was altered") from exc

    def open(self, blob: bytes, context: SealContext) -> Secret:
        return Secret(self._open_bytes(blob, context).decode())

    @staticmethod
    def key_id_of(blob: bytes) -> str:
        return blob[1 : 1 + KEY_ID_BYTES].hex()

    def needs_reseal(self, blob: bytes) -> bool:
        return self.key_id_of(blob) != self.keys.ring().primary.id_hex

    def reseal(self, blob: bytes, context: SealContext, new_context: SealContext | None = None) -> bytes:
        """Re-encrypt under the primary key (and ``new_context``, when the associated data changes)
        without the plaintext ever becoming a Python str."""
        return self._seal_bytes(self._open_bytes(blob, context), new_context or context)
