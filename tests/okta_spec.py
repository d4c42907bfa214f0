"""Validate HTTP exchanges with Okta against Okta's own OpenAPI spec.

The spec is the project's cut of Okta's Management API spec (spec/okta/management-subset.yaml;
provenance in spec/okta/SOURCE.md), so the tests need nothing outside the repository. openapi-core
checks the request (path, method, parameters, body) and the response (status, body); on top of it
this module checks discriminator subtypes that openapi-core ignores (an OIDC ``Application``, an
EventBridge ``LogStream``), and it applies, in one place, the exemptions for known faults of the
spec. Each exemption is listed in ``SPEC_EXCEPTIONS`` and explained in spec/okta/EXCEPTIONS.md
under the same identifier; nothing else is waived.

Not validated: the sandbox's own endpoints (``/__sandbox__/``), the OAuth endpoints
(``/oauth2/``, in Okta's separate OAuth spec) and ``/.well-known/openid-configuration``.
"""

from __future__ import annotations

import copy
import json
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import yaml
from jsonschema import FormatChecker
from jsonschema.exceptions import ValidationError as SchemaError
from jsonschema_path import SchemaPath
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.validation.request.validators import V30RequestValidator
from openapi_core.validation.response.validators import V30ResponseValidator
from openapi_core.validation.schemas.datatypes import FormatValidatorsDict
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue
from openapi_core.validation.schemas.factories import SchemaValidatorsFactory
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from werkzeug.datastructures import Headers, ImmutableMultiDict

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "spec" / "okta" / "management-subset.yaml"
SKIPPED_PREFIXES = ("/__sandbox__/", "/oauth2/")
SKIPPED_PATHS = frozenset({"/.well-known/openid-configuration"})
# Headers the sandbox puts on responses it made on purpose (an injected fault) or by accident.
FAULT_HEADER = "x-sandbox-fault"
BUG_HEADER = "x-sandbox-internal-error"

# The known faults of Okta's spec that validation deliberately exempts. The identifiers are the
# section names of spec/okta/EXCEPTIONS.md; keep the two in step.
SPEC_EXCEPTIONS: dict[str, str] = {
    "aws-event-source-name-pattern": "AwsEventSourceName's pattern ^[a-zA-Z0-9.\\-_]$ accepts one character only;"
                                     " validated as ^[a-zA-Z0-9.\\-_]+$ (the documented 1-75 characters).",
    "log-stream-readonly-links-required": "LogStream requires _links, which is readOnly, so no POST"
                                          " /api/v1/logStreams request can satisfy it; _links is not required.",
    "time-duration-pattern": "TimeDuration's pattern ^P(?:$)... matches only 'P' (so not the P30D of every API"
                             " token); validated with the lookaheads it meant: ^P(?!$)...T(?=\\d)...",
    "oin-oidc-app-name": "OpenIdConnectApplication pins name to 'oidc_client', but an OIDC app installed from the"
                         " OIN catalog carries its catalog key (e.g. 'drata'); such a name is accepted.",
    "undeclared-error-status": "Okta answers any operation with 401 E0000011, 404, 405, 409, 429 or 5xx error"
                               " bodies, but the spec declares only some per operation; an undeclared 4xx/5xx"
                               " is accepted when its body is a valid Error.",
    "undeclared-operation": "A method the spec does not declare on a known path (POST /api/v1/api-tokens) is"
                            " answered 404/405 with an Error body; that answer is accepted.",
    "null-removes-custom-property": "Okta removes a custom profile property sent as null (the spec marks"
                                    " UserSchemaAttribute x-okta-allow-null-property-value-for-updates), but"
                                    " openapi-core ignores x- extensions; such schemas are made nullable.",
    "empty-content-map": "Six responses (e.g. deleteUser 204, deactivateUser 200) declare `content: {}`, which"
                         " openapi-core can satisfy neither with a body nor without one; they are read as"
                         " declaring no content.",
    "schema-section-id-type-sent": "UserSchemaBase and UserSchemaPublic mark id and type readOnly, but Okta's"
                                   " Terraform provider sends them (#base/#custom, object) in every schema update"
                                   " and Okta accepts them (recorded); they may be sent.",
    "custom-role-example-href-typo": "The example CustomRoleResponseUser has the key 'href\"' under"
                                     " _links.assignee. Examples are never validated, so nothing is exempted in"
                                     " code; listed so nobody copies the example.",
    "log-stream-lifecycle-empty-body": "Okta answers (de)activateLogStream 200 with an empty body, the spec"
                                       " declares the LogStream; the sandbox follows the spec, nothing is"
                                       " exempted in code (recorded difference, docs/fidelity.md).",
    "grant-consent-status": "Okta answers grantConsentToScope 200, the spec declares only 201; the sandbox"
                            " answers 201, nothing is exempted in code (recorded difference, docs/fidelity.md).",
}

