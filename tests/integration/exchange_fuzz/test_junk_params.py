"""The exchange never answers HTTP 500 (issue 10, item 7), proved with generated junk.

Every Spot and Futures endpoint, public and private (signed, so that requests get past
authentication), gets requests whose parameters (and path parameters) are replaced by junk
drawn by hypothesis: huge and tiny numbers, NaN, infinities, negative zero, unicode digits,
long strings, and in JSON bodies nulls, booleans, lists and objects. Every answer must be a
Kraken-shaped success or error (never an HTTP 500, never the exchange's internal-error
answer, which would mean that a handler failed), and the server stays healthy. The
WebSocket methods (Spot v2 public and authenticated, Futures v1) get the same junk: every
request gets an answer and the connection stays open.

The example budget is fixed (``derandomize=True``), so the module takes about a minute on
two cores. ``benchmarks/bench_junk_params.py`` sends every listed junk value to every
parameter one at a time and prints the counts.
"""

from __future__ import annotations

import itertools
import json
import tempfile
import time
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from junk_catalogue import (ENDPOINTS, JUNK_JSON, JUNK_TEXT, MAX_URL, NOT_A_SEGMENT, Endpoint, World, classify,
                            classify_ws_futures, classify_ws_spot, exchange_server, healthy, url_length, ws_dumps,
                            ws_futures_requests, ws_level3_requests, ws_spot_requests)

REST_EXAMPLES = 60
WS_EXAMPLES = 40
FUZZ = settings(max_examples=REST_EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])

def _weighted(*choices: tuple[int, Any]) -> Any:
    """One of the strategies, chosen with the given weights."""
    table = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.integers(0, len(table) - 1).flatmap(lambda i: table[i])


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=24)
#: what a query string or form body can carry: mostly the catalogue's junk, then generated text
junk_text = _weighted(
    (5, st.sampled_from(JUNK_TEXT)), (1, _text),
    (1, st.decimals(allow_nan=True, allow_infinity=True).map(str)),
    (1, st.one_of(st.integers().map(str), st.floats().map(repr))),
    (1, st.sampled_from(["1e", "9", "-", "0."]).flatmap(lambda p: st.integers(0, 500).map(lambda n: f"{p}{n}"))),
)
#: what a JSON body can carry besides
junk_json = _weighted(
    (4, junk_text), (2, st.sampled_from(JUNK_JSON)),
    (1, st.one_of(st.integers(), st.floats(), st.booleans(), st.none())),
    (1, st.one_of(st.lists(st.one_of(st.integers(), _text, st.none()), max_size=3),
                  st.dictionaries(_text, st.one_of(st.integers(), _text), max_size=2))),
)
_req_ids = itertools.count(1000)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with tempfile.TemporaryDirectory(prefix="kraken-fuzz-") as tmp:
        server = exchange_server(tmp, seed=3)
        try:
            yield World(server)
        finally:
            server.stop()


def _junk_request(data: Any, ep: Endpoint, world: World) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """The baseline request of ``ep`` with some parameters replaced by junk (or left out)."""
    json_body = ep.json_body and data.draw(st.booleans(), label="json body")
    params = {k: world.fill(v) for k, v in ep.params.items()}
    path_params = {k: world.fill(v) for k, v in ep.path_params.items()}
    names = ep.fuzzable
    if names:  # mostly one junk parameter, so that the others lead the request deep into the endpoint
        count = min(len(names), data.draw(st.sampled_from([1, 1, 1, 2, 3]), label="how many"))
        chosen = data.draw(st.lists(st.sampled_from(names), min_size=count, max_size=count, unique=True),
                           label="junk parameters")
        for name in chosen:
            if data.draw(st.integers(0, 9), label="leave out") == 0:
                params.pop(name, None)
            else:
                params[name] = data.draw(junk_json if json_body else junk_text, label=name)
    for name in path_params:
        if not names or data.draw(st.booleans(), label=f"junk {name}"):
            path_params[name] = data.draw(junk_text.filter(lambda v: v not in NOT_A_SEGMENT), label=name)
    return params, path_params, json_body


@pytest.mark.parametrize("ep", ENDPOINTS, ids=[f"{e.api}:{e.name}" for e in ENDPOINTS])
@FUZZ
@given(data=st.data())
def test_junk_parameters_get_a_kraken_error_never_a_500(world: World, ep: Endpoint, data: Any) -> None:
    world.ensure()
    params, path_params, json_body = _junk_request(data, ep, world)
    assume(url_length(ep, params, path_params) < MAX_URL)  # longer URLs end in the HTTP layer (see MAX_URL)
    before = world.ctx.internal_error_count
    resp = world.send(ep, params, path_params, json_body=json_body)
    verdict = classify(ep, resp)
    assert verdict in ("ok", "error"), f"{verdict}: {resp.status_code} {resp.text[:300]}"
    assert world.ctx.internal_error_count == before, list(world.ctx.internal_errors)[-1]


# ------------------------------------------------------------------ WebSocket
def _connect(world: World, path: str) -> Any:
    from websockets.sync.client import connect

    return connect(world.url.replace("http", "ws") + path, open_timeout=10, max_size=None)


