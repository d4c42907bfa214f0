"""Hostile values for Okta objects: names, labels and descriptions that break out of HTML text
and attributes, run script, and are Jinja and playbook templates. Shown escaped they are harmless
text; a page that failed to escape one would gain an element, an event handler or a script."""

from __future__ import annotations


def hostile(tag: str, *, slash: bool = True) -> str:
    """At most 100 characters (the wizard's longest name fields); ``tag`` says where it came from.
    Without ``slash`` for labels the wizard looks up by name in a URL path (custom roles, resource
    sets), where Okta cannot find a name with a '/' in it."""
    script = "<script>alert(1)</script>" if slash else "<script>alert(1)<b>"
    return f"{tag}'\"><img src=x onerror=alert(1)>{script}{{{{7*7}}}}{{admin.login}}"


def hostile_name(tag: str) -> str:
    """The same within 50 characters, the most Okta allows in a person's first or last name."""
    name = f"{tag}\"><svg onload=alert(1)>{{{{7*7}}}}{{admin.login}}"
    assert len(name) <= 50, name
    return name


def shown_prefix(value: str) -> str:
    """The part of a hostile value before its markup: where it is on a page, all of it must be."""
    return value[:value.index("<")]
