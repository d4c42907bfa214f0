"""Administrator settings: custom Okta domains that may be called, the playbook values the
api map marks unsure (an ORN form, permission strings, catalog keys), and sign-in with the
company's identity provider."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.audit import record
from app.auth.oidc_config import ROLE_ORDER, SignInSettings, load_config, save_config
from app.common.text import counted
from app.common.validation import Fields, ValidationFailed, has_control_characters, ticked
from app.engine.runtime import overrides
from app.playbooks.loader import setting_key
from app.store.models import AppSetting
from app.store.models.watch import MAX_ATTEMPTS
from app.store.repositories.app_settings import ALLOWED_DOMAINS_KEY, allowed_custom_domains
from app.store.repositories.watch import watched_of_vendor
from app.watch.channel_state import channel_states, recent_changes
from app.web.deps import AdminOperator, CurrentOperator, DbSession, actor_for, form_values, read_form, typed_input
from app.web.flash import set_flash
from app.web.responses import redirect
from app.web.routes.oidc_sign_in import redirect_uri
from app.web.state import app_state
from app.web.templating import render

router = APIRouter(prefix="/settings")

DOMAIN = re.compile(r"(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_NOT_HOST_CHARACTERS = re.compile(r"[^a-z0-9.-]")
_SHOWN_ENTRY = 60  # characters of a refused line the message quotes
_NAMED_LINES = 5  # refused lines the message names one by one


def _domain_problem(entry: str) -> str | None:
    """Why one line of the custom domains is not a host name (None when it is one)."""
    host = entry.lower().rstrip(".")
    if DOMAIN.fullmatch(host):
        return None
    if has_control_characters(entry, multiline=True):
        return "has an invisible or control character in it"
    if any(c.isspace() for c in entry):
        return "has a space in it"
    if "://" in entry or "/" in entry:
        return "is a web address: enter only its host name, without https:// or a path"
    if _NOT_HOST_CHARACTERS.search(host):
        return "has characters other than the letters a to z, digits, hyphens and dots"
    return "is not a host name"


def _shown(entry: str) -> str:
    """A refused line as the message quotes it: invisible and control characters (a right-to-left
    override would reorder the message itself) written as their code, a long line shortened."""
    entry = "".join(f"[U+{ord(c):04X}]" if unicodedata.category(c) in ("Cc", "Cf") else c for c in entry)
    return entry if len(entry) <= _SHOWN_ENTRY else entry[:_SHOWN_ENTRY - 1] + "…"


def read_domains(raw: str) -> tuple[list[str], str | None]:
    """The custom domains typed one per line (lower case, no trailing dot, each once, sorted),
    and, when a line is not a host name, a message naming each such line by its number and its
    text as typed, between curly quotes (so quotes or spaces in it are not mistaken for the
    message's own)."""
    domains: set[str] = set()
    refused: list[str] = []
    # Lines as the text box shows them (a browser sends CRLF), numbered from 1, blank ones counted.
    lines = raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, line in enumerate(lines, start=1):
        entry = unicodedata.normalize("NFC", line).strip()
        if not entry:
            continue
        problem = _domain_problem(entry)
        if problem is None:
            domains.add(entry.lower().rstrip("."))
        else:
            refused.append(f"Line {number}, “{_shown(entry)}”, {problem}.")
    if not refused:
        return sorted(domains), None
    named = refused[:_NAMED_LINES]
    if len(refused) > len(named):
        more = len(refused) - len(named)
        named.append("And 1 more line that is not a host name." if more == 1 else
                     f"And {more} more lines that are not host names.")
    return sorted(domains), " ".join([*named, "Enter one host name per line, like login.acme.com."])


async def _oidc_view(request: Request, db: DbSession, typed: Mapping[str, str] | None) -> dict[str, object]:
    """The identity provider section: what is stored, or what was just typed (never the secret)."""
    config = await load_config(db)
    view: dict[str, object] = {
        "enabled": config.enabled, "provider_name": config.provider_name, "issuer": config.issuer,
        "client_id": config.client_id, "claim": config.claim, "has_secret": config.client_secret_id is not None,
        "allow_private_network": config.allow_private_network,
        "redirect_uri": redirect_uri(request),
        "roles": [(role.value, role.label, "\n".join(config.values_for(role))) for role in ROLE_ORDER]}
    if typed is not None:
        view.update({name: typed.get(f"oidc_{name}", "") for name in ("provider_name", "issuer", "client_id",
                                                                      "claim")})
        view["enabled"] = ticked(typed.get("oidc_enabled", ""))
        view["allow_private_network"] = ticked(typed.get("oidc_allow_private_network", ""))
        view["roles"] = [(role.value, role.label, typed.get(f"oidc_{role.value}_values", "")) for role in ROLE_ORDER]
    return view


async def settings_view(request: Request, db: DbSession, *, errors: dict[str, str] | None = None,
                        status_code: int = 200, oidc_typed: Mapping[str, str] | None = None,
                        notify_typed: Mapping[str, str] | None = None, message: str | None = None,
                        domains_typed: str | None = None, settings_typed: Mapping[str, str] | None = None
                        ) -> Response:
    state = app_state(request)
    values = {}
    for playbook in state.library.all():
        values.update(await overrides(db, playbook))
    states = await channel_states(db)
    return render(request, "settings.html", {
        "domains": await allowed_custom_domains(db), "domains_typed": domains_typed,
        "playbooks": state.library.all(), "overrides": values,
        "errors": errors or {}, "message": message, "setting_key": setting_key,
        "settings_typed": settings_typed or {},
        "oidc": await _oidc_view(request, db, oidc_typed),
        "notify": {"states": states, "names": {state.channel.id: state.channel.label for state in states},
                   "changes": await recent_changes(db), "typed": notify_typed or {"starttls": "on"},
                   "max_attempts": MAX_ATTEMPTS,
                   # Without it the links in each message name this machine's own address.
                   "link_base": None if state.settings.public_url else state.settings.resolved_public_url}},
        status_code=status_code, page_url=request.url_for("settings").path)



async def _save(db: DbSession, key: str, value: object, operator_id: object) -> None:
    row = await db.get(AppSetting, key)
    if row is None:
        db.add(AppSetting(key=key, value=value, updated_by_id=operator_id))
    else:
        row.value = value
        row.updated_by_id = operator_id  # type: ignore[assignment]


@router.get("", name="settings")
async def settings_page(request: Request, db: DbSession, operator: CurrentOperator) -> Response:
    return await settings_view(request, db)


@router.post("/domains", name="settings_domains")
async def save_domains(request: Request, db: DbSession, admin: AdminOperator) -> Response:
    typed = await form_values(request)
    form = Fields(typed)
    form.text("domains", label="Custom domains", required=False, max_length=4000, multiline=True)
    raw = typed.get("domains", "")
    domains, refusal = read_domains(raw)
    if refusal or form.errors:
        # Nothing is saved; the text box gets back exactly what was typed, to be corrected.
        return await settings_view(request, db, status_code=400, domains_typed=raw,
                                   message="The custom domains were not saved.",
                                   errors={"domains": refusal} if refusal else form.errors)
    await _save(db, ALLOWED_DOMAINS_KEY, domains, admin.id)
    await record(db, action="settings_change", actor=actor_for(request, admin), subject_type="setting",
                 subject_id=ALLOWED_DOMAINS_KEY, summary=f"Allowed custom Okta domains: {', '.join(domains) or 'none'}",
                 details={"domains": domains})
    response = redirect(request, str(request.url_for("settings")))
    set_flash(request, response, "Custom domains saved.")
    return response


@router.post("/playbooks/{playbook_key}", name="settings_playbook")
async def save_playbook_settings(request: Request, db: DbSession, playbook_key: str, admin: AdminOperator) -> Response:
    state = app_state(request)
    if playbook_key not in state.library:
        from starlette.exceptions import HTTPException

        raise HTTPException(404)
    playbook = state.library.get(playbook_key)
    form = await read_form(request)
    changed = []
    for name, spec in playbook.settings.items():
        field = f"setting_{name}"
        if isinstance(spec.default, list):
            text = form.text(field, label=spec.label, required=False, max_length=4000, multiline=True)
            # One per line, or separated by commas as the default is shown ("a, b, c" was kept as one item).
            items = [item for item in re.split(r"[\s,]+", text) if item]
            wrong = [item for item in items if spec.item_pattern and not re.fullmatch(spec.item_pattern, item)]
            if wrong:
                form.errors[field] = (f"{spec.label}: not {spec.item_hint or 'a valid item'}: "
                                      f"{', '.join(repr(item) for item in wrong[:5])}.")
            value: object = items
        else:
            value = form.text(field, label=spec.label, required=False, max_length=500)
        if value in ("", []):
            value = None
        key = setting_key(playbook.key, name)
        row = await db.get(AppSetting, key)
        if value is None:
            if row is not None:
                await db.delete(row)
                changed.append(f"{spec.label} reset to its default")
        elif row is None or row.value != value:
            await _save(db, key, value, admin.id)
            changed.append(spec.label)  # in the trail by its label, as the page shows it
    if form.errors:
        await db.rollback()
        # By the field's id on the page (each playbook has its own form, and two name a setting alike),
        # the list as typed kept in it.
        errors = {f"{playbook.key}-{field.removeprefix('setting_')}": text for field, text in form.errors.items()}
        posted = await form_values(request)
        typed = {f"{playbook.key}-{name}": posted.get(f"setting_{name}", "") for name in playbook.settings}
        return await settings_view(request, db, errors=errors, status_code=400, settings_typed=typed)
    outdated = 0
    if changed:
        await record(db, action="settings_change", actor=actor_for(request, admin), subject_type="setting",
                     subject_id=playbook.key, summary=f"{playbook.name} settings changed: {', '.join(changed)}")
        await db.commit()  # the onboardings' plans are judged against the settings saved
        outdated = await state.engine.settings_changed(playbook.key)
    response = redirect(request, str(request.url_for("settings")))
    watched = await watched_of_vendor(db, playbook.key) if changed else 0
    notes = []
    if outdated:
        # A plan shows what Apply would do: one made with the old values no longer does.
        notes.append(f"{counted(outdated, 'onboarding')} of {playbook.name} "
                     f"{'has' if outdated == 1 else 'have'} a plan made with the previous values: "
                     f"{'its' if outdated == 1 else 'each'} operator makes the plan again before Apply goes on.")
    if watched:
        # What those were made with is in Okta already: their next verification compares it with this
        # (a check Okta still passes with the old value says the setting changed: not drift).
        notes.append(f"{counted(watched, 'completed onboarding')} of {playbook.name} "
                     f"{'was' if watched == 1 else 'were'} made with the previous values: the next verification "
                     "compares Okta with these, and where Okta is still as it was made, says this setting changed.")
    if notes:
        set_flash(request, response, " ".join([f"{playbook.name}: settings saved.", *notes]), "warning")
    else:
        set_flash(request, response, f"{playbook.name}: settings saved." if changed else "Nothing changed.")
    return response


@router.post("/sign-in", name="settings_oidc")
async def save_oidc_settings(request: Request, db: DbSession, admin: AdminOperator) -> Response:
    state = app_state(request)
    typed = await form_values(request)
    try:
        changed = await save_config(db, state.vault, typed_input(SignInSettings, typed), actor_for(request, admin),
                                    sandbox_origin=state.settings.sandbox_url if state.settings.sandbox else None,
                                    resolver=state.oidc.resolver)
    except ValidationFailed as exc:
        await db.rollback()
        return await settings_view(request, db, errors=exc.errors, status_code=400, oidc_typed=typed)
    response = redirect(request, str(request.url_for("settings")))
    set_flash(request, response, f"Identity provider sign-in saved: {', '.join(changed)}." if changed
              else "Nothing changed.")
    return response
