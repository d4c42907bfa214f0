"""All five vendors onboarded back to back against one sandbox org whose every endpoint shares a
bucket of 20 requests per minute: every onboarding must complete, and the wizard must never be
answered 429 (it waits for the window instead of spending the last 10% of the bucket, which the
org's other integrations need).

    .venv/bin/python bench/rate_limits.py [--smoke] [--limit 20]

Time is simulated: the wizard and the sandbox share a fake clock, so a minute's wait for the
bucket takes no real time. Waits that happen at the same moment overlap (the clock moves to the
latest wake-up, not to the sum of the waits), as they would in real time. Each onboarding is the
whole of it, as in bench/okta_calls.py: preflight, plan, apply, the service account's token
pasted, apply again, (Sentinel's test event), verify, attest, verify again. Sentinel's document
asks for a 30-minute wait before ingestion is checked; that is reported apart from the waits for
the rate limit.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.common.clock import FakeClock
from app.okta.ratelimit import RateLimitPolicy
from bench.support.onboard import VENDORS, bench_wizard, onboard
from okta_sandbox.ratelimit import RateLimitConfig


class OverlappingClock(FakeClock):
    """A fake clock on which sleeps that start at the same moment overlap: each sleeper computes
    its wake-up from the time it fell asleep, lets the others fall asleep too, then the clock
    moves to its wake-up if that is later than now."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        super().__init__(start)
        self.waited = 0.0  # how far sleeps moved the clock
        self.advanced = 0.0  # how far the bench moved it on purpose (a document's wait)

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        wake = self._now + max(seconds, 0.0)
        await asyncio.sleep(0)
        if wake > self._now:
            self.waited += wake - self._now
            self._now = wake
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        self.advanced += seconds
        super().advance(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="two vendors: checks the script works")
    parser.add_argument("--limit", type=int, default=20, help="requests per minute in the org's one bucket")
    args = parser.parse_args()
    vendors = ["authomize", "defender-for-identity"] if args.smoke else VENDORS
    clock = OverlappingClock()
    policy = RateLimitPolicy()
    print(f"machine: {platform.machine()} {platform.python_implementation()} {platform.python_version()}")
    print(f"{len(vendors)} onboardings back to back on one org; every endpoint shares one bucket of {args.limit} "
          f"requests per minute; the wizard keeps {policy.reserve_fraction:.0%} of it in reserve and sends at most "
          f"{policy.max_in_flight} calls at once")
    print(f"{'vendor':<28} {'calls':>6} {'429s':>5} {'waits':>6} {'simulated':>10} {'status':>10}")
    started = time.perf_counter()
    total_calls = total_429 = 0
    with bench_wizard(clock=clock, rate_limits=RateLimitConfig.of(default_limit=args.limit)) as b:
        begin = clock.now()
        for vendor in vendors:
            first, at, waits = len(b.recorder.calls), clock.now(), len(clock.slept)
            oid = onboard(b, vendor)
            calls = b.recorder.calls[first:]
            limited = sum(1 for c in calls if c.status == 429)
            total_calls += len(calls)
            total_429 += limited
            status = b.w.onboarding(oid).status
            print(f"{vendor:<28} {len(calls):>6} {limited:>5} {len(clock.slept) - waits:>6} "
                  f"{(clock.now() - at) / 60:>8.1f}m {status:>10}")
        simulated = clock.now() - begin
    print(f"{'all':<28} {total_calls:>6} {total_429:>5} {len(clock.slept):>6} {simulated / 60:>8.1f}m")
    per_window = args.limit - max(1, int(args.limit * policy.reserve_fraction + 0.999))
    print(f"simulated time {simulated / 60:.1f} min: {clock.waited / 60:.1f} min of waits (for the bucket's "
          f"window, or any other pause), {clock.advanced / 60:.1f} min of the documents' own waits (Sentinel's "
          "ingestion); answers take no simulated time")
    print(f"{total_calls} calls at {per_window} per window ({args.limit} less the reserve) fill "
          f"{total_calls / per_window:.1f} one-minute windows; real time {time.perf_counter() - started:.1f} s")
    print("429s: answers 429 received by the wizard (target 0); waits: the wizard's pauses (rate-limit "
          "reserve, and any other timed wait)")
    if total_429:
        sys.exit("the wizard was answered 429")


if __name__ == "__main__":
    main()
