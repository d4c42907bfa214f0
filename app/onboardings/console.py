"""Links from an onboarding's page to the exact Admin Console page of an Okta object or a task
(the org's ``-admin`` host), and, in the sandbox, to the one console page it has."""

from __future__ import annotations

from app.engine.runtime import Loaded

CONSOLE_PATHS = {
    "user": "/admin/user/profile/view/{id}",
    "custom_role": "/admin/access/admin/roles",
    "resource_set": "/admin/access/admin/resources",
    "role_assignment": "/admin/access/admin",
    "schema_attribute": "/admin/universaldirectory",
    "api_token": "/admin/access/api/tokens",
    "app": "/admin/app/instance/{id}",
    "api_service": "/admin/apps/api-services",
    "log_stream": "/admin/logstreaming",
}

# What each Admin Console page a task links to is called there, so the link names where it goes.
CONSOLE_PAGE_NAMES = {"/admin/access/api/tokens": "Security > API > Tokens",
                      "/admin/settings/account": "Settings > Account",
                      "/admin/apps/oin": "Applications > Browse App Catalog"}

# The pages the sandbox's own Admin Console has (one: a user's API tokens); elsewhere it has no page.
SANDBOX_CONSOLE = {"/admin/access/api/tokens": "/__sandbox__/console"}


def console_path(loaded: Loaded, path: str) -> str | None:
    """The exact Admin Console page (``-admin`` host) for ``path``; in the sandbox, its page if it has one."""
    org = loaded.scope.org
    assert org is not None
    if loaded.connection.org_kind == "sandbox":
        page = SANDBOX_CONSOLE.get(path)
        return f"{org.origin}{page}" if page else None
    first, rest = org.display_domain.split(".", 1)
    return f"https://{first}-admin.{rest}{path}"


def console_link(loaded: Loaded, object_type: str | None, object_id: str | None) -> str | None:
    """The Admin Console page of an Okta object the wizard made or adopted, where there is one."""
    if object_type is None or object_type not in CONSOLE_PATHS or loaded.scope.org is None:
        return None
    return console_path(loaded, CONSOLE_PATHS[object_type].format(id=object_id or ""))
