"""The little languages of a playbook, parsed here and nowhere else: templates (``{input.x}``,
``{fact.x}``, ``{setting.x}``, ``{org.x}``, ``{admin.x}``) and the conditions of ``when:``
(``input.mode == read_write``, ``fact.x``, ``not input.y``, joined by ``and``).

The loader checks what they name; the engine's scope (app/engine/scope.py) fills and evaluates
them with the same parsing, so what loads is what runs. Nothing is evaluated as code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

REF = re.compile(r"\{([a-z]+)\.([A-Za-z0-9_]+)\}")
NAMESPACES = frozenset({"input", "fact", "setting", "org", "admin"})
# What ``{org.x}`` can name (the keys of app.engine.scope.OrgInfo.as_dict) and ``{admin.x}``
# (app.engine.runtime.admin_info: the connection's owner).
ORG_NAMES = frozenset({"origin", "display_domain", "id", "pipeline", "partition", "admin_console",
                       "identity_engine", "custom_domain"})
ADMIN_NAMES = frozenset({"id", "login", "email", "email_domain"})


def references(value: Any) -> list[tuple[str, str]]:
    """Every ``{namespace.name}`` a template refers to, in a string or any string of a list or dict."""
    found: list[tuple[str, str]] = []
    if isinstance(value, str):
        found.extend((m.group(1), m.group(2)) for m in REF.finditer(value))
    elif isinstance(value, list):
        for item in value:
            found.extend(references(item))
    elif isinstance(value, dict):
        for item in value.values():
            found.extend(references(item))
    return found


@dataclass(frozen=True)
class Clause:
    """One clause of a condition: ``[not] namespace.name [== value | != value]``."""

    negate: bool
    reference: str  # "input.mode"
    op: str | None = None  # "==", "!=", or None: the value's truth
    right: str = ""

    @property
    def namespace(self) -> str:
        return self.reference.partition(".")[0]

    @property
    def name(self) -> str:
        return self.reference.partition(".")[2]


def clauses(expression: str | None) -> list[Clause]:
    """The clauses of a ``when:`` condition (all must hold); none for an empty condition."""
    if not expression:
        return []
    found: list[Clause] = []
    for part in expression.split(" and "):
        clause = part.strip()
        negate = clause.startswith("not ")
        if negate:
            clause = clause[4:].strip()
        for op in ("==", "!="):
            if op in clause:
                left, right = (p.strip() for p in clause.split(op, 1))
                found.append(Clause(negate, left, op, right))
                break
        else:
            found.append(Clause(negate, clause))
    return found
