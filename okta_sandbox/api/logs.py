"""Log streams (``/api/v1/logStreams``) and the System Log (``/api/v1/logs``).

A System Log query is *bounded* when it has ``until`` (its last page has no next link) and
*polling* otherwise with ascending order: a polling query always has a next link, because new
events may arrive, and following it later returns them."""

from __future__ import annotations

from okta_sandbox import scim
from okta_sandbox.api.context import Call, Reply, handles
from okta_sandbox.domain import log_streams as streams_domain
from okta_sandbox.domain import syslog
from okta_sandbox.entities import LogStream
from okta_sandbox.errors import OktaError, not_found, validation_failed
from okta_sandbox.paging import decode_cursor, encode_cursor, paginate
from okta_sandbox.timestamps import parse_iso

LOGS_MAX_LIMIT = 1000
SYSTEM_LOG_RETENTION_DAYS = 180


def _stream(call: Call, *, consistent: bool = False) -> LogStream:
    stream_id = call.params["logStreamId"]
    stream = call.org.log_streams.get(stream_id) if consistent else call.org.log_streams.read(stream_id)
    if stream is None:
        raise not_found(f"{stream_id} (LogStream)")
    return stream


@handles("listLogStreams")
def list_streams(call: Call) -> Reply:
    streams = call.org.log_streams.listing()
    filter_text = call.text("filter")
    if filter_text is not None:
        node = scim.restrict(scim.parse(filter_text), lambda comparison: comparison.attribute in ("type", "status")
                             and comparison.operator == "eq", allow_not=False)
        streams = [stream for stream in streams
                   if scim.evaluate(node, scim.json_lookup({"type": stream.type, "status": stream.status}))]
    page, cursor = paginate(streams, after=call.text("after"), limit=call.limit(maximum=200),
                            key=lambda stream: stream.seq)
    return call.page([streams_domain.render(call.org, stream) for stream in page], cursor)


@handles("createLogStream")
def create_stream(call: Call) -> Reply:
    return Reply(200, streams_domain.render(call.org, streams_domain.create(call.org, call.json(), call.actor())))


@handles("getLogStream")
def get_stream(call: Call) -> Reply:
    return Reply(200, streams_domain.render(call.org, _stream(call)))


@handles("replaceLogStream")
def replace_stream(call: Call) -> Reply:
    stream = streams_domain.replace(call.org, _stream(call, consistent=True), call.json(), call.actor())
    return Reply(200, streams_domain.render(call.org, stream))


@handles("deleteLogStream")
def delete_stream(call: Call) -> Reply:
    streams_domain.delete(call.org, _stream(call, consistent=True), call.actor())
    return Reply(204)


@handles("activateLogStream")
def activate_stream(call: Call) -> Reply:
    stream = streams_domain.set_status(call.org, _stream(call, consistent=True), True, call.actor())
    return Reply(200, streams_domain.render(call.org, stream))


@handles("deactivateLogStream")
def deactivate_stream(call: Call) -> Reply:
    stream = streams_domain.set_status(call.org, _stream(call, consistent=True), False, call.actor())
    return Reply(200, streams_domain.render(call.org, stream))


def _moment(call: Call, name: str) -> float | None:
    text = call.text(name)
    if text is None:
        return None
    moment = parse_iso(text)
    if moment is None:
        raise validation_failed(name, f"{name}: '{text}' is not an ISO 8601 timestamp.")
    return moment


@handles("listLogEvents")
def list_events(call: Call) -> Reply:
    now = call.org.clock.now()
    since, until, after = _moment(call, "since"), _moment(call, "until"), call.text("after")
    if since is not None and now - since > SYSTEM_LOG_RETENTION_DAYS * 86_400:
        raise OktaError(400, "E0000053", f"Invalid value for 'since' parameter. The value must be within the last"
                                         f" {SYSTEM_LOG_RETENTION_DAYS} days.")
    if since is not None and until is not None and since > until:
        raise validation_failed("since", "since: must not be later than until.")
    order = (call.text("sortOrder") or "ASCENDING").upper()
    if order not in ("ASCENDING", "DESCENDING"):
        raise validation_failed("sortOrder", "sortOrder: must be ASCENDING or DESCENDING.")
    filter_text = call.text("filter")
    keywords = tuple((call.text("q") or "").split())
    if any(len(keyword) > 40 for keyword in keywords) or len(keywords) > 10:
        raise validation_failed("q", "q: At most 10 keywords of at most 40 characters each.")
    query = syslog.LogQuery(since=since, until=until, after=decode_cursor(after) if after else None,
                            filter=scim.parse(filter_text) if filter_text else None, keywords=keywords,
                            descending=order == "DESCENDING")
    events = syslog.query(call.org, query)
    limit = call.limit(maximum=LOGS_MAX_LIMIT)
    page = events[:limit]
    polling = until is None and order == "ASCENDING"
    if page:
        cursor: str | None = encode_cursor(page[-1].seq)
    elif polling:
        # Nothing new yet: the next poll starts after everything logged so far.
        cursor = after or encode_cursor(call.org.events[-1].seq if call.org.events else 0)
    else:
        cursor = None
    links = [(call.url(), "self")]
    if len(events) > limit or polling:
        links.append((call.url(after=cursor), "next"))
    return Reply(200, [event.body for event in page], links=links)
