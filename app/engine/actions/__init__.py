"""The action library: each kind of Okta object the playbooks create or adopt."""

from app.engine.actions.base import Action, ActionError, Applied, PlanItem, Record, registry

__all__ = ["Action", "ActionError", "Applied", "PlanItem", "Record", "registry"]
