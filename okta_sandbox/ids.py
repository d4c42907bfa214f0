"""Identifiers and secrets in the shapes Okta uses.

Okta object ids are 20 characters of [0-9A-Za-z] that start with a type prefix (``00u`` users,
``00g`` groups, ``0oa`` apps and OAuth clients, ``cr0`` custom roles, ``irb`` role bindings, ...);
resource-set ids are one character longer. Clients sometimes sniff the prefix, so the sandbox keeps
it. Values are random: nothing may depend on their order. A standard role assignment is the
exception: its id is not random and not unique (see :func:`standard_role_assignment_id`)."""

from __future__ import annotations

import base64
import secrets
import string

_ALPHABET = string.digits + string.ascii_letters
_TOKEN_ALPHABET = _ALPHABET + "-_"

# Prefixes as they appear in Okta's responses.
USER = "00u"
GROUP = "00g"
APP = "0oa"
ORG = "00o"
API_TOKEN = "00T"  # noqa: S105  (an id prefix)
CUSTOM_ROLE = "cr0"
RESOURCE_SET = "iam"
RESOURCE = "ire"
BINDING_MEMBER = "irb"
GRANT = "oag"
CLIENT_SECRET = "ocs"  # noqa: S105  (an id prefix)
USER_TYPE = "oty"
USER_SCHEMA = "osc"
NETWORK_ZONE = "nzo"
ERROR = "oae"


def okta_id(prefix: str, length: int = 20) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length - len(prefix)))


def standard_role_assignment_id(role_type: str) -> str:
    """Okta's id for an assignment of a standard role: the role type in base32, without padding,
    the same for every user (and group) of every org (APP_ADMIN is ``IFIFAX2BIRGUSTQ`` for two
    users in the recordings of TestAccResourceOktaUserAdminRoles_crud). Only the holder and this id
    together name one assignment, and a client that takes the id alone for it must be caught."""
    return base64.b32encode(role_type.encode("ascii")).decode("ascii").rstrip("=")


def resource_set_id() -> str:
    # Okta's resource-set ids are 21 characters ("iamoJDFKaJxGIr0oamd9g").
    return okta_id(RESOURCE_SET, 21)


def api_token_value() -> str:
    """An SSWS token: "00" and 40 URL-safe characters, like the Admin Console shows once."""
    return "00" + "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(40))


def client_secret_value() -> str:
    return "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(64))


def request_id() -> str:
    # X-Okta-Request-Id values are opaque base64url strings, 27 characters long.
    return base64.urlsafe_b64encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")[:27]


def error_id() -> str:
    return okta_id(ERROR, 25)


def event_uuid() -> str:
    """System Log events carry a version-1-looking UUID; a random one serves the same purpose."""
    raw = secrets.token_hex(16)
    return f"{raw[:8]}-{raw[8:12]}-1{raw[13:16]}-{raw[16:20]}-{raw[20:]}"
