"""Okta's rules for an AWS EventBridge log stream's settings (its documentation; the spec's own
eventSourceName pattern accepts a single character only, see spec/okta/EXCEPTIONS.md).

One copy, read by the form that asks Oort's operator for the values (app/onboardings), by the
action that creates the stream (app/engine/actions/logstreams.py) and by the region picker.
"""

from __future__ import annotations

import re

AWS_REGIONS = ("ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-southeast-1",
               "ap-southeast-2", "ca-central-1", "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2", "eu-west-3",
               "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2")
AWS_ACCOUNT = re.compile(r"\d{12}")
EVENT_SOURCE = re.compile(r"[A-Za-z0-9.\-_]{1,75}")


def partner_event_source(okta_domain: str, event_source_name: str) -> str:
    """The partner event source Okta creates in AWS for an EventBridge log stream, named as Okta's
    help ("Add an AWS EventBridge log stream") gives it: aws.partner/okta.com/<org subdomain>/<name>."""
    return f"aws.partner/okta.com/{okta_domain.split('.', 1)[0]}/{event_source_name}"
