"""A sandbox Okta org: a stateful, in-memory fake of the Okta Management API endpoints the product
uses, with Okta's ids, status codes, error bodies, headers, pagination, rate limits and faults.

In process: ``httpx.AsyncClient(transport=SandboxTransport(org), base_url=org.base_url)``.
Standalone: ``onboard sandbox --port 8010 --seed demo``."""

from okta_sandbox.app import create_sandbox_app
from okta_sandbox.faults import FaultKind, FaultPlan, FaultRule
from okta_sandbox.org import SandboxOrg
from okta_sandbox.ratelimit import RateLimitConfig, RateLimitRule
from okta_sandbox.seed import DemoOrg, seed_demo_org
from okta_sandbox.transport import SandboxTransport

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
