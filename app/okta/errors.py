"""Typed Okta failures. Each carries what Okta said (errorCode, errorSummary, errorCauses,
errorId, X-Okta-Request-Id) and a message for the operator that says what to do.

``transient`` separates what may succeed if tried again later (429, 5xx, timeouts, dropped
connections, a garbled body) from what will fail the same way until someone changes something.
"""

from __future__ import annotations

from typing import Any

from app.okta.permissions import requirement_for


class OktaError(Exception):
    transient = False

    def __init__(self, message: str, *, method: str = "", path: str = "", request_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.path = path
        self.request_id = request_id

    @property
    def operation(self) -> str:
        return f"{self.method} {self.path}".strip()


class OktaTransportError(OktaError):
    """No usable answer: a timeout or a dropped or refused connection."""

    transient = True

    def __init__(self, message: str, *, kind: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.kind = kind  # "timeout", "dropped", "connect"


class OktaMalformedResponse(OktaError):
    """Okta (or something in between) answered with a body that is not the JSON it should be."""

    transient = True


class OktaRedirectRefused(OktaError):
    """Okta answered with a redirect; credentials are never sent to another address."""


class OktaApiError(OktaError):
    def __init__(
        self,
        message: str,
        *,
        status: int,
        error_code: str | None = None,
        error_summary: str | None = None,
        error_causes: list[str] | None = None,
        error_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.status = status
        self.error_code = error_code
        self.error_summary = error_summary
        self.error_causes = error_causes or []
        self.error_id = error_id

    @property
    def okta_said(self) -> str:
        bits = [b for b in (self.error_code, self.error_summary) if b]
        text = ": ".join(bits) if bits else f"HTTP {self.status}"
        if self.error_causes:
            text += " (" + "; ".join(self.error_causes) + ")"
        return text


class OktaBadRequest(OktaApiError):
    pass


class OktaUnauthorized(OktaApiError):
    pass


class OktaForbidden(OktaApiError):
    pass


class OktaNotFound(OktaApiError):
    pass


class OktaConflict(OktaApiError):
    pass


class OktaRateLimited(OktaApiError):
    transient = True


class OktaServerError(OktaApiError):
    transient = True


def _causes(body: dict[str, Any]) -> list[str]:
    causes = body.get("errorCauses") or []
    out = []
    for cause in causes if isinstance(causes, list) else []:
        if isinstance(cause, dict) and cause.get("errorSummary"):
            out.append(str(cause["errorSummary"]))
    return out


def api_error(status: int, body: Any, *, method: str, path: str, request_id: str | None) -> OktaApiError:
    data: dict[str, Any] = body if isinstance(body, dict) else {}
    code = data.get("errorCode") or data.get("error")
    summary = data.get("errorSummary") or data.get("error_description")
    kwargs: dict[str, Any] = {
        "status": status, "error_code": str(code) if code else None,
        "error_summary": str(summary) if summary else None, "error_causes": _causes(data),
        "error_id": data.get("errorId"), "method": method, "path": path, "request_id": request_id,
    }
    said = OktaApiError("", **kwargs).okta_said
    if status == 401:
        return OktaUnauthorized(
            f"Okta did not accept the credential ({said}). The API token is wrong, expired (30 days "
            "without use), revoked, or its owner was deactivated; create a new token and update the "
            "connection.", **kwargs)
    if status == 403:
        need = requirement_for(method, path)
        hint = (f" This call ({method} {path}) needs the {need.roles} role, or the {need.scope} scope "
                "for an OAuth app." if need else "")
        return OktaForbidden(
            f"The credential's owner is not allowed to do this in Okta ({said}).{hint}", **kwargs)
    if status == 404:
        return OktaNotFound(f"Okta has no such object ({said}).", **kwargs)
    if status == 409:
        return OktaConflict(f"Okta refused because of a conflict ({said}).", **kwargs)
    if status == 429:
        return OktaRateLimited(
            f"Okta's rate limit for {method} {path} is used up ({said}); waited as long as allowed.", **kwargs)
    if status >= 500:
        return OktaServerError(f"Okta had an internal error ({said}); this usually passes, try again.", **kwargs)
    if status == 400:
        return OktaBadRequest(f"Okta rejected the request ({said}).", **kwargs)
    return OktaApiError(f"Okta answered HTTP {status} ({said}).", **kwargs)
