"""What the loader needs to know of the action and check kinds a playbook names, without
knowing the engine that implements them: the engine supplies a ``KindCatalog``
(app/engine/kinds.py) and the loader checks each ``kind:`` against it. The playbooks package
imports nothing from the engine."""

from __future__ import annotations

from collections.abc import Mapping
from string import Formatter
from typing import Any, Protocol

from pydantic import BaseModel


class Kind(Protocol):
    """An action or check kind (in the engine: the class itself)."""

    @property
    def params_model(self) -> type[BaseModel]: ...

    # The facts it may set: names, or patterns filled from the parameters ("{fact}_login").
    @property
    def produces(self) -> frozenset[str]: ...


class KindCatalog(Protocol):
    def actions(self) -> Mapping[str, Kind]: ...

    def __hash__(self) -> int: ...  # the loader keeps checked playbooks per catalog

    def checks(self) -> Mapping[str, Kind]: ...


class ProducesError(ValueError):
    pass


def pattern_fields(pattern: str) -> list[str]:
    """The parameters a ``produces`` pattern is filled from: ``"{fact}_login"`` -> ``["fact"]``."""
    return [field for _text, field, _spec, _conv in Formatter().parse(pattern) if field is not None]


def produced(kind: Kind, params: Mapping[str, Any]) -> set[str]:
    """The facts an action or check of ``kind`` with these (raw) parameters may set. A pattern
    whose parameter is None (and has no default) sets nothing; a fact name must be written out in
    the playbook, not a template, so it can be checked."""
    facts: set[str] = set()
    fields = kind.params_model.model_fields
    for pattern in kind.produces:
        values: dict[str, str] = {}
        for name in pattern_fields(pattern):
            if name not in fields:
                raise ProducesError(f"its kind declares it produces {pattern!r}, but has no parameter {name}")
            value = params[name] if name in params else fields[name].get_default(call_default_factory=True)
            if value is None:
                break
            if not isinstance(value, str) or "{" in value:
                raise ProducesError(f"parameter {name} names a fact, so it must be a plain name, not {value!r}")
            values[name] = value
        else:
            facts.add(pattern.format_map(values))
    return facts
