"""Independent verification of Kraken Futures credentials (kraken-protocol.md §3.2, §5).

Deliberately self-contained: the exchange must not share signing code with the client SDK,
so that a bug in one cannot hide a bug in the other.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections import deque
from typing import Any
from urllib.parse import unquote, unquote_plus


def authent(secret_b64: str, post_data: str, nonce: str, endpoint_path: str) -> str:
    """Authent = base64(HMAC-SHA512(base64decode(secret), SHA256(postData + nonce + endpointPath)))."""
    digest = hashlib.sha256((post_data + nonce + endpoint_path).encode("utf-8")).digest()
    mac = hmac.new(base64.b64decode(secret_b64), digest, hashlib.sha512)
    return base64.b64encode(mac.digest()).decode("ascii")


def sign_challenge(secret_b64: str, challenge: str) -> str:
    """Signed WebSocket challenge: base64(HMAC-SHA512(base64decode(secret), SHA256(challenge)))."""
    digest = hashlib.sha256(challenge.encode("utf-8")).digest()
    mac = hmac.new(base64.b64decode(secret_b64), digest, hashlib.sha512)
    return base64.b64encode(mac.digest()).decode("ascii")


def endpoint_path(path: str) -> str:
    """The path that is signed: the URL path without the ``/derivatives`` prefix."""
    return path[len("/derivatives"):] if path.startswith("/derivatives") else path


def post_data_candidates(raw_query: str, raw_body: str) -> list[str]:
    """The postData forms Kraken accepts: as sent (url-encoded) and the legacy decoded form."""
    raw = raw_query + raw_body
    out = [raw]
    for form in (unquote(raw), unquote_plus(raw)):
        if form not in out:
            out.append(form)
    return out


def verify_authent(secret_b64: str, given: str, raw_query: str, raw_body: str, nonce: str, path: str) -> bool:
    """True when ``given`` is a valid Authent for any accepted postData form and path form."""
    if not given:
        return False
    paths = [endpoint_path(path)]
    if path not in paths:
        paths.append(path)
    try:
        for p in paths:
            for data in post_data_candidates(raw_query, raw_body):
                if hmac.compare_digest(authent(secret_b64, data, nonce, p).encode(), given.encode()):
                    return True
    except (binascii.Error, ValueError):
        return False
    return False


def verify_challenge(secret_b64: str, challenge: str, signed: str) -> bool:
    try:
        return bool(signed) and hmac.compare_digest(sign_challenge(secret_b64, challenge).encode(),
                                                    str(signed).encode())
    except (binascii.Error, ValueError):
        return False


class NonceBook:
    """Distinguishes ``nonceDuplicate`` from ``nonceBelowThreshold`` after the shared check fails."""

    def __init__(self, keep: int = 2048) -> None:
        self._seen: dict[str, deque[int]] = {}
        self._keep = keep

    def remember(self, key: str, nonce: int) -> None:
        self._seen.setdefault(key, deque(maxlen=self._keep)).append(nonce)

    def is_duplicate(self, key: str, nonce: int, last: int | None) -> bool:
        return nonce == last or nonce in self._seen.get(key, ())


class TokenBucket:
    """Kraken Futures' cost budget: ``capacity`` units refilled evenly over ``period`` seconds."""

    def __init__(self, capacity: float, period: float) -> None:
        self.capacity = capacity
        self.rate = capacity / period
        self._state: dict[str, tuple[float, float]] = {}

    def take(self, key: str, cost: float, now: float) -> bool:
        level, last = self._state.get(key, (self.capacity, now))
        level = min(self.capacity, level + max(0.0, now - last) * self.rate)
        if cost > level:
            self._state[key] = (level, now)
            return False
        self._state[key] = (level - cost, now)
        return True

    def reset(self) -> None:
        self._state.clear()


# Cost of each private /derivatives endpoint (DOC-frl); anything not listed costs DEFAULT_COST.
ENDPOINT_COSTS: dict[str, int] = {
    "sendorder": 10,
    "editorder": 10,
    "cancelorder": 10,
    "cancelallorders": 25,
    "cancelallordersafter": 25,
    "withdrawal": 100,
    "accounts": 2,
    "openpositions": 2,
    "openorders": 2,
    "fills": 2,
    "orders/status": 1,
    "unwindqueue": 2,
    "transfer": 10,
    "transfer/subaccount": 10,
}
DEFAULT_COST = 1


def endpoint_cost(name: str, params: Any = None, batch_size: int = 0) -> int:
    if name == "batchorder":
        return 9 + batch_size
    if name == "fills" and params is not None and params.get("lastFillTime"):
        return 25
    return ENDPOINT_COSTS.get(name, DEFAULT_COST)
