"""The audit trail: who did what, when, from where; every Okta call; hash-chained."""

from app.audit.chain import ChainReport, verify_chain
from app.audit.recorder import Actor, record

__all__ = ["Actor", "ChainReport", "record", "verify_chain"]
