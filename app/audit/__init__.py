"""The audit trail: who did what, when, from where; every Okta call; hash-chained."""

from app.audit.chain import ChainReport, verify_chain
from app.audit.keys import use_keys
from app.audit.recorder import Actor, Entry, record, record_many

__all__ = ["Actor", "ChainReport", "Entry", "record", "record_many", "use_keys", "verify_chain"]
