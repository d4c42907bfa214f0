"""The keys of the audit trail: derived from the vault's key ring, so they live outside the database.

Each event is chained with an HMAC under a key derived from the vault's primary key (label
``audit-chain``) and names that key's id; after a rotation new events use the new key and older
events still verify with the old one, which the ring keeps (retiring a key the trail uses is
refused). Anchors are signed with another derived key (label ``audit-anchor``).

The process that writes or verifies the trail says where its keys come from once, at start-up
(:func:`use_keys`: the application factory and the command line do).
"""

from __future__ import annotations

from app.vault.keyring import Key, KeyRing, KeySource

CHAIN_LABEL = "audit-chain"
ANCHOR_LABEL = "audit-anchor"


class AuditKeyError(RuntimeError):
    """No key source was configured for the audit trail, or a key it names is not in the ring."""


_source: KeySource | None = None


def use_keys(source: KeySource) -> None:
    global _source
    _source = source


def key_source() -> KeySource:
    if _source is None:
        raise AuditKeyError("the audit trail has no key: call app.audit.keys.use_keys() at start-up")
    return _source


def current_ring() -> KeyRing:
    return key_source().ring()


def find_key(ring: KeyRing, key_id_hex: str) -> Key | None:
    try:
        wanted = bytes.fromhex(key_id_hex)
    except ValueError:
        return None
    key = ring.find(wanted)
    if key is None and _source is not None and ring is _source.ring():
        # Another process may have rotated the key file a moment ago.
        key = _source.reload().find(wanted)
    return key


def chain_key(key: Key) -> bytes:
    return key.derive(CHAIN_LABEL)


def anchor_key(key: Key) -> bytes:
    return key.derive(ANCHOR_LABEL)
