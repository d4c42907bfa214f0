"""Sealed secrets: AES-GCM encryption bound to where a ciphertext lives, under a rotatable key ring."""

from app.vault.keyring import KeyRing, KeyRingError, KeySource, key_source_for, load_key_source
from app.vault.sealed import SealContext, SealError, Vault
from app.vault.secret import Secret

__all__ = [
    "KeyRing",
    "KeyRingError",
    "KeySource",
    "SealContext",
    "SealError",
    "Secret",
    "Vault",
    "key_source_for",
    "load_key_source",
]
