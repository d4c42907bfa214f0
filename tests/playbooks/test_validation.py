"""A playbook that would fail only when an onboarding reaches it does not load: a misspelt or
not-yet-produced ``{fact.x}``, a ``when:`` or ``requires:`` naming nothing, an unknown action or
check kind. Each message names the file and the step. The playbooks package does not import the
engine; the engine supplies its kinds."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.engine.kinds import KINDS
from app.engine.scope import OrgInfo, Scope
from app.engine.status import timer_fact as engine_timer_fact
from app.playbooks.kinds import pattern_fields
from app.playbooks.loader import VENDOR_DIR, PlaybookError, PlaybookLibrary, load_file
from app.playbooks.tasks import timer_fact
from app.playbooks.templates import ORG_NAMES

SOURCE = "defender-for-identity.yaml"
Doc = dict[str, Any]


def _step(doc: Doc, key: str) -> Doc:
    for section in doc["sections"]:
        for step in section["steps"]:
            if step["key"] == key:
                return step  # type: ignore[no-any-return]
    raise AssertionError(key)


def _action(doc: Doc, step: str, key: str) -> Doc:
    return next(a for a in _step(doc, step)["actions"] if a["key"] == key)


# The rest of a proves_connection's words (the warning's "If <seen> all the same", the first call).
_SAID = {"seen": "Defender shows it", "first_call": "Defender calls on a schedule"}


def _check(doc: Doc, step: str, key: str) -> Doc:
    return next(c for c in _step(doc, step)["checks"] if c["key"] == key)


def _load_variant(tmp_path: Path, change: Callable[[Doc], object]) -> None:
    doc = yaml.safe_load((VENDOR_DIR / SOURCE).read_text())
    change(doc)
    path = tmp_path / SOURCE
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    load_file(path, KINDS)


BROKEN: list[tuple[str, Callable[[Doc], object], str]] = [
    ("misspelt fact in an action",
     lambda d: _action(d, "assign_resource_set", "custom_role_assignment")["params"].update(
         role="{fact.custom_role_idd}"),
     "defender-for-identity.yaml, step 'assign_resource_set', action 'custom_role_assignment': "
     "{fact.custom_role_idd}: fact custom_role_idd is not produced by any earlier step; "
     "did you mean fact.custom_role_id?"),
    ("fact used before the step that produces it",
     lambda d: _action(d, "create_role", "role")["params"].update(label="{fact.resource_set_id}"),
     "defender-for-identity.yaml, step 'create_role', action 'role': {fact.resource_set_id}: fact resource_set_id is "
     "produced only later, by action 'resources' of step 'create_resource_set'"),
    ("misspelt fact in a check",
     lambda d: _check(d, "create_role", "role_permissions")["params"].update(role="{fact.role_id}"),
     "defender-for-identity.yaml, step 'create_role', check 'role_permissions': {fact.role_id}: fact role_id is not "
     "produced by any earlier step; did you mean fact.custom_role_id?"),
    ("when: on a missing input",
     lambda d: _step(d, "create_role").update(when="input.custom_rol"),
     "defender-for-identity.yaml, step 'create_role': when: input.custom_rol: undefined input custom_rol"),
    ("when: on a step, which a condition cannot name",
     lambda d: _step(d, "create_resource_set").update(when="step.create_role"),
     "defender-for-identity.yaml, step 'create_resource_set': when: step.create_role: unknown namespace step"),
    ("when: on a fact nothing produces",
     lambda d: _action(d, "create_role", "role").update(when="fact.role_ready"),
     "defender-for-identity.yaml, step 'create_role', action 'role': when: fact.role_ready: fact role_ready is not "
     "produced by any earlier step"),
    ("when: on a check with no namespace",
     lambda d: _check(d, "create_role", "role_permissions").update(when="custom_role_id"),
     "defender-for-identity.yaml, step 'create_role', check 'role_permissions': when: 'custom_role_id': "
     "'custom_role_id' is not namespace.name"),
    ("requires: a fact nothing produces",
     lambda d: _action(d, "remove_super_admin", "drop_super_admin").update(requires=["service_token_verifed"]),
     "defender-for-identity.yaml, step 'remove_super_admin', action 'drop_super_admin': "
     "requires: service_token_verifed: fact service_token_verifed is not produced by any earlier step; "
     "did you mean fact.service_token_verified?"),
    ("unknown action kind",
     lambda d: _action(d, "create_role", "role").update(kind="okta_custom_rol"),
     "defender-for-identity.yaml, step 'create_role': action 'role' has unknown kind okta_custom_rol (not a registered "
     "action kind; did you mean okta_custom_role?)"),
    ("a check kind used as an action kind",
     lambda d: _action(d, "create_role", "role").update(kind="custom_role"),
     "defender-for-identity.yaml, step 'create_role': action 'role' has unknown kind custom_role"),
    ("unknown check kind",
     lambda d: _check(d, "create_role", "role_permissions").update(kind="custom_roles"),
     "defender-for-identity.yaml, step 'create_role': check 'role_permissions' has unknown kind custom_roles (not a "
     "registered check kind; did you mean custom_role?)"),
    ("an action kind used as a check kind",
     lambda d: _check(d, "create_role", "role_permissions").update(kind="okta_custom_role"),
     "defender-for-identity.yaml, step 'create_role': check 'role_permissions' has unknown kind okta_custom_role"),
    ("misspelt value of the org in a setting",
     lambda d: d["settings"]["users_resource"].update(default="{org.orign}/api/v1/users"),
     "defender-for-identity.yaml, setting 'users_resource': {org.orign}: undefined value of the org orign; did you "
     "mean org.origin?"),
    ("a paste row for a secret the step does not reveal",
     lambda d: _step(d, "verify_account")["task"].setdefault("paste", []).append(
         {"label": "Activation link", "where": "Reveal it on this step", "secret": "activation_lnk"}),
     "defender-for-identity.yaml, step 'verify_account': paste 'Activation link': secret activation_lnk is not one "
     "the step reveals (activation_link)"),
    ("proves_connection on a check Okta answers",
     lambda d: _check(d, "create_role", "role_permissions").update(proves_connection={"where": "in Defender", **_SAID}),
     "defender-for-identity.yaml, step 'create_role', check 'role_permissions': proves_connection is for an "
     "attestation (a check Okta answers proves itself)"),
    ("proves_connection before the token is pasted",
     lambda d: _check(d, "licence", "licence_confirmed").update(proves_connection={"where": "in Defender", **_SAID}),
     "defender-for-identity.yaml, step 'licence', check 'licence_confirmed': proves_connection, but no earlier step "
     "takes the service account's token (the wizard reads the token's use in Okta)"),
    ("a misspelt value in proves_connection's words",
     lambda d: _check(d, "enabled_in_defender", "defender_enabled").update(
         proves_connection={"where": "that the instance is {org.display_domian}", **_SAID}),
     "defender-for-identity.yaml, step 'enabled_in_defender', check 'defender_enabled', proves_connection: "
     "{org.display_domian}: undefined value of the org display_domian; did you mean org.display_domain?"),
    ("a fact name given as a template",
     lambda d: _action(d, "create_role", "role")["params"].update(fact="{input.role_label}"),
     "defender-for-identity.yaml, step 'create_role': action 'role': parameter fact names a fact, so it must be a "
     "plain name"),
]


@pytest.mark.parametrize(("change", "message"), [(c, m) for _name, c, m in BROKEN], ids=[n for n, _c, _m in BROKEN])
def test_a_broken_playbook_does_not_load_and_says_where(tmp_path: Path, change: Callable[[Doc], object],
                                                        message: str) -> None:
    with pytest.raises(PlaybookError, match="^" + re.escape(message)):
        _load_variant(tmp_path, change)


@pytest.mark.parametrize(("holds", "message"), [
    (lambda d: _step(d, "verify_account")["task"].update(holds=["store_credentials"]),
     "step verify_account holds steps, but only a timer's wait can hold them"),
    (lambda d: _step(d, "verify_account")["task"].update(kind="timer", timer_minutes=5, holds=["licence"]),
     "step verify_account holds 'licence', which is not a step after it"),
    (lambda d: _step(d, "verify_account")["task"].update(kind="timer", timer_minutes=5, holds=["store_credential"]),
     "step verify_account holds 'store_credential', which is not a step after it"),
])
def test_a_wait_holds_only_steps_after_it(tmp_path: Path, holds: Callable[[Doc], object], message: str) -> None:
    """``holds``: the steps a wait the document asks to finish "before proceeding" holds back (Sentinel's
    connector during the Azure role's 15 minutes); a misspelt or earlier step would hold nothing."""
    with pytest.raises(PlaybookError, match=re.escape(message)):
        _load_variant(tmp_path, holds)


def test_the_unchanged_variant_loads(tmp_path: Path) -> None:
    _load_variant(tmp_path, lambda d: None)


def test_the_five_shipped_playbooks_load() -> None:
    library = PlaybookLibrary.load(KINDS)
    assert sorted(p.key for p in library.all()) == ["authomize", "defender-for-identity", "drata", "oort",
                                                     "sentinel-unified-connector"]


def test_the_playbooks_package_does_not_import_the_engine() -> None:
    package = Path(__file__).resolve().parents[2] / "app" / "playbooks"
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n == "app.engine" or n.startswith("app.engine.") for n in names), path.name


