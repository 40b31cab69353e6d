"""A tiny signed client for the exchange tests (its own signing via kraken_ops.exchange.auth)."""

from __future__ import annotations

import itertools
import json
import threading
import time
from typing import Any
from urllib.parse import urlencode

import requests

from kraken_ops.exchange.auth import spot_signature

_lock = threading.Lock()
_last = [0]


def next_nonce() -> int:
    with _lock:
        n = max(time.time_ns() // 10, _last[0] + 1)
        _last[0] = n
        return n


class Spot:
    """Signed Spot REST calls for one account."""

    def __init__(self, url: str, account: Any = None) -> None:
        self.url = url
        self.account = account
        self.session = requests.Session()

    def public(self, method: str, http: str = "GET", **params: Any) -> dict[str, Any]:
        if http == "GET":
            r = self.session.get(f"{self.url}/0/public/{method}", params=params, timeout=10)
        else:
            r = self.session.post(f"{self.url}/0/public/{method}", data=params, timeout=10)
        assert r.status_code == 200, r.text
        return r.json()

    def raw(self, method: str, params: dict[str, Any] | None = None, *, json_body: bool = False,
            nonce: int | None = None, secret: str | None = None, key: str | None = None) -> requests.Response:
        params = dict(params or {})
        params["nonce"] = str(nonce if nonce is not None else next_nonce()) if json_body else (
            nonce if nonce is not None else next_nonce())
        body = json.dumps(params) if json_body else urlencode(params)
        path = f"/0/private/{method}"
        sig = spot_signature(secret or self.account.spot_secret, path, str(params["nonce"]), body.encode())
        headers = {"API-Key": key if key is not None else self.account.spot_key, "API-Sign": sig,
                   "Content-Type": "application/json" if json_body else "application/x-www-form-urlencoded"}
        return self.session.post(self.url + path, data=body.encode(), headers=headers, timeout=10)

    def private(self, method: str, params: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        r = self.raw(method, params, **kw)
        assert r.status_code == 200, r.text
        return r.json()

    def ok(self, method: str, params: dict[str, Any] | None = None, **kw: Any) -> Any:
        data = self.private(method, params, **kw)
        assert data["error"] == [], data
        return data["result"]

    def error(self, method: str, params: dict[str, Any] | None = None, **kw: Any) -> list[str]:
        data = self.private(method, params, **kw)
        assert data["error"], data
        return data["error"]


_ids = itertools.count(1)


def name(prefix: str = "t") -> str:
    return f"{prefix}{next(_ids)}_{time.time_ns() % 10**8}"
