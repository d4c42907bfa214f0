"""What an action or a check works with: the Okta client, the values it may refer to, and the
hooks back into the engine (checkpoint an intent, keep a secret, cache a read)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from app.common.clock import Clock
from app.engine.scope import Scope
from app.okta.client import OktaClient
from app.okta.models import ApiToken
from app.vault import Secret

IntentHook = Callable[[str, dict[str, Any]], Awaitable[None]]
SecretHook = Callable[[str, str, Secret, str | None], Awaitable[None]]
SecretReader = Callable[[str], Awaitable[Secret | None]]


T = TypeVar("T")

class ProgressHook(Protocol):
    """Tells the page what a long phase is doing; ``done`` and ``total`` (when known) draw a
    progress bar, e.g. ("Read 4,000 users", done=4000, total=None)."""

    def __call__(self, message: str, /, *, done: int | None = None,
                 total: int | None = None) -> Awaitable[None]: ...


async def _no_intent(_kind: str, _data: dict[str, Any]) -> None:
    return None


async def _no_secret(_purpose: str, _label: str, _value: Secret, _destroy_on: str | None) -> None:
    return None


async def _no_reader(_purpose: str) -> Secret | None:
    return None


async def _no_progress(_message: str, /, *, done: int | None = None, total: int | None = None) -> None:
    return None


@dataclass
class Context:
    okta: OktaClient
    scope: Scope
    clock: Clock
    # Where the vendor's console takes a new API token, in its document's words (the playbook's
    # ``token_place``); empty: the remedies say "give it to the vendor" only.
    token_place: str = ""
    intend: IntentHook = _no_intent
    keep_secret: SecretHook = _no_secret
    # A secret this onboarding keeps (a client secret, say), or None if it was destroyed.
    read_secret: SecretReader = _no_reader
    # Tell the page what a long check is doing ("read 4,000 of 100,000 users").
    progress: ProgressHook = _no_progress
    # Reads made during one phase (plan, apply, verify), so no object is read twice in it.
    memo: dict[str, Any] = field(default_factory=dict)
    # The onboarding's action checkpoints as the phase began (action key -> Record): what earlier
    # steps did, e.g. whether this onboarding assigned a role that a later step removes.
    records: dict[str, Any] = field(default_factory=dict)
    # For eventual consistency: how often and how long to look again for an object that a
    # write we cannot confirm may have created.
    settle_attempts: int = 4
    settle_delay_seconds: float = 1.0

    async def cached(self, key: str, read: Callable[[], Awaitable[T]]) -> T:
        """Read once per phase; callers running at the same time share the one read."""
        if key not in self.memo:
            self.memo[key] = asyncio.ensure_future(read())
        try:
            found: T = await asyncio.shield(self.memo[key])
            return found
        except BaseException:
            if key in self.memo and self.memo[key].done():
                del self.memo[key]  # a failed read is not remembered
            raise

    async def api_tokens(self) -> list[ApiToken]:
        """The org's API tokens, every page (the client follows Okta's ``Link: rel="next"``), listed
        at most once per phase whoever asks: Apply's role and adoption steps, the token check. Okta
        lists them org-wide only, by metadata, never a value; an account's are those of its ``userId``."""
        tokens: list[ApiToken] = await self.cached("api_tokens", self.okta.tokens.all)
        return tokens

    async def abandon(self) -> None:
        """Stop the phase's shared reads still under way, and wait for them: a run stopping (Okta
        refused the credential) closes its client next, and a read left running failed against it
        unseen ("Task exception was never retrieved", logged whenever it was collected)."""
        pending = [read for read in self.memo.values() if not read.done()]
        for read in pending:
            read.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def forget(self, *prefixes: str) -> None:
        for key in list(self.memo):
            if key.startswith(prefixes):
                del self.memo[key]

    def remember(self, key: str, value: Any) -> None:
        """What a write answered is the object as it now is: later readers in this phase get it
        without asking Okta again."""
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        done.set_result(value)
        self.memo[key] = done

    def revise(self, key: str, change: Callable[[Any], Any]) -> None:
        """After a write whose effect is known (an assignment added or removed), bring the
        remembered read up to date; if nothing usable is remembered, the next reader reads."""
        known = self.memo.get(key)
        if known is None or not known.done() or known.cancelled() or known.exception() is not None:
            self.memo.pop(key, None)
            return
        self.remember(key, change(known.result()))

    async def look_again(self, read: Callable[[], Awaitable[Any]]) -> Any:
        """Read until something is found or the settle budget is spent (Okta is eventually
        consistent: an object created a moment ago can be missing from reads for a while)."""
        result = await read()
        attempt = 1
        while result in (None, [], {}) and attempt < self.settle_attempts:
            await self.clock.sleep(self.settle_delay_seconds * attempt)
            result = await read()
            attempt += 1
        return result
