"""Table rows and assertions shared by the Spot wire tests.

A :class:`Row` says: calling ``<Group>.<method>(*args, **kwargs)`` must put exactly
this request on the wire. :func:`check_row` runs it (sync or async, through the
``invoke`` fixture) and compares what the recording server saw.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable

from recorder import Recorded, RecordingServer

import kraken_ops.spot

API_KEY = "wire-test-key"
# The secret of Kraken's official signing example (kraken-protocol.md §6.1); not a real key.
API_SECRET = "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="


def client_class(group: str, kind: str) -> type:
    """``Market`` or ``AsyncMarket`` ... from ``kraken_ops.spot``."""
    return getattr(kraken_ops.spot, group if kind == "sync" else f"Async{group}")


def make_client(group: str, kind: str, url: str, **kwargs: Any) -> Any:
    return client_class(group, kind)(key=API_KEY, secret=API_SECRET, url=url, rate_limit=False, **kwargs)


class _NewClientOrderId:
    """Equal to any UUID: the client order id the SDK gives an order that had none."""

    _UUID = __import__("re").compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\Z")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and bool(self._UUID.match(other))

    def __hash__(self) -> int:
        return 0

    def __lt__(self, other: object) -> bool:  # sorts like a string
        return False

    def __repr__(self) -> str:
        return "<a new client order id>"


NEW_CLIENT_ID = _NewClientOrderId()

FORM = "form"
JSON = "json"
QUERY = "query"


@dataclass
class Row:
    method: str
    kwargs: dict[str, Any]
    http: str  # "GET" or "POST"
    path: str
    expected: dict[str, Any]  # parameters without the nonce (strings for form/query)
    encoding: str = FORM
    args: tuple[Any, ...] = ()
    result: Any = field(default_factory=dict)  # what the server answers inside "result"

    @property
    def id(self) -> str:
        shown = ",".join(sorted(self.kwargs)) or "-"
        return f"{self.method}({shown})"


def check_request(rec: Recorded, row: Row) -> None:
    """Assert method, path, encoding, parameters, signature and nonce of one request."""
    assert rec.method == row.http, f"{row.method}: method {rec.method} != {row.http}"
    assert rec.path == row.path, f"{row.method}: path {rec.path} != {row.path}"
    assert not rec.problems, f"{row.method}: server found {rec.problems}"
    if row.encoding == QUERY:
        assert rec.body == b"", f"{row.method}: a public GET must not send a body"
        assert rec.header("API-Key") is None and rec.header("API-Sign") is None, "public call must not be signed"
        assert rec.query_params == row.expected
        return
    assert rec.query == "", f"{row.method}: private parameters must be in the body, not the query"
    assert rec.signature_ok is True, f"{row.method}: API-Sign did not verify"
    assert rec.nonce_ok is True, f"{row.method}: nonce did not increase"
    if row.encoding == JSON:
        assert rec.is_json, f"{row.method}: expected a JSON body, got {rec.content_type!r}"
        body = rec.json_body
        assert isinstance(body.get("nonce"), str) and body["nonce"].isdigit()
        assert list(body)[-1] == "nonce", "nonce must be the last key"
        body.pop("nonce")
        assert body == row.expected
    else:
        assert rec.content_type.startswith("application/x-www-form-urlencoded"), rec.content_type
        pairs = rec.form_pairs
        assert pairs and pairs[-1][0] == "nonce", "nonce must be the last form field"
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys)), f"{row.method}: repeated form keys {keys}"
        assert dict(pairs[:-1]) == row.expected


def check_row(invoke: Callable[..., Any], server: RecordingServer, group: str, row: Row) -> Any:
    server.respond_result(row.result)
    result = invoke(group, row.method, *row.args, **row.kwargs)
    assert len(server.requests) == 1, f"{row.method}: expected one request, got {len(server.requests)}"
    check_request(server.last, row)
    return result


def endpoint_methods(cls: type) -> set[str]:
    """Public endpoint methods an endpoint mixin defines (not the base client's)."""
    mixin = next(base for base in cls.__mro__ if base.__name__.startswith("_") and base.__name__.endswith("Endpoints"))
    return {name for name, value in vars(mixin).items() if not name.startswith("_") and inspect.isfunction(value)}


def assert_rows_cover(cls: type, rows: list[Row], exempt: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    missing = endpoint_methods(cls) - {row.method for row in rows} - set(exempt)
    assert not missing, f"{cls.__name__} methods without a wire row: {sorted(missing)}"
