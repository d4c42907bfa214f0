"""Playbooks are validated at start-up: unknown kinds, missing parameters, undefined inputs or
settings and duplicate keys stop the server with a message that says where."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from app.engine.kinds import KINDS
from app.playbooks.loader import VENDOR_DIR, PlaybookError, PlaybookLibrary, effective_settings, load_file, setting_key


def test_every_shipped_playbook_loads() -> None:
    library = PlaybookLibrary.load(KINDS)
    assert "defender-for-identity" in library
    for playbook in library.all():
        assert playbook.sections and playbook.needs
        for _section, step in playbook.steps():
            assert step.doc.section, step.key


def _variant(tmp_path: Path, change: object) -> Path:
    data = yaml.safe_load((VENDOR_DIR / "defender-for-identity.yaml").read_text())
    change(data)  # type: ignore[operator]
    path = tmp_path / "variant.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _first_action(data: dict) -> dict:  # type: ignore[type-arg]
    for section in data["sections"]:
        for step in section["steps"]:
            if step.get("actions"):
                return step["actions"][0]  # type: ignore[no-any-return]
    raise AssertionError


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: _first_action(d).update(kind="okta_unicorn"), "unknown kind okta_unicorn"),
    (lambda d: _first_action(d)["params"].pop("login"), "lacks required parameters ['login']"),
    (lambda d: _first_action(d)["params"].update(colour="blue"), "unknown parameters ['colour']"),
    (lambda d: _first_action(d)["params"].update(login="{input.nope}"), "undefined input nope"),
    (lambda d: _first_action(d)["params"].update(login="{setting.nope}"), "undefined setting nope"),
    (lambda d: _first_action(d).update(key="super_admin"), "duplicate action:super_admin"),
    (lambda d: d["sections"][0]["steps"][0].update(title="x" * 200), "at most 90 characters"),
])
def test_invalid_playbooks_are_refused(tmp_path: Path, change: object, message: str) -> None:
    with pytest.raises(PlaybookError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_file(_variant(tmp_path, change), KINDS)


def test_administrator_overrides_win_over_defaults() -> None:
    playbook = PlaybookLibrary.load(KINDS).get("defender-for-identity")
    values = effective_settings(playbook, {setting_key(playbook.key, "iam_resource"): "orn:custom"})
    assert values["iam_resource"] == "orn:custom"
    assert values["custom_role_permissions"] == playbook.settings["custom_role_permissions"].default


def test_values_okta_would_refuse_are_refused_by_their_field_before_anything_runs() -> None:
    from app.common.validation import Fields
    from app.onboardings.service import check_input

    checked = 0
    for playbook in PlaybookLibrary.load(KINDS).all():
        for spec in playbook.inputs:
            if spec.key in ("first_name", "last_name"):
                form = Fields({spec.key: "n" * 51})
                check_input(form, spec)
                assert "50" in form.errors[spec.key]
                checked += 1
            if spec.key == "role_label":
                form = Fields({"role_label": "Security/Read only"})
                check_input(form, spec)
                assert "cannot contain a slash" in form.errors["role_label"]
                form = Fields({"role_label": "Security read only"})
                assert check_input(form, spec) == "Security read only" and not form.errors
                checked += 1
    assert checked == 10  # four playbooks with a service account's names, two with a custom role


def test_a_playbook_with_a_broken_input_pattern_does_not_load(tmp_path: Path) -> None:
    def change(doc: dict[str, object]) -> None:
        inputs = doc["inputs"]
        assert isinstance(inputs, list)
        inputs[0]["pattern"] = "[unclosed"

    with pytest.raises(PlaybookError):
        load_file(_variant(tmp_path, change), KINDS)
