"""The Okta endpoints: one module per area, each handler parsing a request into a call on
``okta_sandbox.domain`` and rendering the result. Importing this package registers every handler."""

from okta_sandbox.api import (  # noqa: F401  (imported for their registrations)
    apps,
    iam,
    logs,
    org,
    services,
    tokens,
    users,
    zones,
)
from okta_sandbox.api.context import HANDLERS, Call, Handler, Reply

__all__ = ["HANDLERS", "Call", "Handler", "Reply"]
