"""Typed Okta failures. Each carries what Okta said (errorCode, errorSummary, errorCauses,
errorId, X-Okta-Request-Id) and a message for the operator that says what to do.

Okta's ``errorCode`` decides what a failure means (:data:`OKTA_ERROR_CODES`, one table: the
category and what the operator must do); the HTTP status is only the fallback for codes the table
does not know. Okta's docs: "Only the errorCode property is supported for runtime error flow
control"; the same status carries different meanings (401 is a bad token with E0000011 but a
feature the org is not licensed for with E0000015).

``transient`` separates what may succeed if tried again later (429, 5xx, timeouts, dropped
connections, a garbled body) from what will fail the same way until someone changes something.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from app.common import network
from app.common.destinations import Refused
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


# What to do after a failure that left a write unconfirmed: Retry is safe because every action
# looks its object up before creating it (a read has nothing to confirm: it is simply asked again).
UNCONFIRMED_WRITE = ("the change may or may not have been made. Retry: the wizard checks what exists before "
                     "writing again.")
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def shown_path(path: str) -> str:
    """An API path as a person may read it: a template's placeholders (``{userId}``) are never
    shown unfilled."""
    return _PLACEHOLDER.sub("…", path)


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


class ErrorCategory(StrEnum):
    """What an Okta failure means for the operator, whatever HTTP status carried it."""

    BAD_CREDENTIAL = "bad_credential"  # the token or client credentials are not accepted
    MISSING_PERMISSION = "missing_permission"  # the credential's owner lacks a role or scope
    FEATURE_NOT_ENABLED = "feature_not_enabled"  # the org lacks the feature or licence
    DUPLICATE = "duplicate"  # the object or assignment already exists
    RATE_LIMITED = "rate_limited"
    NOT_FOUND = "not_found"
    INVALID_INPUT = "invalid_input"  # Okta rejected what was sent (details in errorCauses)
    WRONG_STATE = "wrong_state"  # not allowed in the object's current status
    CONFLICT_RETRY = "conflict_retry"  # a concurrent change got in the way; trying again works
    CONFLICT = "conflict"  # a 409 whose code the table does not know
    SERVER = "server"  # Okta's side failed or is read-only for a while
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class CodeMeaning:
    category: ErrorCategory
    advice: str  # what the operator must do, appended to what Okta said


C = ErrorCategory
OKTA_ERROR_CODES: dict[str, CodeMeaning] = {
    # Okta Management API (docs data/error-codes.json; the recordings carry E0000001 and E0000007)
    "E0000001": CodeMeaning(C.INVALID_INPUT, "Okta rejected a field of the request; the causes name it."),
    "E0000003": CodeMeaning(C.INVALID_INPUT, "Okta could not read the request body."),
    "E0000004": CodeMeaning(C.BAD_CREDENTIAL, "Okta did not accept the sign-in; check the credential."),
    "E0000005": CodeMeaning(C.BAD_CREDENTIAL, "Okta's session is invalid; sign in again or use an API token."),
    "E0000006": CodeMeaning(C.MISSING_PERMISSION,
                            "The credential's owner does not have an admin role that allows this."),
    "E0000007": CodeMeaning(C.NOT_FOUND, "The object does not exist (or is not visible to this credential)."),
    "E0000008": CodeMeaning(C.NOT_FOUND, "This org does not offer the requested API path."),
    "E0000009": CodeMeaning(C.SERVER, "This usually passes; try again."),
    "E0000010": CodeMeaning(C.SERVER, "The org is in read-only mode (maintenance); try again later."),
    "E0000011": CodeMeaning(C.BAD_CREDENTIAL,
                            "The API token is wrong, expired (30 days without use), revoked, or its owner was "
                            "deactivated; create a new token and add it in Okta connections (added by whoever "
                            "added the connection, one of the same account replaces its token)."),
    "E0000015": CodeMeaning(C.FEATURE_NOT_ENABLED,
                            "The feature this needs is not enabled on this org (it may need a licence or an "
                            "Early Access feature switched on). The credential is fine: ask your Okta "
                            "administrator or Okta support to enable the feature, then try again."),
    "E0000022": CodeMeaning(C.INVALID_INPUT, "This Okta endpoint does not support that method."),
    "E0000031": CodeMeaning(C.INVALID_INPUT, "Okta did not accept the search or filter."),
    "E0000038": CodeMeaning(C.WRONG_STATE,
                            "The object's current status does not allow this (activate or unsuspend it first)."),
    "E0000047": CodeMeaning(C.RATE_LIMITED,
                            "Okta's rate limit is used up (shared with the org's other apps); wait for the "
                            "window to reset, or raise the limit in the Admin Console."),
    "E0000053": CodeMeaning(C.INVALID_INPUT, "Okta did not accept the System Log query (for example, since "
                                             "more than 180 days ago)."),
    "E0000090": CodeMeaning(C.DUPLICATE, "The role is already assigned; nothing to do."),
    "E0000263": CodeMeaning(C.DUPLICATE, "The standard role is already assigned; nothing to do."),
    "E0000268": CodeMeaning(C.CONFLICT_RETRY, "Another change to the same role assignments was under way; "
                                              "try again."),
    # The token endpoint's OAuth errors (``error`` instead of ``errorCode``)
    "invalid_client": CodeMeaning(C.BAD_CREDENTIAL, "The client id or secret (or key) is not accepted; "
                                                    "generate a new secret for the app."),
    "invalid_scope": CodeMeaning(C.MISSING_PERMISSION, "The app is not granted (all) the requested scopes; "
                                                       "grant them in the app's Okta API Scopes tab."),
}
del C

_BY_STATUS: dict[int, ErrorCategory] = {
    400: ErrorCategory.INVALID_INPUT, 401: ErrorCategory.BAD_CREDENTIAL, 403: ErrorCategory.MISSING_PERMISSION,
    404: ErrorCategory.NOT_FOUND, 405: ErrorCategory.INVALID_INPUT, 409: ErrorCategory.CONFLICT,
    429: ErrorCategory.RATE_LIMITED,
}


def categorise(status: int, error_code: str | None) -> ErrorCategory:
    """Okta's code first; the HTTP status only when the code is missing or not in the table."""
    known = OKTA_ERROR_CODES.get(error_code or "")
    if known is not None:
        return known.category
    if status >= 500:
        return ErrorCategory.SERVER
    return _BY_STATUS.get(status, ErrorCategory.UNKNOWN)


