"""Users: creation with Okta's activation rules, partial profile updates, the lifecycle (activate,
deactivate, and Okta's two-step delete), and lookup by id, login, login shortname or ``me``.

Profiles are checked against the user type's schema the way Okta checks them: required base
properties, an email-shaped login, unique logins, and no properties the schema does not define."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from okta_sandbox import ids
from okta_sandbox.domain import groups as groups_domain
from okta_sandbox.domain import schema as schema_domain
from okta_sandbox.domain import syslog
from okta_sandbox.domain.actors import Actor
from okta_sandbox.entities import Json, User
from okta_sandbox.errors import OktaError, invalid_status, not_found, validation_failed
from okta_sandbox.tables import next_seq
from okta_sandbox.timestamps import iso

if TYPE_CHECKING:
    from okta_sandbox.org import SandboxOrg

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_TYPE_CHECKS: dict[str, tuple[type, ...]] = {
    "string": (str,), "boolean": (bool,), "integer": (int,), "number": (int, float), "array": (list,)}


def user_target(user: User) -> Json:
    return syslog.target(user.id, "User", user.login, user.display_name)


def render_user(org: SandboxOrg, user: User) -> Json:
    href = f"{org.base_url}/api/v1/users/{user.id}"
    links: Json = {"self": {"href": href}}
    if user.status in ("STAGED", "DEPROVISIONED"):
        links["activate"] = {"href": f"{href}/lifecycle/activate", "method": "POST"}
    else:
        links["deactivate"] = {"href": f"{href}/lifecycle/deactivate", "method": "POST"}
    # The lifecycle links Okta adds by status, as recorded (TestAccResourceOktaUser_*).
    if user.status == "PROVISIONED":
        links["reactivate"] = {"href": f"{href}/lifecycle/reactivate", "method": "POST"}
        links["resetPassword"] = {"href": f"{href}/lifecycle/reset_password", "method": "POST"}
        links["suspend"] = {"href": f"{href}/lifecycle/suspend", "method": "POST"}
    if user.status == "DEPROVISIONED":
        links["delete"] = {"href": href, "method": "DELETE"}
    schema_id = schema_domain.schema_for_type(org, user.type_id).id
    links["schema"] = {"href": f"{org.base_url}/api/v1/meta/schemas/user/{schema_id}"}
    links["type"] = {"href": f"{org.base_url}/api/v1/meta/types/user/{user.type_id}"}
    credentials: Json = {"provider": {"type": "OKTA", "name": "OKTA"}}
    if user.has_password:
        credentials = {"password": {}, **credentials}
    return {
        "id": user.id,
        "status": user.status,
        "created": iso(user.created),
        "activated": iso(user.activated) if user.activated is not None else None,
        "statusChanged": iso(user.status_changed) if user.status_changed is not None else None,
        "lastLogin": iso(user.last_login) if user.last_login is not None else None,
        "lastUpdated": iso(user.last_updated),
        "passwordChanged": iso(user.password_changed) if user.password_changed is not None else None,
        "type": {"id": user.type_id},
        # Okta's answers always carry the base profile's optional phone and second email (null when unset).
        "profile": {"mobilePhone": None, "secondEmail": None, **user.profile},
        "credentials": credentials,
        "_links": links,
    }


def find_by_login(org: SandboxOrg, login: str) -> User | None:
    wanted = login.lower()
    return next((user for user in org.users if user.login.lower() == wanted), None)


def resolve(org: SandboxOrg, ref: str, *, me: str | None, consistent: bool = False) -> User:
    """Find a user by id, login, unambiguous login shortname, or ``me`` (the caller)."""
    read = org.users.get if consistent else org.users.read
    if ref == "me":
        user = read(me) if me else None
        if user is None:
            raise not_found("me (User)")
        return user
    user = read(ref)
    if user is not None:
        return user
    candidates = org.users.values() if consistent else org.users.listing()
    lowered = ref.lower()
    by_login = [candidate for candidate in candidates if candidate.login.lower() == lowered]
    if not by_login and "@" not in ref:
        by_login = [candidate for candidate in candidates if candidate.login.lower().split("@")[0] == lowered]
    if len(by_login) == 1:
        return by_login[0]
    raise not_found(f"{ref} (User)")


def _check_value(name: str, value: Any, definition: Json) -> None:
    if value is None:
        return
    expected = str(definition.get("type", "string"))
    accepted = _TYPE_CHECKS.get(expected, (str,))
    if not isinstance(value, accepted) or (expected in ("integer", "number") and isinstance(value, bool)):
        raise validation_failed(name, f"{name}: Does not match required type {expected}.")
    if isinstance(value, str):
        minimum, maximum = definition.get("minLength"), definition.get("maxLength")
        if isinstance(minimum, int) and len(value) < minimum:
            raise validation_failed(name, f"{name}: The field must be at least {minimum} characters long.")
        if isinstance(maximum, int) and len(value) > maximum:
            raise validation_failed(name, f"{name}: The field cannot exceed {maximum} characters.")
        if definition.get("format") == "email" and not _EMAIL.fullmatch(value):
            raise validation_failed(name, f"{name}: Does not match required pattern")
    allowed = definition.get("enum")
    if isinstance(allowed, list) and allowed and value not in allowed:
        raise validation_failed(name, f"{name}: Does not match one of the enumerated values")


def check_profile(org: SandboxOrg, profile: Mapping[str, Any], type_id: str, *, user_id: str | None) -> Json:
    """Validate a complete profile; returns it with nulls removed (Okta omits unset properties)."""
    schema = schema_domain.schema_for_type(org, type_id)
    definitions = {**schema.base, **schema.custom}
    for name in profile:
        if name not in definitions:
            if user_id is None:  # Okta's words on creation (recorded: invalidCustomProfileAttribute)
                raise validation_failed("newUser", f"Property name '{name}' is not defined in profile")
            raise validation_failed(name, f"{name}: Property name '{name}' is not defined in profile")
    for name, value in profile.items():
        _check_value(name, value, definitions[name])
    for name, definition in definitions.items():
        if definition.get("required") and profile.get(name) in (None, ""):
            raise validation_failed(name, f"{name}: The field cannot be left blank")
    login = str(profile["login"])
    if not _EMAIL.fullmatch(login):
        raise validation_failed("login", "login: Username must be in the form of an email address")
    clash = find_by_login(org, login)
    if clash is not None and clash.id != user_id:
        raise validation_failed("login", "login: An object with this field already exists in the current organization")
    return {name: value for name, value in profile.items() if value is not None}


def check_password(password: Any, login: str) -> str:
    if not isinstance(password, str):
        raise validation_failed("password", "password: The password must be a string.")
    simple_login = login.split("@")[0].lower()
    if (len(password) < 8 or not re.search(r"[a-z]", password) or not re.search(r"[A-Z]", password)
            or not re.search(r"\d", password) or (len(simple_login) >= 4 and simple_login in password.lower())):
        raise validation_failed("password", "password: Password requirements were not met. Password requirements:"
                                            " at least 8 characters, a lowercase letter, an uppercase letter,"
                                            " a number, no parts of your username.")
    return password


def create_user(org: SandboxOrg, profile: Mapping[str, Any], *, password: str | None = None, activate: bool = True,
                expire_password: bool = False, group_ids: tuple[str, ...] = (), type_id: str | None = None,
                actor: Actor | None = None) -> User:
    chosen_type = type_id or schema_domain.default_type(org).id
    if chosen_type not in org.user_types:
        raise validation_failed("type", f"type: The user type {chosen_type} does not exist.")
    clean = check_profile(org, profile, chosen_type, user_id=None)
    if password is not None:
        check_password(password, str(clean["login"]))
    if expire_password and password is None:
        raise OktaError(400, "E0000124", "Could not create user. To create a user and expire their password"
                                         " immediately, a password must be specified.")
    if expire_password and not activate:
        raise OktaError(400, "E0000125", "Could not create user. To create a user and expire their password"
                                         " immediately, `activate` must be true.")
    groups = []
    for group_id in group_ids:
        group = org.groups.get(group_id)
        if group is None or group.type == "BUILT_IN":
            raise validation_failed("groupIds", f"groupIds: The group {group_id} does not exist.")
        groups.append(group)
    now = org.clock.now()
    if not activate:
        status = "STAGED"
    elif password is None:
        status = "PROVISIONED"
    else:
        status = "PASSWORD_EXPIRED" if expire_password else "ACTIVE"
    user = User(id=ids.okta_id(ids.USER), seq=next_seq(), status=status, created=now, last_updated=now,
                profile=clean, type_id=chosen_type, has_password=password is not None,
                # Okta stamps ``activated`` when activation starts, PROVISIONED included (recorded).
                activated=now if status != "STAGED" else None,
                status_changed=now if status != "STAGED" else None,
                password_changed=now if password is not None else None, password_expired=expire_password)
    org.users.add(user)
    for group in groups:
        groups_domain.add_member(org, group, user.id)
    syslog.record(org, actor, "user.lifecycle.create", "Create Okta user", [user_target(user)])
    if status != "STAGED":
        syslog.record(org, actor, "user.lifecycle.activate", "Activate Okta user", [user_target(user)])
    return user


def update_user(org: SandboxOrg, user: User, profile: Mapping[str, Any] | None, *, password: str | None = None,
                actor: Actor | None = None) -> User:
    if profile is not None:
        merged = {**user.profile, **profile}
        clean = check_profile(org, merged, user.type_id, user_id=user.id)
        if clean != user.profile:
            changed = sorted(name for name in set(clean) | set(user.profile)
                             if clean.get(name) != user.profile.get(name))
            user.profile = clean
            user.last_updated = org.clock.now()
            syslog.record(org, actor, "user.account.update_profile", "Update user profile for Okta",
                          [{**user_target(user), "detailEntry": {"changedAttributes": ",".join(changed)}}])
    if password is not None:
        check_password(password, user.login)
        now = org.clock.now()
        user.has_password, user.password_changed, user.last_updated = True, now, now
        syslog.record(org, actor, "user.account.update_password", "Update password for Okta user", [user_target(user)])
    return user


def activate_user(org: SandboxOrg, user: User, *, send_email: bool, actor: Actor | None) -> Json:
    if user.status == "ACTIVE":
        raise OktaError(403, "E0000016", "Activation failed because the user is already active")
    if user.status not in ("STAGED", "DEPROVISIONED"):
        raise invalid_status()
    now = org.clock.now()
    if user.status == "DEPROVISIONED":
        # A deactivated user comes back as a new one: pending its person's action, who sets a
        # password (and MFA) again from the activation link or e-mail [inference: Okta's help
        # "Activate and deactivate users" mails "instructions for setting up their account"; its
        # knowledge base has "Activating Deactivated Accounts Without Renewing Login Credentials" as
        # a question; no recording shows this call]. The old password no longer signs in.
        user.has_password = False
    user.status = "ACTIVE" if user.has_password else "PROVISIONED"
    user.status_changed = user.last_updated = user.activated = now
    syslog.record(org, actor, "user.lifecycle.activate", "Activate Okta user", [user_target(user)])
    return _activation_link(org, user, send_email=send_email)


def _activation_link(org: SandboxOrg, user: User, *, send_email: bool) -> Json:
    if send_email:
        return {}
    token = secrets.token_urlsafe(15)
    org.activation_tokens[token] = user.id
    return {"activationUrl": f"{org.base_url}/welcome/{token}", "activationToken": token}


def reactivate_user(org: SandboxOrg, user: User, *, send_email: bool, actor: Actor | None) -> Json:
    """Restart the activation of a PROVISIONED user (one who never used the link): the earlier
    links stop working, a new one is returned (or mailed)."""
    if user.status != "PROVISIONED":
        raise invalid_status()
    for token, owner in list(org.activation_tokens.items()):
        if owner == user.id:
            del org.activation_tokens[token]
    user.last_updated = org.clock.now()
    syslog.record(org, actor, "user.lifecycle.reactivate", "Reactivate Okta user", [user_target(user)])
    return _activation_link(org, user, send_email=send_email)


def complete_activation(org: SandboxOrg, user: User, password: str) -> None:
    """The person behind a PROVISIONED user followed the activation link and chose a password."""
    if user.status != "PROVISIONED":
        raise ValueError(f"{user.login} is {user.status}, not waiting for activation")
    check_password(password, user.login)
    now = org.clock.now()
    user.status, user.has_password = "ACTIVE", True
    user.activated = user.status_changed = user.password_changed = user.last_updated = now
    for token, owner in list(org.activation_tokens.items()):
        if owner == user.id:
            del org.activation_tokens[token]
    actor = Actor(user.id, "User", user.login, user.display_name)
    syslog.record(org, actor, "user.account.update_password", "Update password for Okta user", [user_target(user)])


def deactivate_user(org: SandboxOrg, user: User, *, actor: Actor | None) -> None:
    from okta_sandbox.domain import tokens  # a user's tokens die with the user

    if user.status == "DEPROVISIONED":
        raise invalid_status()
    now = org.clock.now()
    user.status = "DEPROVISIONED"
    user.status_changed = user.last_updated = now
    syslog.record(org, actor, "user.lifecycle.deactivate", "Deactivate Okta user", [user_target(user)])
    tokens.revoke_user_tokens(org, user.id, actor=actor)


def delete_user(org: SandboxOrg, user: User, *, actor: Actor | None) -> bool:
    """Okta's delete: a user who is not deactivated is deactivated (False); a deactivated user is
    deleted for good (True), with their memberships, assignments and roles."""
    from okta_sandbox.domain import apps, roles, tokens

    if user.status != "DEPROVISIONED":
        deactivate_user(org, user, actor=actor)
        return False
    syslog.record(org, actor, "user.lifecycle.delete.initiated", "Delete Okta user", [user_target(user)])
    tokens.revoke_user_tokens(org, user.id, actor=None)
    roles.remove_all_for_user(org, user.id)
    apps.remove_user_everywhere(org, user.id)
    for group in org.groups:
        group.members.discard(user.id)
    org.users.remove(user.id)
    return True
