"""Okta's error responses: the exception handlers raise, and the body Okta sends with it.

Every 4xx/5xx from ``/api/v1`` carries ``{errorCode, errorSummary, errorLink, errorId, errorCauses}``;
clients must branch on ``errorCode`` only (Okta's docs say the summary may change), so the codes
here are Okta's and the summaries follow Okta's wording where it is known."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from okta_sandbox import ids


class OktaError(Exception):
    """An Okta API error. Raise it anywhere below a handler; the app renders it."""

    def __init__(self, status: int, code: str, summary: str, causes: Sequence[str] = (),
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {summary}")
        self.status = status
        self.code = code
        self.summary = summary
        self.causes = list(causes)
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.summary, self.causes)


def error_body(code: str, summary: str, causes: Sequence[str] = ()) -> dict[str, Any]:
    return {
        "errorCode": code,
        "errorSummary": summary,
        "errorLink": code,
        "errorId": ids.error_id(),
        "errorCauses": [{"errorSummary": cause} for cause in causes],
    }


def validation_failed(field: str, *causes: str) -> OktaError:
    """E0000001: the request was understood but a field is wrong (each cause names the field)."""
    return OktaError(400, "E0000001", f"Api validation failed: {field}", causes)


def malformed_body(detail: str | None = None) -> OktaError:
    return OktaError(400, "E0000003", "The request body was not well-formed.", [detail] if detail else [])


def not_found(what: str) -> OktaError:
    return OktaError(404, "E0000007", f"Not found: Resource not found: {what}")


def path_not_found() -> OktaError:
    # Okta's catalogue has a code of its own for a path that names no endpoint.
    return OktaError(404, "E0000008", "The requested path was not found")


def method_not_allowed() -> OktaError:
    return OktaError(405, "E0000022", "The endpoint does not support the provided HTTP method")


def invalid_token() -> OktaError:
    return OktaError(401, "E0000011", "Invalid token provided")


def access_denied(headers: Mapping[str, str] | None = None) -> OktaError:
    return OktaError(403, "E0000006", "You do not have permission to perform the requested action",
                     headers=headers)


def invalid_status() -> OktaError:
    return OktaError(403, "E0000038", "This operation is not allowed in the user's current status.")


def invalid_search(detail: str) -> OktaError:
    return OktaError(400, "E0000031", "Invalid search criteria.", [detail])


def role_already_assigned() -> OktaError:
    return OktaError(409, "E0000090", "The role specified is already assigned to the user.")


def rate_limited() -> OktaError:
    return OktaError(429, "E0000047", "API call exceeded rate limit due to too many requests.")


def server_error(status: int = 500) -> OktaError:
    if status == 503:
        return OktaError(503, "E0000010", "Service is in read only mode")
    return OktaError(status, "E0000009", "Internal Server Error")