class OktaApiError(OktaError):
    """Okta answered with an error. ``category`` says what it means (from Okta's errorCode, the
    status only as a fallback); ``is_duplicate`` and ``may_be_duplicate`` tell an idempotent
    action that the object it wanted to create is (or may be) already there."""

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
        self.category = categorise(status, error_code)

    @property
    def okta_said(self) -> str:
        bits = [b for b in (self.error_code, self.error_summary) if b]
        text = ": ".join(bits) if bits else f"HTTP {self.status}"
        if self.error_causes:
            text += " (" + "; ".join(self.error_causes) + ")"
        return text

    @property
    def is_duplicate(self) -> bool:
        """Okta's code says the object or assignment already exists: E0000090 or E0000263 (a role
        already assigned). A 409 with another code is not taken for a duplicate."""
        return self.category is ErrorCategory.DUPLICATE

    @property
    def may_be_duplicate(self) -> bool:
        """``is_duplicate``, or a 400 E0000001 (validation failed): the answer Okta's spec gives for
        a second grant of the same OAuth scope (``POST /api/v1/apps/{appId}/grants``), which has no
        code of its own, so it cannot be told apart from other invalid input by code. Look the
        object up before treating it as there."""
        return self.is_duplicate or (self.status == 400 and self.error_code == "E0000001")

    @property
    def advice(self) -> str:
        """What the operator must do, from the code table (empty for codes it does not know)."""
        known = OKTA_ERROR_CODES.get(self.error_code or "")
        return known.advice if known else ""


class OktaBadRequest(OktaApiError):
    pass


class OktaUnauthorized(OktaApiError):
    pass


class OktaForbidden(OktaApiError):
    pass


class OktaFeatureNotEnabled(OktaForbidden):
    """E0000015: the org does not have the feature (licence, Early Access). Okta answers it with
    401, but the credential is fine: it is not an :class:`OktaUnauthorized`."""


class OktaNotFound(OktaApiError):
    pass


class OktaConflict(OktaApiError):
    pass


