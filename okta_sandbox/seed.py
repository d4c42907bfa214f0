"""The demo org: what the product's demo mode and browser tests start from.

A super admin, Sam Super, with a SUPER_ADMIN API token; about forty people across three email
domains (some staged, some deactivated); the usual groups; "Drata - OIDC" installed from the
catalog as a person would; Authomize in the API service integration catalog; Okta's default
user schema (the email property's end-user permission is READ_ONLY unless told otherwise); and an
OpenID Connect app for the wizard's own sign-in, whose redirect URI is the wizard's callback."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from okta_sandbox import ids
from okta_sandbox.domain import schema as schema_domain
from okta_sandbox.ids import api_token_value
from okta_sandbox.org import SandboxOrg

ADMIN_LOGIN = "sam.super@acme.example"
# Where the wizard answers by default (`make run`), and the path of its OpenID Connect callback
# (app.web.routes.oidc_sign_in; a test keeps the two in step).
WIZARD_URL = "http://127.0.0.1:8000"
WIZARD_CALLBACK_PATH = "/sign-in/oidc/callback"
WIZARD_APP_NAME = "Okta onboarding wizard"

_FIRST = ("Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Imani", "Jonas", "Kira", "Luis",
          "Mona", "Nils", "Olga", "Priya", "Quinn", "Rosa", "Sven", "Tara")
_LAST = ("Lovelace", "Okafor", "Martin", "Patel", "Rossi", "Haddad", "Hopper", "Tanaka", "Diallo", "Berg",
         "Novak", "Garcia", "Khan", "Larsen", "Ivanova", "Shah", "Byrne", "Alvarez", "Lund", "Reddy")


@dataclass(frozen=True, slots=True)
class DemoOrg:
    admin_user_id: str
    admin_token: str
    admin_login: str
    drata_app_id: str
    drata_client_id: str
    group_ids: dict[str, str]
    # The OIDC app with which operators sign in to the wizard (see WIZARD_CALLBACK_PATH).
    wizard_client_id: str = ""
    wizard_client_secret: str = ""


def seed_demo_org(org: SandboxOrg, *, email_permission: str = "READ_ONLY",
                  admin_token: str | None = None, wizard_url: str = WIZARD_URL,
                  required_attributes: Sequence[Mapping[str, Any]] = ()) -> DemoOrg:
    """Seed ``org`` and remember the seed, so ``org.reset()`` (and ``POST /__sandbox__/reset``)
    rebuilds the same org with the same admin token value and the same wizard sign-in client.
    ``wizard_url`` is the wizard's address, for the sign-in client's redirect URI.
    ``required_attributes`` (``{"name", "title", "type", "description", "enum"}`` each) are made
    required once the people exist, as on an org whose admin requires them for new users."""
    token_value = admin_token or api_token_value()
    wizard_client = (ids.okta_id(ids.APP), ids.client_secret_value(),
                     wizard_url.rstrip("/") + WIZARD_CALLBACK_PATH)
    required = [dict(attribute) for attribute in required_attributes]
    _seed(org, email_permission, token_value, wizard_client, required)
    org.register_seeder(lambda again: _seed(again, email_permission, token_value, wizard_client, required))
    assert org.demo is not None
    return org.demo


def _seed(org: SandboxOrg, email_permission: str, token_value: str,
          wizard_client: tuple[str, str, str], required: Sequence[Mapping[str, Any]] = ()) -> DemoOrg:
    org.company_name = "Acme Corporation"
    org.subdomain = "acme"
    org.set_base_permission("email", email_permission)
    groups = {name: org.add_group(name, description)["id"] for name, description in (
        ("Engineering", "Product engineering"),
        ("Sales", "Sales and account management"),
        ("Contractors", "External contractors"),
        ("Drata Users", "People who use Drata"),
    )}
    groups["Everyone"] = next(group.id for group in org.groups if group.type == "BUILT_IN")

    admin = org.add_user(ADMIN_LOGIN, first_name="Sam", last_name="Super", groups=["Engineering", "Drata Users"])
    org.assign_role(admin["id"], "SUPER_ADMIN")

    # Forty people: staff on two domains, contractors on a third; a few staged or deactivated.
    for index in range(40):
        first, last = _FIRST[index % len(_FIRST)], _LAST[(index * 7) % len(_LAST)]
        if index % 5 == 4:
            domain, team = "contractors.example", ["Contractors"]
        elif index % 3 == 2:
            domain, team = "acme-corp.example", ["Sales"]
        else:
            domain, team = "acme.example", ["Engineering"]
        if index % 4 == 0:
            team.append("Drata Users")
        status = "STAGED" if index in (7, 23) else "DEPROVISIONED" if index in (11, 31, 38) else "ACTIVE"
        org.add_user(f"{first.lower()}.{last.lower()}{index}@{domain}", first_name=first, last_name=last,
                     status=status, groups=team, profile={"department": team[0]})

    drata = org.add_app("Drata - OIDC", name="drata", redirect_uris=["https://app.drata.com/callback/okta"])
    org.issue_api_token(admin["id"], "Onboarding wizard (demo)", value=token_value)
    client_id, client_secret, callback = wizard_client
    org.add_oidc_client([callback], name=WIZARD_APP_NAME, client_id=client_id, client_secret=client_secret)
    org.demo = DemoOrg(admin_user_id=admin["id"], admin_token=token_value, admin_login=ADMIN_LOGIN,
                       drata_app_id=drata["id"], drata_client_id=drata["credentials"]["oauthClient"]["client_id"],
                       group_ids=groups, wizard_client_id=client_id, wizard_client_secret=client_secret)
    for attribute in required:
        schema_domain.require_attribute(org, str(attribute["name"]), **{
            key: attribute[key] for key in ("title", "type", "description", "enum") if key in attribute})
    return org.demo
