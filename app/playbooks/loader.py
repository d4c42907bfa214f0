"""Loading and validating playbooks at start-up: a playbook that names an unknown action or
check, misses a required parameter, or refers to an input or setting it does not define stops
the server with a message that says where."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from app.engine.actions import registry
from app.engine.checks import check_registry
from app.engine.scope import references
from app.playbooks.schema import Playbook
from app.playbooks.tasks import ServiceTokenTask

VENDOR_DIR = Path(__file__).resolve().parent / "vendors"
NAMESPACES = {"input", "fact", "setting", "org", "admin"}
SETTING_PREFIX = "playbook:"


class PlaybookError(Exception):
    pass


def _check_references(playbook: Playbook, where: str, value: Any) -> None:
    inputs = {i.key for i in playbook.inputs}
    for namespace, name in references(value):
        if namespace not in NAMESPACES:
            raise PlaybookError(f"{playbook.key}: {where} refers to unknown namespace {namespace}")
        if namespace == "input" and name not in inputs:
            raise PlaybookError(f"{playbook.key}: {where} refers to undefined input {name}")
        if namespace == "setting" and name not in playbook.settings:
            raise PlaybookError(f"{playbook.key}: {where} refers to undefined setting {name}")


def _check_params(playbook: Playbook, where: str, model: Any, params: dict[str, Any]) -> None:
    fields = model.model_fields
    unknown = set(params) - set(fields)
    if unknown:
        raise PlaybookError(f"{playbook.key}: {where} has unknown parameters {sorted(unknown)}")
    missing = [name for name, field in fields.items() if field.is_required() and name not in params]
    if missing:
        raise PlaybookError(f"{playbook.key}: {where} lacks required parameters {missing}")


def validate(playbook: Playbook) -> Playbook:
    actions = registry()
    checks = check_registry()
    for spec in playbook.inputs:
        _check_references(playbook, f"input {spec.key}", spec.default)
    for key, setting in playbook.settings.items():
        _check_references(playbook, f"setting {key}", setting.default)
    for _section, step in playbook.steps():
        if step.task is not None:
            for value in step.task.paste:
                _check_references(playbook, f"step {step.key} paste", value.value)
            if step.task.kind == "service_token":
                try:
                    ServiceTokenTask.model_validate(step.task.params)
                except ValidationError as exc:
                    raise PlaybookError(f"{playbook.key}: step {step.key} has invalid token task parameters: "
                                        f"{exc.errors()[0]['msg']}") from exc
        for action in step.actions:
            if action.kind not in actions:
                raise PlaybookError(f"{playbook.key}: action {action.key} has unknown kind {action.kind}")
            _check_params(playbook, f"action {action.key}", actions[action.kind].params_model, action.params)
            for requirement in action.requires:
                if requirement.startswith("input.") and requirement[len("input."):] not in \
                        {i.key for i in playbook.inputs}:
                    raise PlaybookError(f"{playbook.key}: action {action.key} requires undefined {requirement}")
            _check_references(playbook, f"action {action.key}", action.params)
        for check in step.checks:
            if check.kind not in checks:
                raise PlaybookError(f"{playbook.key}: check {check.key} has unknown kind {check.kind}")
            _check_params(playbook, f"check {check.key}", checks[check.kind].params_model, check.params)
            _check_references(playbook, f"check {check.key}", check.params)
    return playbook


def load_file(path: Path) -> Playbook:
    try:
        data = yaml.safe_load(path.read_text())
        return validate(Playbook.model_validate(data))
    except ValidationError as exc:
        raise PlaybookError(f"{path.name}: {exc}") from exc


class PlaybookLibrary:
    def __init__(self, playbooks: Mapping[str, Playbook]) -> None:
        self._playbooks = dict(playbooks)

    @classmethod
    def load(cls, directory: Path = VENDOR_DIR) -> PlaybookLibrary:
        found: dict[str, Playbook] = {}
        for path in sorted(directory.glob("*.yaml")):
            playbook = load_file(path)
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
