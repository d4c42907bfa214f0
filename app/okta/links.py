"""Reading a ``Link`` header (RFC 8288), where Okta puts the next page of a list.

Link-values are separated by commas, but a link's URI may hold raw commas of its own: Okta's next
link repeats the request's query, and the wizard's user scan asks for
``fields=id,status,profile:(email)`` (the Drata email-domain count). Splitting the header on every
comma cut such a link in two and lost its ``rel="next"``, so the scan stopped after its first page
and counted too few users. A link-value starts with ``<``, which a URI cannot hold raw, so the
header is split only on the commas followed by one."""

from __future__ import annotations

import re

_BETWEEN_VALUES = re.compile(r",\s*(?=<)")
_VALUE = re.compile(r"\s*<([^>]*)>(.*)", re.DOTALL)
_REL = re.compile(r';\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,"]+))', re.IGNORECASE)


def parse_links(header: str) -> dict[str, str]:
    """Each relation type named in ``header`` (lower case) and its link's URI."""
    found: dict[str, str] = {}
    for value in _BETWEEN_VALUES.split(header):
        link = _VALUE.match(value)
        rel = _REL.search(link.group(2)) if link else None
        if link is None or rel is None:
            continue
        # A link may name several relation types at once: rel="next last".
        for relation in (rel.group(1) or rel.group(2) or "").split():
            found[relation.lower()] = link.group(1).strip()
    return found
