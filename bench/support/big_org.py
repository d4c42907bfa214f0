"""A standalone sandbox Okta org with many users, for benchmarks that must not count the fake's
own memory as the wizard's: ``python -m bench.support.big_org --users N --port P`` seeds N active
users over several email domains, prints the admin token on its first line and serves."""

from __future__ import annotations

import argparse

import uvicorn

from app.common.clock import SystemClock
from okta_sandbox.app import create_sandbox_app
from okta_sandbox.domain import users as users_domain
from okta_sandbox.org import SandboxOrg

DOMAINS = ("acme.example", "acme.example", "acme.example", "acme-labs.example")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    org = SandboxOrg(base_url=f"http://127.0.0.1:{args.port}", clock=SystemClock())
    admin = org.add_user("bench.admin@acme.example")
    org.assign_role(admin["id"], "SUPER_ADMIN")
    token = org.issue_api_token(admin["id"], "bench")
    # The sandbox checks a new login against every user (Okta's uniqueness rule); seeding logins
    # that are unique by construction skips that scan, which would make seeding quadratic.
    unique_check = users_domain.find_by_login
    users_domain.find_by_login = lambda _org, _login: None  # type: ignore[assignment]
    try:
        for i in range(args.users - 1):
            org.add_user(f"user{i:06d}@{DOMAINS[i % len(DOMAINS)]}")
    finally:
        users_domain.find_by_login = unique_check
    print(token, flush=True)
    uvicorn.run(create_sandbox_app(org, standalone=True), host="127.0.0.1", port=args.port, log_level="warning",
                server_header=False, date_header=False)


if __name__ == "__main__":
    main()
