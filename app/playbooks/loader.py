"""Loading playbooks at start-up: a playbook that names an unknown action or check, misses a
required parameter, refers to an input, setting or fact that does not exist (or not yet), stops
the server with a message naming the file and the step (the rules: app/playbooks/validation.py)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from app.playbooks.kinds import KindCatalog
from app.playbooks.schema import Playbook
from app.playbooks.validation import PlaybookError, validate

__all__ = ["SETTING_PREFIX", "VENDOR_DIR", "PlaybookError", "PlaybookLibrary", "effective_settings", "load_file",
           "setting_key", "validate"]

VENDOR_DIR = Path(__file__).resolve().parent / "vendors"
# libyaml's safe loader where PyYAML was built with it (ten times faster; the same documents).
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SETTING_PREFIX = "playbook:"


def load_file(path: Path, kinds: KindCatalog) -> Playbook:
    """One playbook, checked against the action and check kinds the engine supplies
    (app/engine/kinds.py: ``KINDS``)."""
    return _checked(path.read_text(), path.name, kinds)


@functools.lru_cache(maxsize=64)
def _checked(text: str, name: str, kinds: KindCatalog) -> Playbook:
    """A playbook's text parsed and checked once per process: a server loads each file once, but
    the tests and the command line build an app many times, and parsing the five playbooks was a
    third of a page test's time. Playbooks are frozen models, so sharing one is safe; a file whose
    text changed is a new entry, and a playbook that fails is not kept (it raises)."""
    try:
        data = yaml.load(text, Loader=_SafeLoader)  # noqa: S506 (the safe loader)
        return validate(Playbook.model_validate(data), kinds, name)
    except ValidationError as exc:
        raise PlaybookError(f"{name}: {exc}") from exc


class PlaybookLibrary:
    def __init__(self, playbooks: Mapping[str, Playbook]) -> None:
        self._playbooks = dict(playbooks)

    @classmethod
    def load(cls, kinds: KindCatalog, directory: Path = VENDOR_DIR) -> PlaybookLibrary:
        """Every playbook of ``directory``; ``kinds``: see ``load_file``."""
        found: dict[str, Playbook] = {}
        for path in sorted(directory.glob("*.yaml")):
            playbook = load_file(path, kinds)
            if playbook.key in found:
                raise PlaybookError(f"two playbooks have the key {playbook.key}")
            found[playbook.key] = playbook
        return cls(found)

    def get(self, key: str) -> Playbook:
        if key not in self._playbooks:
            raise KeyError(key)
        return self._playbooks[key]

    def __contains__(self, key: object) -> bool:
        return key in self._playbooks

    def all(self) -> list[Playbook]:
        return sorted(self._playbooks.values(), key=lambda p: p.name)


def setting_key(playbook_key: str, name: str) -> str:
    return f"{SETTING_PREFIX}{playbook_key}:{name}"


def effective_settings(playbook: Playbook, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The playbook's settings with administrator overrides applied (still templates)."""
    values: dict[str, Any] = {}
    for name, spec in playbook.settings.items():
        override = overrides.get(setting_key(playbook.key, name))
        values[name] = override if override not in (None, "", []) else spec.default
    return values