_PATCHED_PATTERNS = {
    # spec/okta/EXCEPTIONS.md#aws-event-source-name-pattern
    "AwsEventSourceName": r"^[a-zA-Z0-9.\-_]+$",
    # spec/okta/EXCEPTIONS.md#time-duration-pattern
    "TimeDuration": r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$",
}
_ERROR_STATUSES = range(400, 600)
# Speed (every exchange of a test with the sandbox is validated: a fifth of the CPU of the vendor
# tests). openapi-core resolves the spec's references again at each step of each exchange unless
# its path cache is on (jsonschema-path's ``resolved_cache_maxsize``; large enough for every path
# of this spec), and copies the whole format checker for every schema it validates, in case
# extra formats are added to it; none are, so the validators below share one (jsonschema only
# reads it). The same results in three fifths of the time (docs/benchmarks.md, the test suite).
RESOLVED_CACHE_SIZE = 65536


class _SharedFormatChecker(SchemaValidatorsFactory):
    def get_format_checker(self, format_validators: FormatValidatorsDict | None = None,
                           extra_format_validators: FormatValidatorsDict | None = None) -> FormatChecker:
        if format_validators is None and extra_format_validators is None:
            return self.format_checker
        return super().get_format_checker(format_validators, extra_format_validators)


class _RequestValidator(V30RequestValidator):
    schema_validators_factory = _SharedFormatChecker(OAS30WriteValidator)


class _ResponseValidator(V30ResponseValidator):
    schema_validators_factory = _SharedFormatChecker(OAS30ReadValidator)


def load_spec(path: Path = SPEC_PATH) -> dict[str, Any]:
    with path.open("rb") as handle:
        spec: dict[str, Any] = yaml.load(handle, Loader=yaml.CSafeLoader)
    return spec


def patch_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """Apply the exemptions that are patches of the spec (see SPEC_EXCEPTIONS)."""
    patched = copy.deepcopy(spec)
    schemas = patched["components"]["schemas"]
    for name, pattern in _PATCHED_PATTERNS.items():
        assert "pattern" in schemas[name], f"{name} no longer has a pattern: review EXCEPTIONS.md"
        schemas[name]["pattern"] = pattern
    # spec/okta/EXCEPTIONS.md#null-removes-custom-property
    nullable = [name for name, schema in schemas.items()
                if isinstance(schema, dict) and schema.get("x-okta-allow-null-property-value-for-updates")]
    assert "UserSchemaAttribute" in nullable, "UserSchemaAttribute lost its null extension: review EXCEPTIONS.md"
    for name in nullable:
        schemas[name]["nullable"] = True
    # spec/okta/EXCEPTIONS.md#empty-content-map
    emptied = 0
    for item in patched["paths"].values():
        for operation in item.values():
            for response in (operation.get("responses") or {}).values() if isinstance(operation, dict) else ():
                if isinstance(response, dict) and response.get("content") == {}:
                    del response["content"]
                    emptied += 1
    assert emptied, "no response declares `content: {}` any more: review EXCEPTIONS.md"
    # spec/okta/EXCEPTIONS.md#log-stream-readonly-links-required
    required = schemas["LogStream"]["required"]
    assert "_links" in required, "LogStream no longer requires _links: review EXCEPTIONS.md"
    schemas["LogStream"]["required"] = [name for name in required if name != "_links"]
    # spec/okta/EXCEPTIONS.md#schema-section-id-type-sent
    for name in ("UserSchemaBase", "UserSchemaPublic"):
        for key in ("id", "type"):
            assert schemas[name]["properties"][key].get("readOnly"), f"{name}.{key}: review EXCEPTIONS.md"
            schemas[name]["properties"][key] = {k: v for k, v in schemas[name]["properties"][key].items()
                                                if k != "readOnly"}
    return patched


