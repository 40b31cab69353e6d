"""Signature verification, written independently of the client SDK.

- Spot REST (kraken-protocol.md §1.3): ``API-Sign = base64(HMAC-SHA512(b64decode(secret),
  path + SHA256(nonce + body)))`` over the raw body as received.
- Futures REST (§3.2): ``Authent = base64(HMAC-SHA512(b64decode(secret),
  SHA256(postData + nonce + endpointPath)))``.
- Futures WS challenge (§5): ``base64(HMAC-SHA512(b64decode(secret), SHA256(challenge)))``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac


def _key(secret: str) -> bytes | None:
    try:
        return base64.b64decode(secret, validate=False)
    except (binascii.Error, ValueError):
        return None


def spot_signature(secret: str, path: str, nonce: str, body: bytes) -> str:
    """Compute the Spot ``API-Sign`` for ``path`` and the raw ``body``."""
    key = _key(secret) or b""
    inner = hashlib.sha256(nonce.encode() + body).digest()
    return base64.b64encode(hmac.new(key, path.encode() + inner, hashlib.sha512).digest()).decode()


def verify_spot(secret: str, path: str, nonce: str, body: bytes, signature: str) -> bool:
    """True if ``signature`` is the API-Sign of this request."""
    expected = spot_signature(secret, path, nonce, body)
    return hmac.compare_digest(expected.encode(), (signature or "").strip().encode())


def futures_signature(secret: str, post_data: str, nonce: str, endpoint_path: str) -> str:
    """Compute the Futures ``Authent``; ``endpoint_path`` without the ``/derivatives`` prefix."""
    key = _key(secret) or b""
    if endpoint_path.startswith("/derivatives"):
        endpoint_path = endpoint_path[len("/derivatives"):]
    digest = hashlib.sha256((post_data + nonce + endpoint_path).encode()).digest()
    return base64.b64encode(hmac.new(key, digest, hashlib.sha512).digest()).decode()


def verify_futures(secret: str, post_data: str, nonce: str, endpoint_path: str, authent: str) -> bool:
    expected = futures_signature(secret, post_data, nonce, endpoint_path)
    return hmac.compare_digest(expected.encode(), (authent or "").strip().encode())


def sign_challenge(secret: str, challenge: str) -> str:
    """The signed challenge of the Futures WebSocket."""
    key = _key(secret) or b""
    digest = hashlib.sha256(challenge.encode()).digest()
    return base64.b64encode(hmac.new(key, digest, hashlib.sha512).digest()).decode()


def verify_challenge(secret: str, challenge: str, signed: str) -> bool:
    return hmac.compare_digest(sign_challenge(secret, challenge).encode(), (signed or "").strip().encode())