@pytest.fixture(scope="module")
def spot_ws(world: World) -> Iterator[dict[str, Any]]:
    token = world.spot("GetWebSocketsToken", {}).json()["result"]["token"]
    with _connect(world, "/ws/v2") as public, _connect(world, "/ws-auth/v2") as private, \
            _connect(world, "/ws-l3/v2") as level3:
        for ws in (public, private, level3):
            json.loads(ws.recv(timeout=10))  # status
        yield {"token": token, "/ws/v2": public, "/ws-auth/v2": private, "/ws-l3/v2": level3}


def _spot_answer(ws: Any, req_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while True:
        left = deadline - time.monotonic()
        assert left > 0, "no answer"
        msg = json.loads(ws.recv(timeout=left))  # raises ConnectionClosed if the server dropped us
        if isinstance(msg, dict) and msg.get("req_id") == req_id and "success" in msg:
            return msg


_SPOT_WS = ([("/ws/v2", r) for r in ws_spot_requests(None)] + [("/ws-auth/v2", r) for r in ws_spot_requests("@token")]
            + [("/ws-l3/v2", r) for r in ws_level3_requests("@token")])


@pytest.mark.parametrize("path,req", _SPOT_WS, ids=[f"{p}:{r['method']}:{i}" for i, (p, r) in enumerate(_SPOT_WS)])
@settings(FUZZ, max_examples=WS_EXAMPLES)
@given(data=st.data())
def test_spot_websocket_answers_junk_and_stays_open(world: World, spot_ws: dict[str, Any], path: str,
                                                    req: dict[str, Any], data: Any) -> None:
    world.ensure()
    params = {k: (spot_ws["token"] if v == "@token" else world.fill(v)) for k, v in req.get("params", {}).items()}
    if not params or data.draw(st.integers(0, 7), label="junk params object") == 0:
        params = data.draw(junk_json, label="params")
    else:
        for name in data.draw(st.lists(st.sampled_from(list(params)), min_size=1, max_size=3, unique=True)):
            params[name] = data.draw(junk_json, label=name)
    req_id = next(_req_ids)
    before = world.ctx.internal_error_count
    spot_ws[path].send(ws_dumps({"method": req["method"], "params": params, "req_id": req_id}))
    answer = _spot_answer(spot_ws[path], req_id)
    assert classify_ws_spot(answer) in ("ok", "error"), answer
    assert world.ctx.internal_error_count == before, list(world.ctx.internal_errors)[-1]


@pytest.fixture(scope="module")
def futures_ws(world: World) -> Iterator[tuple[Any, list[dict[str, Any]]]]:
    from kraken_ops.exchange.futures.auth import sign_challenge

    key, secret = world.acct.futures_key, world.acct.futures_secret
    with _connect(world, "/ws/v1") as ws:
        json.loads(ws.recv(timeout=10))  # info
        ws.send(json.dumps({"event": "challenge", "api_key": key}))
        challenge = None
        while challenge is None:
            m = json.loads(ws.recv(timeout=10))
            challenge = m.get("message") if m.get("event") == "challenge" else None
        yield ws, ws_futures_requests(key, challenge, sign_challenge(secret, challenge))


@pytest.mark.parametrize("index", range(len(ws_futures_requests("k", "c", "s"))))
@settings(FUZZ, max_examples=WS_EXAMPLES)
@given(data=st.data())
def test_futures_websocket_answers_junk_and_stays_open(world: World, futures_ws: Any, index: int, data: Any) -> None:
    ws, requests = futures_ws
    req = dict(requests[index])
    fields = [k for k in req if k != "event"]
    for name in data.draw(st.lists(st.sampled_from(fields or ["event"]), min_size=1, max_size=3, unique=True)):
        req[name] = data.draw(junk_json, label=name)
    before = world.ctx.internal_error_count
    ws.send(ws_dumps(req))
    deadline = time.monotonic() + 10
    while True:
        left = deadline - time.monotonic()
        assert left > 0, "no answer"
        verdict = classify_ws_futures(req, json.loads(ws.recv(timeout=left)))
        if verdict is not None:
            break
    assert verdict in ("ok", "error"), verdict
    assert world.ctx.internal_error_count == before, list(world.ctx.internal_errors)[-1]


def test_the_catalogue_covers_every_route(world: World) -> None:
    """A new endpoint must be listed in junk_catalogue.py, or it would escape the junk."""
    from kraken_ops.exchange.rest_spot import PRIVATE, PUBLIC

    listed = {(e.http, e.path.rstrip("/")) for e in ENDPOINTS}
    assert {("GET", f"/0/public/{m}") for m in PUBLIC} | {("POST", f"/0/private/{m}") for m in PRIVATE} <= listed
    ws_routes = {"/ws/v2", "/v2", "/ws-auth/v2", "/ws-l3/v2", "/ws/v1"}
    served = {(r.method, r.resource.canonical.rstrip("/")) for r in world.server.runner.app.router.routes()
              if r.resource is not None and not r.resource.canonical.startswith("/0/")
              and r.resource.canonical not in ws_routes and r.method != "HEAD"}
    assert served - listed == set()


def test_the_server_is_healthy_after_the_junk(world: World) -> None:
    """Last in the module: public and private requests still answer, the market still moves."""
    assert healthy(world) == []
    assert world.ctx.internal_error_count == 0