class _Request:
    """An httpx request in openapi-core's shape. The spec's only server is ``https://{domain}``,
    so the host URL is presented as https whatever the sandbox's scheme."""

    def __init__(self, request: httpx.Request) -> None:
        self.host_url = f"https://{request.url.netloc.decode('ascii')}"
        self.path = request.url.path
        self.method = request.method.lower()
        self.body: bytes | None = request.content or None
        self.content_type = request.headers.get("content-type", "")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qsl(request.url.query.decode("utf-8"), keep_blank_values=True)),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(),
        )


class _Response:
    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.content_type = response.headers.get("content-type", "")
        self.headers = Headers(list(response.headers.items()))
        self.data: bytes | None = response.content or None


@dataclass(frozen=True)
class Violation:
    method: str
    url: str
    status: int | None
    where: str  # "request" or "response"
    message: str

    def __str__(self) -> str:
        status = f" -> {self.status}" if self.status is not None else ""
        return f"{self.method} {self.url}{status}: {self.where}: {self.message}"


def _describe(error: BaseException) -> Iterator[str]:
    """Readable lines for an openapi-core error, down to the schema errors that caused it."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, InvalidSchemaValue):
            for schema_error in cause.schema_errors:
                yield _schema_message(schema_error)
            return
        if cause.__cause__ is None:
            yield f"{type(cause).__name__}: {cause}"
            return
        cause = cause.__cause__


def _schema_message(error: BaseException) -> str:
    if isinstance(error, SchemaError):
        where = "/".join(str(part) for part in error.absolute_path) or "(root)"
        detail = error.message
        if error.context:
            detail += " [" + "; ".join(sorted({sub.message[:200] for sub in error.context}))[:600] + "]"
        return f"{where}: {detail[:800]}"
    return str(error)


class OktaSpecValidator:
    """Validates request/response pairs; ``check`` returns the violations (empty when valid)."""

    def __init__(self, spec: Mapping[str, Any] | None = None) -> None:
        self.spec = patch_spec(dict(spec) if spec is not None else load_spec())
        self.openapi = OpenAPI(SchemaPath.from_dict(self.spec, resolved_cache_maxsize=RESOLVED_CACHE_SIZE),
                               config=Config(spec_validator_cls=None, request_validator_cls=_RequestValidator,
                                             response_validator_cls=_ResponseValidator))
        self._registry: Registry[Any] = Registry().with_resource(
            "urn:okta", Resource.from_contents(self.spec, default_specification=DRAFT4))

    # Public API

    def check(self, request: httpx.Request, response: httpx.Response | None = None) -> list[Violation]:
        path = request.url.path
        if path in SKIPPED_PATHS or path.startswith(SKIPPED_PREFIXES):
            return []
        violations: list[Violation] = []

        def add(where: str, message: str) -> None:
            violations.append(Violation(request.method, str(request.url), response.status_code if response else None,
                                        where, message))

        if response is not None and response.headers.get(BUG_HEADER):
            add("response", "the sandbox failed with an internal error (see the captured log)")
        operation = self._operation(request)
        if operation is None:
            # spec/okta/EXCEPTIONS.md#undeclared-operation
            if response is None or response.status_code not in (404, 405):
                add("request", f"{request.method} {path} is not an operation of the spec")
            elif (message := self._error_body_problem(response)) is not None:
                add("response", message)
            return violations
        spec_operation = operation
        openapi_request = _Request(request)
        with warnings.catch_warnings():
            # openapi-core cannot check the spec's oauth2 scheme and says so on every request that
            # does not use an API token; the sandbox enforces authentication itself.
            warnings.filterwarnings("ignore", "Unsupported scheme type", UserWarning)
            request_errors = list(self.openapi.iter_request_errors(openapi_request))
        for error in request_errors:
            if isinstance(error, PathNotFound | OperationNotFound):
                add("request", str(error))
                continue
            for line in _describe(error):
                add("request", line)
        for line in self._subtype_problems(spec_operation.get("requestBody"), request.content, write=True):
            add("request", line)
        if response is None:
            return violations
        if response.headers.get(FAULT_HEADER) == "malformed_json":
            return violations  # a deliberately broken body: nothing to validate
        openapi_response = _Response(response)
        for error in self.openapi.iter_response_errors(openapi_request, openapi_response):
            if isinstance(error, ResponseNotFound) and response.status_code in _ERROR_STATUSES:
                # spec/okta/EXCEPTIONS.md#undeclared-error-status
                if (message := self._error_body_problem(response)) is not None:
                    add("response", message)
                continue
            for line in _describe(error):
                add("response", line)
        declared = (spec_operation.get("responses") or {}).get(str(response.status_code))
        for line in self._subtype_problems(declared, response.content, write=False):
            add("response", line)
        return violations

    # Helpers

    def _operation(self, request: httpx.Request) -> dict[str, Any] | None:
        """The spec's operation for the request, if it declares one (literal segments win)."""
        method = request.method.lower()
        segments = request.url.path.rstrip("/").split("/")
        best: tuple[int, str, dict[str, Any]] | None = None
        for template, item in self.spec["paths"].items():
            parts = template.split("/")
            if len(parts) != len(segments) or method not in item:
                continue
            literal = 0
            for part, segment in zip(parts, segments, strict=True):
                if part.startswith("{") and part.endswith("}"):
                    continue
                if part != segment:
                    break
                literal += 1
            else:
                if best is None or literal > best[0]:
                    best = (literal, template, item[method])
        return best[2] if best else None

    def _resolve(self, node: Any) -> Any:
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            target: Any = self.spec
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node = target
        return node

    def _error_body_problem(self, response: httpx.Response) -> str | None:
        try:
            body = response.json()
        except ValueError:
            return f"the {response.status_code} body is not JSON"
        errors = list(OAS30ReadValidator({"$ref": "urn:okta#/components/schemas/Error"},
                                         registry=self._registry).iter_errors(body))
        if errors:
            return f"the {response.status_code} body is not an Error: {_schema_message(errors[0])}"
        if not isinstance(body, dict) or not body.get("errorCode"):
            return f"the {response.status_code} body has no errorCode"
        return None

    def _subtype_problems(self, declared: Any, content: bytes, *, write: bool) -> Iterator[str]:
        """Validate bodies against the subtype a plain-schema discriminator names (openapi-core
        only honours discriminators beside oneOf/anyOf)."""
        declared = self._resolve(declared)
        if not isinstance(declared, dict) or not content:
            return
        media = (declared.get("content") or {}).get("application/json")
        if not isinstance(media, dict) or "schema" not in media:
            return
        try:
            body = json.loads(content)
        except ValueError:
            return
        yield from self._walk(media["schema"], body, write=write, where="")

    def _walk(self, schema: Any, value: Any, *, write: bool, where: str) -> Iterator[str]:
        schema = self._resolve(schema)
        if not isinstance(schema, dict):
            return
        if schema.get("type") == "array" and isinstance(value, list):
            for index, item in enumerate(value):
                yield from self._walk(schema.get("items"), item, write=write, where=f"{where}/{index}")
            return
        discriminator = schema.get("discriminator")
        if not discriminator or "oneOf" in schema or "anyOf" in schema or not isinstance(value, dict):
            return
        key = value.get(discriminator["propertyName"])
        target = (discriminator.get("mapping") or {}).get(key)
        if target is None:
            return  # the base schema (already checked by openapi-core) is all there is
        subject = value
        name = target.rsplit("/", 1)[-1]
        if name == "OpenIdConnectApplication" and value.get("name") != "oidc_client":
            # spec/okta/EXCEPTIONS.md#oin-oidc-app-name
            subject = {**value, "name": "oidc_client"}
        validator_class = OAS30WriteValidator if write else OAS30ReadValidator
        validator = validator_class({"$ref": f"urn:okta{target}"}, registry=self._registry)
        for error in validator.iter_errors(subject):
            yield f"{where or '(root)'} as {name}: {_schema_message(error)}"


def format_violations(violations: list[Violation]) -> str:
    return "\n".join(f"  - {violation}" for violation in violations)


# spec/okta/EXCEPTIONS.md#log-stream-lifecycle-empty-body and spec/okta/EXCEPTIONS.md#grant-consent-status:
# nothing is exempted in code (the sandbox answers as the spec says); they record where real Okta
# answers otherwise (tests/recordings/okta/), which tests/sandbox/test_conformance.py lists as differences.
