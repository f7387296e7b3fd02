"""The OpenAPI fuzzing harness of ``test_fuzz`` (STANDARDS C15, C16).

Schemathesis generates each operation's requests from the committed schema; this harness then bends
them the way real bad input arrives, because schema-valid random text almost never holds the strings
that break a server (issue 13 item 4):

* path and query ids are, most of the time, the ids of objects that exist (random integers would only
  ever meet the 404 of a missing object);
* one string of the body or the query, or every string of the body, is replaced by hostile text: NUL,
  a lone surrogate (JSON bodies only: no client can put one in a URL or a multipart part), zero-width
  and direction characters, control characters, astral characters, strings of 256 to 100 000
  characters; one integer by a value past 64 bits.

Every answer must be below 500 and conform to the schema (status documented, body of the documented
shape, content type). A server error is reported with the exception Django logged, so the failure
names the line to fix.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

HOSTILE_CHARS = [
    "\x00",
    "\ud800",
    "\udfff",
    "\u200b",
    "\u200d",
    "\ufeff",
    "\u202e",
    "\u2028",
    "\x7f",
    "\x1f",
    "\r",
    "\n",
    "\t",
    "\uffff",
    "\U0001f642",
    "\U00020000",
]
HOSTILE_WORDS = [
    "\x00",
    "研究\x00方向",
    "\ud800",
    "\udc00研究方向",
    "91430600MA4L0H0182\u200b",
    "\ufeff91430600MA4L0H0182",
    "\u200b",
    " ",
    "%00",
    "'; --",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "1e999",
    "NaN",
    "-1",
    "9" * 40,
]
LONG_UNITS = ["长", "a", "\u200b", "0", "\U0001f642"]
LONG_SIZES = [256, 1025, 10_000, 100_000]
HUGE_INTS = [2**63, 2**64 + 1, -(2**63) - 1, 10**30, -1, 0]


def _is_surrogate(char: str) -> bool:
    return "\ud800" <= char <= "\udfff"


def hostile_text(*, surrogates: bool, sizes: list[int] = LONG_SIZES) -> st.SearchStrategy[str]:
    chars = [c for c in HOSTILE_CHARS if surrogates or not _is_surrogate(c)]
    words = [w for w in HOSTILE_WORDS if surrogates or not any(map(_is_surrogate, w))]
    mixed = st.text(
        alphabet=st.one_of(st.sampled_from(chars), st.characters(codec="utf-8")), min_size=1, max_size=24
    )
    long = st.builds(lambda unit, size: unit * size, st.sampled_from(LONG_UNITS), st.sampled_from(sizes))
    return st.one_of(st.sampled_from(words), mixed, long)


def _leaves(value: Any, kind: type, path: tuple = ()) -> list[tuple]:
    """Paths to the leaves of ``kind`` in a JSON value (``bool`` is not an ``int`` here)."""
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _leaves(item, kind, (*path, key))]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in _leaves(item, kind, (*path, index))]
    if isinstance(value, kind) and not isinstance(value, bool):
        return [path]
    return []


def _replace(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    head, *rest = path
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], tuple(rest), new)}
    copy = list(value)
    copy[head] = _replace(copy[head], tuple(rest), new)
    return copy


class FuzzFailure(AssertionError):
    """A failed check, told in ASCII: schemathesis's own message would print the request, and a lone
    surrogate in it makes that message fail to encode instead of naming the failure."""

    def __init__(self, case, response, exc: BaseException):
        try:
            reason = str(exc)
        except UnicodeError:
            reason = type(exc).__name__
        body = ascii(response.content[:300])
        sent = ascii({"path": case.path_parameters, "query": case.query, "body": case.body})[:400]
        super().__init__(f"{reason[:400]} — answer {response.status_code} {body[:200]} to {sent}")


@dataclass
class Caller:
    """Who sends the requests: ``headers()`` is called before every request, so a persona whose token
    the fuzzing revoked (``DELETE /auth/token``, a password reset) or whose account it deactivated gets
    its account and a token back, and keeps fuzzing with its role."""

    headers: Callable[[], dict[str, str]]


@dataclass
class Report:
    operations: int = 0
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def _hostile_case(case, data, ids: dict[str, list]):
    """Bend a generated case (see the module docstring); the drawn choices are Hypothesis's, so they
    shrink and replay with the test."""
    for name in list(case.path_parameters or {}):
        known = ids.get(name)
        if known and data.draw(st.integers(0, 3), label=f"real {name}") > 0:
            case.path_parameters[name] = data.draw(st.sampled_from(known), label=name)
    for name in list(case.query or {}):
        known = ids.get(name)
        if known and data.draw(st.booleans(), label=f"real query {name}"):
            case.query[name] = data.draw(st.sampled_from(known), label=name)
    json_body = (case.media_type or "") == "application/json" and isinstance(case.body, dict | list)
    mode = data.draw(st.sampled_from(["as generated", "one string", "every string", "one integer"]))
    if mode == "one integer" and json_body and (paths := _leaves(case.body, int)):
        path = data.draw(st.sampled_from(paths))
        case.body = _replace(case.body, path, data.draw(st.sampled_from(HUGE_INTS)))
    elif mode == "every string" and json_body and (paths := _leaves(case.body, str)):
        text = hostile_text(surrogates=True, sizes=LONG_SIZES[:2])  # the body stays well under 1 MB
        for path in paths:
            case.body = _replace(case.body, path, data.draw(text))
    elif mode in ("one string", "one integer", "every string"):
        body_paths = _leaves(case.body, str) if isinstance(case.body, dict | list) else []
        places = [("body", p) for p in body_paths] + [("query", (k,)) for k in (case.query or {})]
        if places:
            where, path = data.draw(st.sampled_from(places))
            if where == "body":
                value = data.draw(hostile_text(surrogates=json_body))
                case.body = _replace(case.body, path, value)
            else:
                case.query[path[0]] = data.draw(hostile_text(surrogates=False))
    if any(map(_is_surrogate, all_text(case.body))):
        # Schemathesis re-validates a changed case against the schema to tell a positive case from a
        # negative one, and its validator cannot encode a lone surrogate. The checks used here do not
        # depend on that, so the case drops its generation metadata instead.
        case._meta = None
    return case


def all_text(value: Any) -> str:
    """Every string of a JSON value, joined (to look for characters in it)."""
    return "".join(str(_get(value, path)) for path in _leaves(value, str))


def _get(value: Any, path: tuple) -> Any:
    for step in path:
        value = value[step]
    return value


def fuzz_api(caller: Caller, *, examples: Callable[[str], int], ids: Callable[[str], list[int]]) -> Report:
    """Every operation of the schema, ``examples(method)`` cases each, derandomised."""
    import schemathesis
    from django.core.signals import got_request_exception
    from django.core.wsgi import get_wsgi_application

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    report = Report()
    raised: list[str] = []

    def remember(sender, request=None, **kwargs):
        raised.append("".join(traceback.format_exc(limit=-3)))

    got_request_exception.connect(remember, weak=False, dispatch_uid="fuzz-remember")
    try:
        for result in schema.get_all_operations():
            operation = result.ok()
            report.operations += 1
            raised.clear()
            try:
                _fuzz_operation(operation, caller, examples(operation.method.upper()), ids, report)
            except (Exception, BaseExceptionGroup) as exc:  # every operation's failure, not the first
                where = f"{operation.method.upper()} {operation.path}"
                cause = f" | server: {raised[-1][-600:]}" if raised else ""
                origin = "" if isinstance(exc, FuzzFailure) else _origin(exc)
                report.failures.append(f"{where}: {' '.join(str(exc).split())[:600]}{origin}{cause}")
    finally:
        got_request_exception.disconnect(dispatch_uid="fuzz-remember")
    return report


def _origin(exc: BaseException) -> str:
    """Where an exception of the harness or the client came from (the last frames)."""
    while isinstance(exc, BaseExceptionGroup):
        exc = exc.exceptions[0]
    frames = traceback.extract_tb(exc.__traceback__)[-3:]
    return " | at " + " < ".join(
        f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno} {f.line}" for f in reversed(frames)
    )


def _fuzz_operation(
    operation, caller: Caller, count: int, ids: Callable[[str], list], report: Report
) -> None:
    # The existing ids are read once per operation: Hypothesis replays a failing case and must draw
    # from the same lists, whatever the cases before it created.
    known = {parameter.name: ids(parameter.name) for parameter in operation.iter_parameters()}
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

    @settings(
        max_examples=count,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        # No shrinking: a derandomised failure replays as it is, and shrinking a server error through
        # the whole WSGI stack would cost minutes per operation.
        phases=[Phase.explicit, Phase.generate],
    )
    @given(case=operation.as_strategy(), data=st.data())
    def run(case, data):
        case = _hostile_case(case, data, known)
        response = case.call(headers=caller.headers())
        report.requests += 1
        report.statuses[response.status_code] = report.statuses.get(response.status_code, 0) + 1
        try:
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance, content_type_conformance]
            )
        except (Exception, BaseExceptionGroup) as exc:
            raise FuzzFailure(case, response, exc) from None

    run()
