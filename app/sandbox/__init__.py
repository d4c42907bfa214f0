"""A sandbox Okta org: a stateful, in-memory fake of the Okta Management API endpoints the product
uses, with Okta's ids, status codes, error bodies, headers, pagination, rate limits and faults.

In process: ``httpx.AsyncClient(transport=SandboxTransport(org), base_url=org.base_url)``.
Standalone: ``onboard sandbox --port 8010 --seed demo``."""

from app.sandbox.app import create_sandbox_app
from app.sandbox.faults import FaultKind, FaultPlan, FaultRule
from app.sandbox.org import SandboxOrg
from app.sandbox.ratelimit import RateLimitConfig, RateLimitRule
from app.sandbox.seed import DemoOrg, seed_demo_org
from app.sandbox.transport import SandboxTransport

__all__ = [
    "DemoOrg",
    "FaultKind",
    "FaultPlan",
    "FaultRule",
    "RateLimitConfig",
    "RateLimitRule",
    "SandboxOrg",
    "SandboxTransport",
    "create_sandbox_app",
    "seed_demo_org",
]
