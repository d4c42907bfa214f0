"""Okta's errorCode decides what the operator is told, the HTTP status only as a fallback: one
table, each code checked for its category, its exception class and the advice in the message."""

from __future__ import annotations

from typing import Any

import pytest

from app.okta.errors import (
    OKTA_ERROR_CODES,
    ErrorCategory,
    OktaApiError,
    OktaBadRequest,
    OktaConflict,
    OktaFeatureNotEnabled,
    OktaForbidden,
    OktaNotFound,
    OktaRateLimited,
    OktaServerError,
    OktaUnauthorized,
    api_error,
)
from tests.okta.test_http import Harness, _json, run

C = ErrorCategory


def _body(code: str, summary: str = "what Okta said") -> dict[str, Any]:
    return {"errorCode": code, "errorSummary": summary, "errorLink": code, "errorId": "oae1", "errorCauses": []}


# code, the HTTP status Okta answers it with, category, exception class, words the operator must see
CASES = [
    ("E0000001", 400, C.INVALID_INPUT, OktaBadRequest, "rejected"),
    ("E0000003", 400, C.INVALID_INPUT, OktaBadRequest, "rejected"),
    ("E0000004", 401, C.BAD_CREDENTIAL, OktaUnauthorized, "did not accept the credential"),
    ("E0000006", 403, C.MISSING_PERMISSION, OktaForbidden, "not allowed"),
    ("E0000007", 404, C.NOT_FOUND, OktaNotFound, "no such object"),
    ("E0000011", 401, C.BAD_CREDENTIAL, OktaUnauthorized, "expired"),
    ("E0000015", 401, C.FEATURE_NOT_ENABLED, OktaFeatureNotEnabled, "not enabled on this org"),
    ("E0000022", 405, C.INVALID_INPUT, OktaApiError, "does not support that method"),
    ("E0000038", 403, C.WRONG_STATE, OktaForbidden, "current status"),
    ("E0000047", 429, C.RATE_LIMITED, OktaRateLimited, "rate limit"),
    ("E0000053", 400, C.INVALID_INPUT, OktaBadRequest, "rejected"),
    ("E0000090", 409, C.DUPLICATE, OktaConflict, "already assigned"),
    ("E0000263", 409, C.DUPLICATE, OktaConflict, "already assigned"),
    ("E0000268", 409, C.CONFLICT_RETRY, OktaConflict, "try again"),
    ("E0000009", 500, C.SERVER, OktaServerError, "try again"),
]


def test_every_case_is_in_the_one_table() -> None:
    assert {code for code, *_ in CASES} <= set(OKTA_ERROR_CODES)


@pytest.mark.parametrize(("code", "status", "category", "cls", "words"), CASES)
def test_each_code_yields_its_category_class_and_message(code: str, status: int, category: ErrorCategory,
                                                         cls: type[OktaApiError], words: str) -> None:
    error = api_error(status, _body(code), method="GET", path="/api/v1/users", request_id="r1")
    assert error.category is category
    assert type(error) is cls
    assert code in error.message and words in error.message
    assert error.error_code == code


def test_the_code_wins_over_the_status() -> None:
    # The same code on an unexpected status still means what the code means.
    error = api_error(403, _body("E0000015"), method="GET", path="/api/v1/iam/roles", request_id=None)
    assert error.category is C.FEATURE_NOT_ENABLED and isinstance(error, OktaFeatureNotEnabled)
    error = api_error(401, _body("E0000006"), method="GET", path="/api/v1/users", request_id=None)
    assert error.category is C.MISSING_PERMISSION and not isinstance(error, OktaUnauthorized)


@pytest.mark.parametrize(("status", "category", "cls"), [
    (400, C.INVALID_INPUT, OktaBadRequest), (401, C.BAD_CREDENTIAL, OktaUnauthorized),
    (403, C.MISSING_PERMISSION, OktaForbidden), (404, C.NOT_FOUND, OktaNotFound), (409, C.CONFLICT, OktaConflict),
    (429, C.RATE_LIMITED, OktaRateLimited), (503, C.SERVER, OktaServerError),
])
def test_status_is_the_fallback_for_unknown_or_missing_codes(status: int, category: ErrorCategory,
                                                             cls: type[OktaApiError]) -> None:
    for body in ({}, _body("E0009999"), "<html>gateway</html>"):
        error = api_error(status, body, method="GET", path="/api/v1/users", request_id=None)
        assert error.category is category and type(error) is cls


def test_a_401_feature_not_enabled_is_not_reported_as_a_bad_token() -> None:
    """Okta answers 401 E0000015 when the org lacks a feature (licence): the token is fine."""
    summary = "You do not have permission to access the feature you are requesting"
    h = Harness(lambda r: _json(401, _body("E0000015", summary)))
    with pytest.raises(OktaApiError) as info:
        run(h.http.call("GET", "/api/v1/iam/resource-sets"))
    error = info.value
    assert not isinstance(error, OktaUnauthorized)
    assert isinstance(error, OktaFeatureNotEnabled) and error.category is C.FEATURE_NOT_ENABLED
    assert "not enabled on this org" in error.message and "licence" in error.message
    assert "The credential is fine" in error.message
    for bad_token_words in ("expired", "revoked", "create a new token"):
        assert bad_token_words not in error.message
    assert not error.transient


def test_a_401_invalid_token_is_still_a_bad_token() -> None:
    h = Harness(lambda r: _json(401, _body("E0000011", "Invalid token provided")))
    with pytest.raises(OktaUnauthorized) as info:
        run(h.http.call("GET", "/api/v1/users/me"))
    assert info.value.category is C.BAD_CREDENTIAL and "create a new token" in info.value.message


@pytest.mark.parametrize(("status", "code", "duplicate", "may_be"), [
    (409, "E0000090", True, True),  # a role already assigned
    (409, "E0000263", True, True),  # a standard role already assigned
    (409, "E0000268", False, False),  # a concurrent change: retry, not "already there"
    (409, None, False, False),
    (400, "E0000001", False, True),  # how Okta's spec answers a second grant of the same OAuth scope
    (400, "E0000003", False, False),
    (404, "E0000007", False, False),
])
def test_duplicates_are_recognised_by_okta_codes(status: int, code: str | None, duplicate: bool,
                                                 may_be: bool) -> None:
    error = api_error(status, _body(code) if code else {}, method="POST", path="/api/v1/users/{userId}/roles",
                      request_id=None)
    assert error.is_duplicate is duplicate
    assert error.may_be_duplicate is may_be


def test_a_concurrent_role_change_may_be_retried() -> None:
    error = api_error(409, _body("E0000268"), method="POST", path="/api/v1/users/{userId}/roles", request_id=None)
    assert error.transient
    assert not api_error(409, _body("E0000090"), method="POST", path="/x", request_id=None).transient


@pytest.mark.parametrize(("code", "status", "expected"), [
    ("E0000009", 500, "Okta had an internal error (E0000009: Internal Server Error); this usually passes; try "
                      "again."),
    ("E0000010", 503, "Okta had an internal error (E0000010: Internal Server Error); the org is in read-only "
                      "mode (maintenance); try again later."),
])
def test_a_server_error_reads_as_one_sentence(code: str, status: int, expected: str) -> None:
    """QA walk 5, L4: the advice went on after the semicolon with a capital ("...); This usually passes")."""
    error = api_error(status, _body(code, "Internal Server Error"), method="GET", path="/api/v1/users",
                      request_id=None)
    assert error.message == expected