class OktaRateLimited(OktaApiError):
    transient = True
    retry_after: int | None = None  # seconds, when the wizard gave up waiting for the window to reset


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
    """The typed error for Okta's answer: the class keeps to the HTTP status callers catch
    (OktaConflict for 409, OktaBadRequest for 400...), except that a 401/403 is classed by what
    the code means (E0000015 is OktaFeatureNotEnabled, never a bad token); the message says what
    Okta said and, from the code table, what to do."""
    data: dict[str, Any] = body if isinstance(body, dict) else {}
    code = data.get("errorCode") or data.get("error")
    summary = data.get("errorSummary") or data.get("error_description")
    kwargs: dict[str, Any] = {
        "status": status, "error_code": str(code) if code else None,
        "error_summary": str(summary) if summary else None, "error_causes": _causes(data),
        "error_id": data.get("errorId"), "method": method, "path": path, "request_id": request_id,
    }
    probe = OktaApiError("", **kwargs)
    said, category, advice = probe.okta_said, probe.category, probe.advice
    need = requirement_for(method, path)  # by the template; the sentences show it without placeholders
    path = shown_path(path)
    if category is ErrorCategory.FEATURE_NOT_ENABLED:
        return OktaFeatureNotEnabled(
            f"Okta says this org does not have the feature {method} {path} needs ({said}). {advice}", **kwargs)
    if category is ErrorCategory.BAD_CREDENTIAL and status in (401, 403):
        return OktaUnauthorized(
            f"Okta did not accept the credential ({said}). "
            + (advice or "The API token is wrong, expired (30 days without use), revoked, or its owner was "
                         "deactivated; create a new token and add it in Okta connections (added by whoever "
                         "added the connection, one of the same account replaces its token)."), **kwargs)
    if status in (401, 403):
        hint = (f" This call ({method} {path}) needs the {need.roles} role, or the {need.scope} scope "
                "for an OAuth app." if need else "")
        if category is ErrorCategory.WRONG_STATE:
            return OktaForbidden(f"Okta does not allow this now ({said}). {advice}", **kwargs)
        return OktaForbidden(
            f"The credential's owner is not allowed to do this in Okta ({said}).{hint}", **kwargs)
    if status == 404:
        return OktaNotFound(f"Okta has no such object ({said}).", **kwargs)
    if status == 409:
        if category is ErrorCategory.DUPLICATE:
            return OktaConflict(f"It already exists in Okta ({said}). {advice}".rstrip(), **kwargs)
        error = OktaConflict(f"Okta refused because of a conflict ({said}). {advice}".rstrip(), **kwargs)
        error.transient = category is ErrorCategory.CONFLICT_RETRY
        return error
    if status == 429:
        return OktaRateLimited(
            f"Okta's rate limit for {method} {path} is used up ({said}); waited as long as allowed.", **kwargs)
    if status >= 500:
        # The advice is a sentence of its own in the table; after a semicolon it goes on in lower case.
        advice = advice[:1].lower() + advice[1:]
        return OktaServerError(f"Okta had an internal error ({said}); "
                               + (advice or "this usually passes; try again."), **kwargs)
    if status == 400:
        return OktaBadRequest(f"Okta rejected the request ({said}).", **kwargs)
    return OktaApiError(f"Okta answered HTTP {status} ({said}). {advice}".rstrip(), **kwargs)


def transport_error(kind: str, *, write: bool, method: str, path: str, org: str = "",
                    cause: Exception | None = None) -> OktaTransportError:
    """No usable answer, in words that say what to do: a read is simply asked again; a write may
    have happened, and Retry finds out. The path stays on the error (for the trail), not in the
    sentence: it means nothing to an Okta administrator."""
    if kind == "timeout":
        happened = "Okta did not answer in time"
    elif kind == "dropped":
        happened = "The connection to Okta dropped before Okta answered"
    elif isinstance(cause, Refused):  # the address's rule, before any connection (an allowed custom domain's)
        return OktaTransportError(f"Not called: {cause} Its name must point at Okta; an administrator can remove it "
                                  "from the custom domains in Settings.", kind=kind,
                                  method=method, path=path)
    else:
        return OktaTransportError(f"Could not connect to {org}: {connect_cause(cause)}; check the org's address "
                                  "and try again.", kind=kind, method=method, path=path)
    then = f", so {UNCONFIRMED_WRITE}" if write else "; try again in a minute."
    return OktaTransportError(happened + then, kind=kind, method=method, path=path)


def malformed_answer(*, write: bool, method: str, path: str, request_id: str | None) -> OktaMalformedResponse:
    """A body that is not JSON: after a read nothing changed, so only a write talks of a change."""
    if write:
        message = f"Okta's answer to {method} {shown_path(path)} is not JSON, so {UNCONFIRMED_WRITE}"
    else:
        message = "Okta sent an answer the wizard could not read (not JSON); try again in a minute."
    return OktaMalformedResponse(message, method=method, path=path, request_id=request_id)


def rate_limited_for_now(seconds: float, *, method: str, path: str, request_id: str | None = None,
                         reserve: bool = False) -> OktaRateLimited:
    """A person is waiting (a form post), and Okta's window resets later than they can wait: said
    at once, with the time to wait, instead of holding the page. ``reserve``: Okta did not refuse
    anything; the wizard held back, leaving the last of the window to the org's other apps."""
    wait = max(1, math.ceil(seconds))
    when = f"try again in {wait} second{'s' if wait != 1 else ''}."
    if reserve:
        said = ("This org's Okta API calls are close to their limit (the limit is shared with the org's other "
                f"apps), and the wizard leaves what is left of it to them; {when}")
    else:
        said = f"Okta is limiting this org's API calls (the limit is shared with the org's other apps); {when}"
    error = OktaRateLimited(said, status=429, error_code="E0000047", method=method, path=path, request_id=request_id)
    error.retry_after = wait
    return error


def connect_cause(exc: Exception | None) -> str:
    """Why a connection to Okta failed, in words a person can act on (app/common/network.py reads
    the failure for every connection the server makes)."""
    return network.cause(exc)