def test_every_produces_pattern_names_parameters_of_its_kind() -> None:
    for kinds in (KINDS.actions(), KINDS.checks()):
        for name, kind in kinds.items():
            for pattern in kind.produces:
                missing = set(pattern_fields(pattern)) - set(kind.params_model.model_fields)
                assert not missing, f"{name} produces {pattern} from unknown parameters {missing}"


def test_what_the_loader_knows_of_the_engine_matches_it() -> None:
    assert set(OrgInfo("https://acme.okta.com", "acme.okta.com").as_dict()) == ORG_NAMES
    assert timer_fact("wait") == engine_timer_fact("wait")


@pytest.mark.parametrize(("expression", "expected"), [
    (None, True), ("", True), ("input.mode == read_write", True), ("input.mode != read_write", False),
    ("not input.mode == read_write", False), ("fact.ok", True), ("not fact.ok", False), ("fact.no", False),
    ("fact.missing", False), ("input.mode == READ_WRITE and fact.ok", True), ("fact.ok and not fact.no", True),
])
def test_conditions_evaluate_as_before(expression: str | None, expected: bool) -> None:
    scope = Scope(inputs={"mode": "read_write"}, facts={"ok": True, "no": "false"})
    assert scope.condition(expression) is expected


@pytest.mark.parametrize("both", [True, False], ids=["value and where", "neither"])
def test_a_value_to_paste_is_either_filled_in_or_said_in_words(tmp_path: Path, both: bool) -> None:
    def change(doc: Doc) -> None:
        row = _step(doc, "enter_values")["task"]["paste"][1]
        if both:
            row["value"] = "{org.display_domain}"
        else:
            del row["where"]

    with pytest.raises(PlaybookError, match=r"(?s)defender-for-identity\.yaml: .*paste 'API token' needs exactly "
                                            r"one of value \(a template the wizard fills in\) or where"):
        _load_variant(tmp_path, change)


