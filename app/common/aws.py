"""Okta's rules for an AWS EventBridge log stream's settings (its documentation; the spec's own
eventSourceName pattern accepts a single character only, see spec/okta/EXCEPTIONS.md).

One copy, read by the form that asks Oort's operator for the values (app/onboardings), by the
action that creates the stream (app/engine/actions/logstreams.py) and by the region picker.
"""

from __future__ import annotations

import re

# The regions Okta streams to, each with the name AWS's console shows beside its code (an operator
# looking at "eu-west-1" in a list may not know it is Ireland: the vendor's console names it).
AWS_REGION_NAMES = {
    "ap-northeast-1": "Asia Pacific (Tokyo)", "ap-northeast-2": "Asia Pacific (Seoul)",
    "ap-northeast-3": "Asia Pacific (Osaka)", "ap-south-1": "Asia Pacific (Mumbai)",
    "ap-southeast-1": "Asia Pacific (Singapore)", "ap-southeast-2": "Asia Pacific (Sydney)",
    "ca-central-1": "Canada (Central)", "eu-central-1": "Europe (Frankfurt)", "eu-north-1": "Europe (Stockholm)",
    "eu-west-1": "Europe (Ireland)", "eu-west-2": "Europe (London)", "eu-west-3": "Europe (Paris)",
    "sa-east-1": "South America (São Paulo)", "us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)", "us-west-2": "US West (Oregon)",
}
AWS_REGIONS = tuple(AWS_REGION_NAMES)
AWS_ACCOUNT = re.compile(r"\d{12}")
# As AWS's console shows it (1234-5678-9012), or typed in groups: the same 12 digits.
AWS_ACCOUNT_TYPED = re.compile(r"\d{4}[ -]?\d{4}[ -]?\d{4}")


def account_digits(typed: str) -> str:
    """The 12 digits of an account id typed as ``AWS_ACCOUNT_TYPED`` allows."""
    return re.sub(r"[ -]", "", typed)
EVENT_SOURCE = re.compile(r"[A-Za-z0-9.\-_]{1,75}")


def partner_event_source(okta_domain: str, event_source_name: str) -> str:
    """The partner event source Okta creates in AWS for an EventBridge log stream, named as Okta's
    help ("Add an AWS EventBridge log stream") gives it: aws.partner/okta.com/<org subdomain>/<name>."""
    return f"aws.partner/okta.com/{okta_domain.split('.', 1)[0]}/{event_source_name}"
