"""The one door to Okta: builds every URL from the org origin and a path template, sends with
the credential, respects rate limits, retries what is safe to retry, classifies failures,
follows pagination links (verbatim, or from the org's admin host to the org), and reports each
attempt to the call log.

Retry rules: a 429 is retried (any method: Okta did not process the request) after waiting until
the reset Okta names; 5xx, timeouts, dropped connections and garbled bodies are retried only for
reads; writes fail at once with a typed error, and the caller (an idempotent ensure-action)
looks the object up before trying again.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
from httpx import USE_CLIENT_DEFAULT
from httpx._client import UseClientDefault

from app.common.clock import SYSTEM_CLOCK, Clock
from app.okta.calllog import CallHook, EventHook, OktaCall, RateLimitWait
from app.okta.credentials import Credential
from app.okta.errors import (
    ErrorCategory,
    OktaError,
    OktaMalformedResponse,
    OktaRateLimited,
    OktaRedirectRefused,
    OktaTransportError,
    OktaUnauthorized,
    api_error,
    categorise,
    malformed_answer,
    rate_limited_for_now,
    shown_path,
    transport_error,
)
from app.okta.orgurl import OrgUrl
from app.okta.ratelimit import Bucket, OrgRateLimiter, RateLimitPolicy
from app.okta.response import OktaResponse, build_path

USER_AGENT = "okta-onboard/0.1 (+https://github.com/)"
READ_METHODS = frozenset({"GET", "HEAD"})


class OktaHttp:
    def __init__(
        self,
        org: OrgUrl,
        credential: Credential | None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = SYSTEM_CLOCK,
        limiter: OrgRateLimiter | None = None,
        on_call: CallHook | None = None,
        on_event: EventHook | None = None,
        timeout: float = 30.0,
        read_retries: int = 2,
        wait_budget: float | None = None,
        deadline: float | None = None,
    ) -> None:
        """``wait_budget``: the seconds of rate-limit waits a person can sit through (a form post);
        a wait beyond it fails at once, saying when to try again. None (a background job): wait
        as long as the org's policy allows. ``deadline``: the seconds, from the first call, all of
        this client's calls may take together (a form post's reads, each bounded by ``timeout``,
        add up); past it no request is sent and a read's wait is cut to what is left."""
        self.org = org
        self.credential = credential
        self.clock = clock
        self.limiter = limiter or OrgRateLimiter(clock, RateLimitPolicy())
        self.on_call = on_call
        self.on_event = on_event
        self.read_retries = read_retries
        self.wait_budget = wait_budget
        self.deadline = deadline
        self.timeout = timeout
        self._first_call_at: float | None = None
        self.waited = 0.0
        self.calls_made = 0
        self._client = httpx.AsyncClient(
            base_url=org.origin,
            transport=transport,
            follow_redirects=False,
            timeout=httpx.Timeout(timeout, connect=10.0),
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
            trust_env=False,  # no proxy or netrc credentials from the environment
        )
        self._owns_client = True

    def with_credential(self, credential: Credential | None) -> OktaHttp:
        """The same door to the same org (connection pool, rate limiter, clock, call log) proving
        itself with another credential: a vendor's integration credentials under test, say. The
        result borrows this door's connection pool; closing it leaves the pool to its owner."""
        sibling = copy.copy(self)
        sibling.credential = credential
        sibling._owns_client = False
        return sibling

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> OktaHttp:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    # -- public calls -----------------------------------------------------------------------

    async def call(
        self,
        method: str,
        template: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        auth: bool = True,
        absent_ok: bool = False,
    ) -> OktaResponse:
        """``absent_ok``: the caller asks whether the object exists, so a 404 is an answer it
        expects: still raised, but recorded as ``not_found``, not ``http_error`` (see ``Area.lookup``)."""
        url = self.org.origin + build_path(template, path_params)
        return await self._send(method.upper(), url, template, params=params, json_body=json_body, auth=auth,
                                absent_ok=absent_ok)

    async def follow(self, url: str, template: str) -> OktaResponse:
        """GET a pagination link as Okta gave it (path and query untouched), after checking it
        points at the org: its own origin or, as ``/api/v1/iam`` lists answer, its Admin Console
        host, which is sent to the org origin (see :meth:`OrgUrl.link_on_org`)."""
        target = self.org.link_on_org(url)
        if target is None:
            parts = urlsplit(url)
            origin = f"{parts.scheme}://{parts.netloc}".lower()
            raise OktaError(f"Okta's next-page link points at {origin}, not at the org; not following it.",
                            method="GET", path=template)
        return await self._send("GET", target, template, params=None, json_body=None, auth=True)

    async def pages(
        self,
        template: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        items: Callable[[Any], list[Any]] | None = None,
        stop_on_empty: bool = False,
        absent_ok: bool = False,
    ) -> AsyncIterator[list[Any]]:
        """Each page's items, following ``rel="next"`` (or ``_links.next``) until there is none."""
        extract = items or (lambda data: data if isinstance(data, list) else [])
        response = await self.call("GET", template, path_params=path_params, params=params, absent_ok=absent_ok)
        seen: set[str] = set()
        while True:
            page = extract(response.data)
            yield page
            nxt = response.next_link()
            if not nxt or nxt in seen or (stop_on_empty and not page):
                return
            seen.add(nxt)
            response = await self.follow(nxt, template)

    async def iterate(self, template: str, **kwargs: Any) -> AsyncIterator[Any]:
        async for page in self.pages(template, **kwargs):
            for item in page:
                yield item

    async def token_request(self, form: Mapping[str, str], *, auth_header: str | None) -> dict[str, Any]:
        """POST to the org authorization server's token endpoint (OAuth error format)."""
        template = "/oauth2/v1/token"
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if auth_header:
            headers["Authorization"] = auth_header
        request = self._client.build_request("POST", self.org.origin + template, data=dict(form), headers=headers)
        response, duration = await self._exchange(request, "POST", template, attempt=1)
        await self._record_response(response, duration, "POST", template, 1)
        if response.status_code != 200:
            body = _json_or_none(response)
            raise api_error(response.status_code, body, method="POST", path=template,
                            request_id=response.headers.get("x-okta-request-id"))
        data = _json_or_none(response)
        if not isinstance(data, dict) or "access_token" not in data:
            raise OktaMalformedResponse("Okta's token endpoint answered without an access token.",
                                        method="POST", path=template)
        return data

    # -- the machinery ----------------------------------------------------------------------

    async def _send(self, method: str, url: str, template: str, *, params: Mapping[str, Any] | None,
                    json_body: Any, auth: bool, absent_ok: bool = False) -> OktaResponse:
        key = f"{method} {template}"
        attempt = 0
        retry_for: str | None = None
        unauthorized_retry_done = False
        while True:
            attempt += 1
            headers: dict[str, str] = {}
            if auth and self.credential is not None:
                headers["Authorization"] = await self.credential.authorization(self)
            if retry_for:
                headers["X-Okta-Retry-For"] = retry_for
                headers["X-Okta-Retry-Count"] = str(attempt - 1)
            claimed = await self._wait_for_budget(key, template)
            try:
                timeout = self._time_left(method, template)
            except OktaTransportError:
                self.limiter.answered(key, None, claimed)  # abandoned before it was sent
                raise
            request = self._client.build_request(method, url, params=_clean(params), json=json_body,
                                                 headers=headers, timeout=timeout)
            try:
                response, duration = await self._exchange(request, method, template, attempt=attempt, key=key,
                                                          claimed=claimed)
            except OktaTransportError as exc:
                if method in READ_METHODS and attempt <= self.read_retries:
                    await self.clock.sleep(_backoff(attempt))
                    continue
                raise exc from None
            request_id = response.headers.get("x-okta-request-id")
            status = response.status_code
            data: Any = None
            malformed = False
            if 200 <= status < 300 and status != 204 and response.content:
                try:
                    data = response.json()
                except (json.JSONDecodeError, UnicodeDecodeError):
                    malformed = True
            # Before the record: the trail keeps how long Okta asked to wait (the report says it).
            wait = self.limiter.wait_after_429(response.headers) if status == 429 else None
            outcome = "malformed" if malformed else "not_found" if absent_ok and status == 404 else None
            await self._record_response(response, duration, method, template, attempt, outcome, wait)

            if status == 429:
                if wait is None or attempt > self.limiter.policy.max_429_retries:
                    raise api_error(429, _json_or_none(response), method=method, path=template,
                                    request_id=request_id)
                retry_for = request_id
                await self._pause(wait, method, template, "429", request_id)
                continue
            if 300 <= status < 400:
                raise OktaRedirectRefused(
                    f"Okta answered {method} {shown_path(template)} with a redirect ({status}); the wizard never "
                    "follows redirects with a credential. Check the org address.", method=method, path=template,
                    request_id=request_id)
            if status >= 500 and method in READ_METHODS and attempt <= self.read_retries:
                await self.clock.sleep(_backoff(attempt))
                continue
            if status == 401 and self.credential is not None and not unauthorized_retry_done \
                    and self.credential.kind != "api_token" and _error_category(response) is not \
                    ErrorCategory.FEATURE_NOT_ENABLED:
                # A cached OAuth access token may have been revoked or expired early: fetch a new one once.
                self.credential.forget()
                unauthorized_retry_done = True
                continue
            if status >= 400:
                raise api_error(status, _json_or_none(response), method=method, path=template,
                                request_id=request_id)
            if malformed:
                if method in READ_METHODS and attempt <= self.read_retries:
                    await self.clock.sleep(_backoff(attempt))
                    continue
                raise malformed_answer(write=method not in READ_METHODS, method=method, path=template,
                                       request_id=request_id)
            return OktaResponse(status=status, headers=response.headers, data=data, request_id=request_id)

    async def _exchange(self, request: httpx.Request, method: str, template: str, *, attempt: int,
                        key: str | None = None, claimed: Bucket | None = None) -> tuple[httpx.Response, float]:
        """Send one request under the org's concurrency cap; record the attempt. ``claimed`` is
        the rate-limit bucket the request was counted against: released when Okta answers, or
        when the request fails or is abandoned, with whatever the answer taught about the bucket."""
        answered: Mapping[str, str] | None = None
        try:
            async with self.limiter.slot(write=method not in READ_METHODS):
                started = time.perf_counter()
                self.calls_made += 1
                try:
                    response = await self._client.send(request)
                    await response.aread()
                except httpx.TimeoutException:
                    await self._record(method, template, None, _ms(started), attempt, None, "timeout")
                    raise transport_error("timeout", write=method not in READ_METHODS, method=method,
                                          path=template) from None
                except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                    await self._record(method, template, None, _ms(started), attempt, None, "dropped")
                    raise transport_error("dropped", write=method not in READ_METHODS, method=method,
                                          path=template) from exc
                except (httpx.ConnectError, httpx.ConnectTimeout, httpx.NetworkError) as exc:
                    await self._record(method, template, None, _ms(started), attempt, None, "connect")
                    raise transport_error("connect", write=method not in READ_METHODS, method=method, path=template,
                                          org=self.org.display_domain, cause=exc) from exc
                duration = _ms(started)
                answered = response.headers
        finally:
            if key:
                self.limiter.answered(key, answered, claimed)
        return response, duration

    async def _record_response(self, response: httpx.Response, duration_ms: float, method: str, template: str,
                               attempt: int, outcome: str | None = None, wait: float | None = None) -> None:
        status = response.status_code
        if outcome is None:
            outcome = "ok" if status < 300 else "redirect" if status < 400 else "rate_limited" if status == 429 \
                else "http_error"
        error_code = None
        if status >= 400:
            body = _json_or_none(response)
            if isinstance(body, dict):
                error_code = body.get("errorCode") or body.get("error")
        await self._record(method, template, status, duration_ms, attempt,
                           response.headers.get("x-okta-request-id"), outcome, error_code, wait)

    async def _wait_for_budget(self, key: str, template: str) -> Bucket | None:
        """Wait until ``key``'s bucket is above its reserve, then claim one request from it."""
        while True:
            wait, claimed = self.limiter.claim(key)
            if wait <= 0:
                return claimed
            await self._pause(wait, key.split(" ", 1)[0], template, "reserve")

    def _time_left(self, method: str, template: str) -> httpx.Timeout | UseClientDefault:
        """The timeout of the attempt about to be sent: the client's, or for a read what is left
        of the deadline. Past the deadline nothing is sent (a write is never cut short: a write
        cut short may have happened, and nobody could say)."""
        if self.deadline is None:
            return USE_CLIENT_DEFAULT
        now = self.clock.now()
        if self._first_call_at is None:
            self._first_call_at = now
        left = self.deadline - (now - self._first_call_at)
        if left <= 0:
            raise transport_error("timeout", write=False, method=method, path=template)
        if method not in READ_METHODS or left >= self.timeout:
            return USE_CLIENT_DEFAULT
        return httpx.Timeout(left, connect=min(10.0, left))

    def _past_deadline(self, seconds: float) -> bool:
        if self.deadline is None or self._first_call_at is None:
            return False
        return self.clock.now() - self._first_call_at + seconds > self.deadline

    async def _pause(self, seconds: float, method: str, template: str, reason: str,
                     request_id: str | None = None) -> None:
        if (self.wait_budget is not None and self.waited + seconds > self.wait_budget) \
                or self._past_deadline(seconds):
            # A person is waiting: refuse now rather than hold the page past what they (and a proxy) will.
            raise rate_limited_for_now(seconds, method=method, path=template, request_id=request_id,
                                       reserve=reason == "reserve")
        self.waited += seconds
        # A wait is until a moment (the window's reset): time spent telling the page counts.
        began = self.clock.now()
        if self.on_event is not None:
            await self.on_event(RateLimitWait(seconds=seconds, until=began + seconds, path=template, reason=reason))
        await self.clock.sleep(max(0.0, seconds - (self.clock.now() - began)))

    async def _record(self, method: str, template: str, status: int | None, duration_ms: float, attempt: int,
                      request_id: str | None, outcome: str, error_code: str | None = None,
                      wait: float | None = None) -> None:
        if self.on_call is not None:
            await self.on_call(OktaCall(org=self.org.display_domain, method=method, path=template, status=status,
                                        duration_ms=round(duration_ms, 1), attempt=attempt, request_id=request_id,
                                        outcome=outcome, error_code=str(error_code) if error_code else None,
                                        wait_s=round(wait, 1) if wait is not None else None))


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _backoff(attempt: int) -> float:
    # Short, bounded pauses for transient read failures (429s are timed from Okta's headers instead).
    return float(min(0.5 * 2 ** (attempt - 1), 4.0))


def _clean(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not params:
        return None
    return {k: v for k, v in params.items() if v is not None}


def _error_category(response: httpx.Response) -> ErrorCategory:
    body = _json_or_none(response)
    code = body.get("errorCode") if isinstance(body, dict) else None
    return categorise(response.status_code, str(code) if code else None)


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return None


__all__ = ["OktaHttp", "OktaRateLimited", "OktaResponse", "OktaUnauthorized", "build_path"]