def test_steps_shown_together_have_their_own_numbers() -> None:
    """Two steps of a section may share a number only as alternatives (each with its own ``when:``,
    one shown): Oort's page showed two steps numbered 4.5."""
    for playbook in PlaybookLibrary.load(KINDS).all():
        for section in playbook.sections:
            numbers: dict[str, list[Any]] = {}
            for step in section.steps:
                numbers.setdefault(step.number, []).append(step)
            for number, steps in numbers.items():
                conditions = [step.when for step in steps]
                assert len(steps) == 1 or (None not in conditions and len(set(conditions)) == len(steps)), \
                    f"{playbook.key}, section '{section.key}': {len(steps)} steps numbered {number}"


def test_a_copied_token_row_needs_a_token_step(tmp_path: Path) -> None:
    """``copied_token`` says a row is the service account's token a person copied: a playbook with no
    step that takes that token cannot have one (Authomize's integration has no service account)."""
    doc = yaml.safe_load((VENDOR_DIR / "authomize.yaml").read_text())
    row = next(row for section in doc["sections"] for step in section["steps"]
               for row in (step.get("task") or {}).get("paste", []) if row["label"] == "Token (legacy)")
    row["copied_token"] = True
    path = tmp_path / "authomize.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    with pytest.raises(PlaybookError, match=r"^authomize\.yaml, step '\w+': paste 'Token \(legacy\)': copied_token, "
                                            r"but no step takes the service account's token"):
        load_file(path, KINDS)


def test_a_setting_s_item_pattern_that_is_not_a_regular_expression_does_not_load(tmp_path: Path) -> None:
    """Settings refuses a list whose items do not match it: a broken one fails at load, not in a form."""
    with pytest.raises(PlaybookError, match=r"(?s)defender-for-identity\.yaml.*custom_role_permissions\.item_pattern"
                                            r".*not a regular expression"):
        _load_variant(tmp_path, lambda d: d["settings"]["custom_role_permissions"].update(item_pattern="okta\\.(["))


def test_each_vendor_s_proof_of_connection_is_marked() -> None:
    """The attestation that the vendor shows Okta's data (or connected with the token) is weighed
    against the token's use in Okta (QA walk 10, M1): marked on every vendor with a service account's
    token. Authomize has none (an OAuth service app): nothing of its kind to read."""
    marked = {playbook.key: [check.key for _step, check in playbook.checks() if check.proves_connection]
              for playbook in PlaybookLibrary.load(KINDS).all()}
    assert marked == {"defender-for-identity": ["defender_enabled"], "oort": ["connectivity_tested"],
                      "sentinel-unified-connector": ["oktasystemlogs_present"], "drata": ["drata_connected"],
                      "authomize": []}
