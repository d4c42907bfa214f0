"""Values a playbook can refer to: ``{input.x}``, ``{fact.x}``, ``{setting.x}``, ``{org.x}``,
``{admin.x}``; and the tiny condition language of ``when:`` (``input.mode == read_write``,
``fact.x``, ``not input.y``, joined by ``and``). Both are parsed by app/playbooks/templates.py,
which the loader checks playbooks with; here they are filled and evaluated. Nothing is evaluated
as code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.playbooks.templates import REF as _REF
from app.playbooks.templates import Clause, clauses, references

__all__ = ["OrgInfo", "Scope", "TemplateError", "references"]


class TemplateError(KeyError):
    pass


@dataclass
class OrgInfo:
    # The org's own Okta address (acme.okta.com), even when it is reached by a custom domain.
    origin: str
    display_domain: str
    org_id: str = ""
    pipeline: str = ""
    partition: str = "okta"
    admin_console: str = ""
    # The org's custom URL domain (host only), or "" when it has none.
    custom_domain: str = ""
    # When the connection's preflight read what is known here (its engine), in seconds since the
    # epoch; None when not known. Not a template name.
    read_at: float | None = None

    def as_dict(self) -> dict[str, str]:
        return {"origin": self.origin, "display_domain": self.display_domain, "id": self.org_id,
                "pipeline": self.pipeline, "partition": self.partition, "admin_console": self.admin_console,
                "identity_engine": "yes" if self.pipeline == "idx" else "no", "custom_domain": self.custom_domain}


@dataclass
class Scope:
    inputs: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    org: OrgInfo | None = None
    admin: dict[str, Any] = field(default_factory=dict)

    def lookup(self, namespace: str, name: str) -> Any:
        table: dict[str, Any]
        if namespace == "input":
            table = self.inputs
        elif namespace == "fact":
            table = self.facts
        elif namespace == "setting":
            table = self.settings
        elif namespace == "org":
            table = self.org.as_dict() if self.org else {}
        elif namespace == "admin":
            table = self.admin
        else:
            raise TemplateError(f"unknown namespace {namespace}")
        if name not in table:
            raise TemplateError(f"{namespace}.{name} is not known yet")
        return table[name]

    def has(self, namespace: str, name: str) -> bool:
        try:
            self.lookup(namespace, name)
        except TemplateError:
            return False
        return True

    def render(self, value: Any) -> Any:
        """Fill templates in a string, or in every string of a list or dict.

        A string that is exactly one reference keeps the referenced value's type (a list stays a
        list), so ``"{setting.permissions}"`` can stand for a list of permissions."""
        if isinstance(value, str):
            whole = _REF.fullmatch(value)
            if whole:
                return self.lookup(whole.group(1), whole.group(2))
            return _REF.sub(lambda m: str(self.lookup(m.group(1), m.group(2))), value)
        if isinstance(value, list):
            out: list[Any] = []
            for item in value:
                rendered = self.render(item)
                out.extend(rendered if isinstance(rendered, list) and isinstance(item, str) and _REF.fullmatch(item)
                           else [rendered])
            return out
        if isinstance(value, dict):
            return {k: self.render(v) for k, v in value.items()}
        return value

    def can_render(self, value: Any) -> bool:
        try:
            self.render(value)
        except TemplateError:
            return False
        return True

    def condition(self, expression: str | None) -> bool:
        return all(self._clause(clause) for clause in clauses(expression))

    def _clause(self, clause: Clause) -> bool:
        value = self._value(clause.reference)
        if clause.op is not None:
            same = str(value).lower() == clause.right.lower()
            result = same if clause.op == "==" else not same
            return result != clause.negate
        truthy = bool(value) and str(value).lower() not in ("false", "no", "0", "none")
        return truthy != clause.negate

    def _value(self, reference: str) -> Any:
        namespace, _, name = reference.partition(".")
        if not name:
            raise TemplateError(f"bad reference {reference!r}")
        try:
            return self.lookup(namespace, name)
        except TemplateError:
            return None
