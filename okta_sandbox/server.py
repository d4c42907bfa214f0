"""Running the sandbox on its own (``onboard sandbox``): a real HTTP server on real time, for
demos and browser tests. Faults injected through ``/__sandbox__/faults`` then happen on the
socket: a ``timeout`` holds the connection, a ``drop`` cuts a response in half."""

from __future__ import annotations

from starlette.types import ASGIApp

from okta_sandbox.app import create_sandbox_app
from okta_sandbox.clock import SystemClock
from okta_sandbox.org import SandboxOrg
from okta_sandbox.seed import WIZARD_URL, DemoOrg, seed_demo_org


def build(*, base_url: str, pipeline: str, seed: str | None,
          wizard_url: str = WIZARD_URL) -> tuple[SandboxOrg, ASGIApp, DemoOrg | None]:
    """``wizard_url``: where the wizard answers, for the demo's sign-in app's redirect URI."""
    org = SandboxOrg(base_url=base_url, pipeline=pipeline, clock=SystemClock())
    demo = seed_demo_org(org, wizard_url=wizard_url) if seed == "demo" else None
    return org, create_sandbox_app(org, standalone=True), demo


def serve(*, host: str, port: int, pipeline: str, seed: str | None) -> None:
    import uvicorn

    org, app, demo = build(base_url=f"http://{host}:{port}", pipeline=pipeline, seed=seed)
    print(f"Sandbox Okta org: {org.base_url}", flush=True)
    print(f"Admin Console:    {org.base_url}/__sandbox__/console", flush=True)
    if demo is not None:
        print(f"Demo admin:       {demo.admin_login}", flush=True)
        print(f"Demo admin token: {demo.admin_token}", flush=True)
        print(f"Wizard sign-in:   {org.base_url}/__sandbox__/oidc (OpenID Connect app)", flush=True)
    # The sandbox sets Date itself (from the org clock); uvicorn must not add a second one.
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False, date_header=False)
