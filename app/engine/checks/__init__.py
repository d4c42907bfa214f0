"""The check library: each verification item a playbook can ask for."""

from app.engine.checks.base import Check, CheckOutcome, CheckState, check_registry

__all__ = ["Check", "CheckOutcome", "CheckState", "check_registry"]
