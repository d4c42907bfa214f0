"""The user profile schema and user types.

Every org starts with Okta's default user type and its schema: the 31 base properties (``login``,
``email``, ...) and no custom ones. ``POST /api/v1/meta/schemas/user/{schemaId}`` is a partial
update: properties it does not mention are untouched, a custom property set to null is removed,
and on a base property only the permissions (plus ``required`` on the name fields) may change."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from okta_sandbox import ids
from okta_sandbox.domain import syslog
from okta_sandbox.domain.actors import Actor
from okta_sandbox.entities import Json, UserSchema, UserType
from okta_sandbox.errors import not_found, validation_failed
from okta_sandbox.tables import next_seq
from okta_sandbox.timestamps import iso

if TYPE_CHECKING:
    from okta_sandbox.org import SandboxOrg

PERMISSION_ACTIONS = ("READ_ONLY", "READ_WRITE", "HIDE")
ATTRIBUTE_TYPES = ("string", "boolean", "number", "integer", "array")
# Keys a schema attribute may carry (the spec's UserSchemaAttribute).
ATTRIBUTE_KEYS = {"title", "type", "description", "required", "minLength", "maxLength", "enum", "oneOf", "pattern",
                  "permissions", "scope", "master", "mutability", "unique", "format", "items", "default",
                  "externalName", "externalNamespace", "union"}
_VARIABLE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,99}")

# (name, title, extra keywords); all base properties are strings.
_BASE: tuple[tuple[str, str, Json], ...] = (
    # As Okta's default schema is recorded: no ``pattern`` on login, no maxLength on the address fields.
    ("login", "Username", {"required": True, "minLength": 5, "maxLength": 100}),
    ("firstName", "First name", {"required": True, "minLength": 1, "maxLength": 50}),
    ("lastName", "Last name", {"required": True, "minLength": 1, "maxLength": 50}),
    ("middleName", "Middle name", {}),
    ("honorificPrefix", "Honorific prefix", {}),
    ("honorificSuffix", "Honorific suffix", {}),
    ("email", "Primary email", {"required": True, "format": "email"}),
    ("title", "Title", {}),
    ("displayName", "Display name", {}),
    ("nickName", "Nickname", {}),
    ("profileUrl", "Profile Url", {"format": "uri"}),
    ("secondEmail", "Secondary email", {"format": "email"}),
    ("mobilePhone", "Mobile phone", {"maxLength": 100}),
    ("primaryPhone", "Primary phone", {"maxLength": 100}),
    ("streetAddress", "Street address", {}),
    ("city", "City", {}),
    ("state", "State", {}),
    ("zipCode", "Zip code", {}),
    ("countryCode", "Country code", {"format": "country-code"}),
    ("postalAddress", "Postal Address", {}),
    ("preferredLanguage", "Preferred language", {"format": "language-code"}),
    ("locale", "Locale", {"format": "locale"}),
    ("timezone", "Time zone", {"format": "timezone"}),
    ("userType", "User type", {}),
    ("employeeNumber", "Employee number", {}),
    ("costCenter", "Cost center", {}),
    ("organization", "Organization", {}),
    ("division", "Division", {}),
    ("department", "Department", {}),
    ("managerId", "ManagerId", {}),
    ("manager", "Manager", {}),
)
BASE_REQUIRED = ("login", "firstName", "lastName", "email")
# What a base property may change: its permissions; the name fields may also become optional.
_BASE_MUTABLE = {"permissions"}
_BASE_MUTABLE_BY_NAME = {"firstName": {"required"}, "lastName": {"required"}, "login": {"pattern"}}


def default_base_properties(*, email_permission: str = "READ_ONLY") -> dict[str, Json]:
    properties: dict[str, Json] = {}
    for name, title, extra in _BASE:
        action = email_permission if name == "email" else ("READ_ONLY" if name == "login" else "READ_WRITE")
        properties[name] = {
            "title": title,
            "type": "string",
            **extra,
            "mutability": "READ_WRITE",
            "scope": "NONE",
            "permissions": [{"principal": "SELF", "action": action}],
            "master": {"type": "PROFILE_MASTER"},
        }
    return properties


def install_default_type(org: SandboxOrg, *, email_permission: str = "READ_ONLY") -> UserType:
    now = org.clock.now()
    user_type = UserType(id=ids.okta_id(ids.USER_TYPE), seq=next_seq(), name="user", display_name="User",
                         description="Okta user profile template with default permission settings", default=True,
                         schema_id=ids.okta_id(ids.USER_SCHEMA), created=now, last_updated=now)
    org.user_types.add(user_type)
    org.schemas[user_type.id] = UserSchema(id=user_type.schema_id, type_id=user_type.id,
                                           base=default_base_properties(email_permission=email_permission),
                                           custom={}, created=now, last_updated=now)
    return user_type


def add_user_type(org: SandboxOrg, name: str, display_name: str, description: str = "") -> UserType:
    """A user type besides the default (``POST /api/v1/meta/types/user``). Per the spec, a new type
    is "based on the current default schema template" and later changes to the default schema do
    not reach it: its schema starts as a copy of the default base properties, with no custom ones,
    and from then on is its own (a Hide set on one type's email is not seen on another's)."""
    if not _VARIABLE_NAME.fullmatch(name) or any(user_type.name == name for user_type in org.user_types):
        raise ValueError(f"{name!r} is not a valid, unused user type name")
    now = org.clock.now()
    user_type = UserType(id=ids.okta_id(ids.USER_TYPE), seq=next_seq(), name=name, display_name=display_name,
                         description=description, default=False, schema_id=ids.okta_id(ids.USER_SCHEMA),
                         created=now, last_updated=now)
    org.user_types.add(user_type)
    org.schemas[user_type.id] = UserSchema(id=user_type.schema_id, type_id=user_type.id,
                                           base=copy.deepcopy(org.schemas[default_type(org).id].base), custom={},
                                           created=now, last_updated=now)
    return user_type


def default_type(org: SandboxOrg) -> UserType:
    return next(user_type for user_type in org.user_types if user_type.default)


def find_schema(org: SandboxOrg, schema_id: str) -> UserSchema:
    if schema_id == "default":
        return org.schemas[default_type(org).id]
    for schema in org.schemas.values():
        if schema.id == schema_id:
            return schema
    raise not_found(f"{schema_id} (UserSchema)")


def schema_for_type(org: SandboxOrg, type_id: str) -> UserSchema:
    return org.schemas[type_id]


def _shown(properties: Mapping[str, Json]) -> Json:
    """Properties as Okta shows them: ``required`` only when true (a ``false`` one is dropped, as
    recorded in TestAccOktaUserBaseSchema_crud and TestAccResourceOktaUserSchema_enum_string)."""
    shown: Json = {}
    for name, attribute in properties.items():
        shown[name] = {key: copy.deepcopy(value) for key, value in attribute.items()
                       if not (key == "required" and not value)}
    return shown


def render_schema(org: SandboxOrg, schema: UserSchema) -> Json:
    user_type = org.user_types[schema.type_id]
    custom: Json = {"id": "#custom", "type": "object", "properties": _shown(schema.custom)}
    required_custom = [name for name, attribute in schema.custom.items() if attribute.get("required")]
    if required_custom:  # Okta leaves the list out when it would be empty
        custom["required"] = required_custom
    schema_ref = "default" if user_type.default else schema.id
    return {
        "id": f"{org.base_url}/meta/schemas/user/{schema_ref}",
        "$schema": "http://json-schema.org/draft-04/schema#",
        "name": "user",
        "title": user_type.display_name,
        "description": user_type.description,
        "lastUpdated": iso(schema.last_updated),
        "created": iso(schema.created),
        "definitions": {
            "custom": custom,
            "base": {"id": "#base", "type": "object", "properties": _shown(schema.base),
                     "required": [name for name in BASE_REQUIRED if schema.base[name].get("required")]},
        },
        "type": "object",
        # Okta sends JSON-Schema pointers here, resolved against this document's definitions.
        "properties": {"profile": {"allOf": [{"$ref": "#/definitions/custom"}, {"$ref": "#/definitions/base"}]}},
        "_links": {"self": {"rel": "self", "href": f"{org.base_url}/api/v1/meta/schemas/user/{schema.id}",
                            "method": "GET"},
                   "type": {"rel": "type", "href": f"{org.base_url}/api/v1/meta/types/user/{user_type.id}",
                            "method": "GET"}},
    }


def render_user_type(org: SandboxOrg, user_type: UserType) -> Json:
    schema_href = f"{org.base_url}/api/v1/meta/schemas/user/{user_type.schema_id}"
    return {
        "id": user_type.id,
        "displayName": user_type.display_name,
        "name": user_type.name,
        "description": user_type.description,
        "createdBy": org.org_id,
        "lastUpdatedBy": org.org_id,
        "created": iso(user_type.created),
        "lastUpdated": iso(user_type.last_updated),
        "default": user_type.default,
        # As recorded (TestAccResourceOktaUser_withUserType): each link names its rel and method.
        "_links": {"schema": {"rel": "schema", "href": schema_href, "method": "GET"},
                   "self": {"rel": "self", "href": f"{org.base_url}/api/v1/meta/types/user/{user_type.id}",
                            "method": "GET"}},
    }


def _check_permissions(name: str, permissions: Any) -> list[Json]:
    if permissions is None:
        return []
    if not isinstance(permissions, list):
        raise validation_failed(name, f"{name}: permissions must be a list.")
    checked: list[Json] = []
    for entry in permissions:
        if not isinstance(entry, Mapping) or entry.get("principal") != "SELF":
            raise validation_failed(name, f"{name}: each permission needs principal SELF.")
        if entry.get("action") not in PERMISSION_ACTIONS:
            raise validation_failed(name, f"{name}: permission action must be one of {', '.join(PERMISSION_ACTIONS)}.")
        checked.append({"principal": "SELF", "action": entry["action"]})
    return checked


def _custom_attribute(name: str, given: Mapping[str, Any], current: Json | None) -> Json:
    unknown = set(given) - ATTRIBUTE_KEYS
    if unknown:
        raise validation_failed(name, f"{name}: unknown attribute keyword(s): {', '.join(sorted(unknown))}.")
    merged: Json = {**copy.deepcopy(current or {}), **copy.deepcopy(dict(given))}
    if not isinstance(merged.get("title"), str) or not merged["title"].strip():
        raise validation_failed(name, f"{name}: The field 'title' is required.")
    if merged.get("type") not in ATTRIBUTE_TYPES:
        raise validation_failed(name, f"{name}: The field 'type' must be one of {', '.join(ATTRIBUTE_TYPES)}.")
    if current is not None and current.get("type") != merged["type"]:
        raise validation_failed(name, f"{name}: The type of an existing attribute can't be changed.")
    merged["permissions"] = _check_permissions(name, merged.get("permissions")) or [
        {"principal": "SELF", "action": "READ_WRITE"}]
    merged.setdefault("scope", "NONE")
    merged.setdefault("mutability", "READ_WRITE")
    merged.setdefault("master", {"type": "PROFILE_MASTER"})
    if merged["type"] == "array" and not isinstance(merged.get("items"), Mapping):
        merged["items"] = {"type": "string"}
    return merged


def update_schema(org: SandboxOrg, schema: UserSchema, body: Mapping[str, Any], actor: Actor | None) -> list[str]:
    """Apply a partial update; returns the names of the properties it changed."""
    definitions = body.get("definitions", {})
    if not isinstance(definitions, Mapping):
        raise validation_failed("definitions", "definitions: must be an object.")
    base_changes = _section(definitions, "base")
    custom_changes = _section(definitions, "custom")
    new_base = copy.deepcopy(schema.base)
    new_custom = copy.deepcopy(schema.custom)
    changed: list[str] = []

    for name, given in base_changes.items():
        if name not in new_base:
            raise validation_failed(name, f"{name}: Property name '{name}' is not a base property.")
        if not isinstance(given, Mapping):
            raise validation_failed(name, f"{name}: Base properties can't be removed.")
        allowed = _BASE_MUTABLE | _BASE_MUTABLE_BY_NAME.get(name, set())
        current = new_base[name]
        for key, value in given.items():
            if key in allowed or current.get(key) == value:
                continue
            raise validation_failed(name, f"{name}: Only permissions may be changed on the base property '{name}'"
                                          f" ('{key}' can't be modified).")
        updated = {**current, **{key: copy.deepcopy(value) for key, value in given.items()}}
        if "permissions" in given:
            updated["permissions"] = _check_permissions(name, given["permissions"])
        if updated != current:
            new_base[name] = updated
            changed.append(name)

    for name, given in custom_changes.items():
        if given is None:
            if new_custom.pop(name, None) is not None:
                changed.append(name)
            continue
        if not isinstance(given, Mapping):
            raise validation_failed(name, f"{name}: A property definition must be an object or null.")
        if name in new_base:
            raise validation_failed(name, f"{name}: '{name}' is a base property; it can't be a custom one.")
        if not _VARIABLE_NAME.fullmatch(name):
            raise validation_failed(name, f"{name}: Variable names start with a letter and contain only letters,"
                                          " digits and underscores.")
        attribute = _custom_attribute(name, given, new_custom.get(name))
        if attribute != new_custom.get(name):
            new_custom[name] = attribute
            changed.append(name)

    if changed:
        schema.base, schema.custom = new_base, new_custom
        schema.last_updated = org.clock.now()
        # Removing a custom property removes its values from every profile, as Okta does.
        for user in org.users:
            if user.type_id != schema.type_id:
                continue
            for name in list(user.profile):
                if name not in schema.base and name not in schema.custom:
                    del user.profile[name]
        syslog.record(org, actor, "directory.user_profile.schema.update", "Update user profile schema",
                      [syslog.target(schema.id, "UserSchema", "default", "User")])
    return changed


def _section(definitions: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    section = definitions.get(key)
    if section is None:
        return {}
    if not isinstance(section, Mapping):
        raise validation_failed(key, f"definitions.{key}: must be an object.")
    properties = section.get("properties", {})
    if not isinstance(properties, Mapping):
        raise validation_failed(key, f"definitions.{key}.properties: must be an object.")
    return properties


def set_base_permission(org: SandboxOrg, name: str, action: str, *, type_id: str | None = None) -> None:
    """Seed helper: set the SELF permission of a base property (e.g. email HIDE) without an event."""
    if action not in PERMISSION_ACTIONS:
        raise ValueError(f"action must be one of {PERMISSION_ACTIONS}")
    schema = org.schemas[type_id or default_type(org).id]
    schema.base[name]["permissions"] = [{"principal": "SELF", "action": action}]


def require_attribute(org: SandboxOrg, name: str, *, title: str | None = None, type: str = "string",
                      description: str | None = None, enum: list[Any] | None = None,
                      type_id: str | None = None) -> Json:
    """Seed/control helper: make a profile attribute required, as an admin does in the Profile
    Editor (a custom one is added first if missing). Okta then refuses to create a user without it
    (400 E0000001 "<name>: The field cannot be left blank")."""
    schema = org.schemas[type_id or default_type(org).id]
    if name in schema.base:
        schema.base[name]["required"] = True
        schema.last_updated = org.clock.now()
        return schema.base[name]
    if not _VARIABLE_NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not a valid variable name")
    given: Json = {"title": title or name, "type": type, "required": True}
    if description:
        given["description"] = description
    if enum:
        if type == "array":
            given["items"] = {"type": "string", "enum": list(enum)}
        else:
            given["enum"] = list(enum)
    attribute = _custom_attribute(name, given, schema.custom.get(name))
    schema.custom[name] = attribute
    schema.last_updated = org.clock.now()
    return attribute
