"""Request signatures for Kraken Spot REST, Futures REST and the Futures WebSocket.

The algorithms are Kraken's (kraken-protocol.md §1.3, §3.2, §5) and are tested
against the official vectors of kraken-protocol.md §6.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def _secret_bytes(secret: str | bytes) -> bytes:
    raw = secret.encode() if isinstance(secret, str) else secret
    try:
        return base64.b64decode(raw, validate=True)
    except Exception:  # noqa: BLE001 - never echo the secret itself
        from kraken_ops.exceptions import KrakenConfigError

        raise KrakenConfigError("the API secret is not valid base64") from None


def sign_spot(secret: str | bytes, uri_path: str, nonce: str | int, body: str | bytes) -> str:
    """Return the ``API-Sign`` header for a Spot private request.

    ``body`` is the exact request body (form or JSON) that will be sent; it already
    contains the nonce. ``uri_path`` is the path only, e.g. ``/0/private/Balance``.

    >>> sign_spot("kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==",
    ...           "/0/private/AddOrder", "1616492376594",
    ...           "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25")[:12]
    '4/dpxb3iT4tp'
    """
    body_b = body.encode() if isinstance(body, str) else body
    inner = hashlib.sha256(str(nonce).encode() + body_b).digest()
    mac = hmac.new(_secret_bytes(secret), uri_path.encode() + inner, hashlib.sha512)
    return base64.b64encode(mac.digest()).decode()


def futures_endpoint_path(path: str) -> str:
    """The path Kraken Futures signs: the URL path without the ``/derivatives`` prefix."""
    return path[len("/derivatives") :] if path.startswith("/derivatives") else path


def sign_futures(secret: str | bytes, endpoint: str, nonce: str | int, post_data: str) -> str:
    """Return the ``Authent`` header for a Futures private request.

    ``post_data`` is the url-encoded query string followed by the url-encoded body,
    exactly as sent; ``endpoint`` may carry the ``/derivatives`` prefix, which is
    stripped before signing.
    """
    digest = hashlib.sha256((post_data + str(nonce) + futures_endpoint_path(endpoint)).encode()).digest()
    mac = hmac.new(_secret_bytes(secret), digest, hashlib.sha512)
    return base64.b64encode(mac.digest()).decode()


def sign_challenge(secret: str | bytes, challenge: str) -> str:
    """Return the signed challenge for the Futures WebSocket (kraken-protocol.md §5)."""
    digest = hashlib.sha256(challenge.encode()).digest()
    mac = hmac.new(_secret_bytes(secret), digest, hashlib.sha512)
    return base64.b64encode(mac.digest()).decode()
