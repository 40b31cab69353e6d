"""Signature verification, written independently of the client SDK.

- Spot REST (kraken-protocol.md §1.3): ``API-Sign = base64(HMAC-SHA512(b64decode(secret),
  path + SHA256(nonce + body)))`` over the raw body as received.
- Futures REST (§3.2): ``Authent = base64(HMAC-SHA512(b64decode(secret),
  SHA256(postData + nonce + endpointPath)))``.
- Futures WS challenge (§5): ``base64(HMAC-SHA512(b64decode(secret), SHA256(challenge)))``.
- Spot 2FA: the ``otp`` body parameter of a key that requires one, a static password
  or a TOTP code (RFC 6238: HMAC-SHA1, 30 s, 6 digits; the current step and one step
  either side are accepted). Kraken Futures keys have no 2FA. Written apart from the
  client's ``_core/otp.py`` for the same reason as the signatures.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct


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


# --- two-factor authentication (Spot keys) -------------------------------------------------------

#: What Kraken answers when a key that requires an otp gets none, a wrong one, or one it
#: does not require. Kraken's support article on API-key 2FA says a client that does not
#: send the otp gets ``EAPI:Invalid signature``; a wrong or unexpected otp giving the same
#: string is our best guess (third-party reports also mention ``EGeneral:Permission
#: denied``). See docs/exchange.md, "Keys with two-factor authentication".
OTP_ERROR = "EAPI:Invalid signature"

OTP_KINDS = ("password", "totp")
TOTP_PERIOD = 30
TOTP_DIGITS = 6
TOTP_WINDOW = 1  # steps accepted either side of the current one (clock drift, a code typed late)


def new_totp_seed() -> str:
    """A random 160-bit TOTP seed in base32 (RFC 4226 recommends 160 bits), as authenticator apps take it."""
    return base64.b32encode(secrets.token_bytes(20)).decode()


def _seed_bytes(seed: str) -> bytes:
    text = "".join(seed.split()).upper().rstrip("=")
    return base64.b32decode(text + "=" * (-len(text) % 8))


def totp_code(seed: str, at: float, step_offset: int = 0) -> str:
    """The 6-digit TOTP code of the base32 ``seed`` at Unix time ``at`` (shifted by ``step_offset`` steps)."""
    counter = int(at // TOTP_PERIOD) + step_offset
    mac = hmac.new(_seed_bytes(seed), struct.pack(">Q", counter), hashlib.sha1).digest()
    start = mac[-1] & 0x0F
    number = int.from_bytes(mac[start:start + 4], "big") & 0x7FFFFFFF
    return f"{number % 10 ** TOTP_DIGITS:0{TOTP_DIGITS}d}"


def hash_password(password: str, salt: str | None = None) -> str:
    """``sha256$SALT$HEX``: how the exchange keeps a static 2FA password (never in plain text)."""
    salt = salt or secrets.token_hex(16)
    return f"sha256${salt}${hashlib.sha256((salt + password).encode()).hexdigest()}"


def otp_accepted(kind: str | None, stored: str | None, given: object, now: float) -> bool:
    """Whether the ``otp`` parameter ``given`` opens a key whose 2FA is ``kind`` (None: no 2FA).

    A key without 2FA accepts no ``otp`` at all; a password key compares the salted
    hash; a TOTP key accepts the code of the current 30-second step and of one step
    either side. A TOTP code may be used more than once within its window: every
    request is already single-use through its nonce (docs/exchange.md).
    """
    if kind is None:
        return given is None
    if isinstance(given, int) and not isinstance(given, bool):  # a JSON body may carry the code as a number
        given = str(given)
    if not isinstance(given, str) or not given or stored is None:
        return False
    if kind == "password":
        _, salt, _digest = stored.split("$", 2)
        return hmac.compare_digest(hash_password(given, salt).encode(), stored.encode())
    if kind == "totp":
        if not (len(given) == TOTP_DIGITS and given.isascii() and given.isdigit()):
            return False
        steps = [k for k in range(-TOTP_WINDOW, TOTP_WINDOW + 1) if now // TOTP_PERIOD + k >= 0]
        codes = [totp_code(stored, now, k) for k in steps]
        return any(hmac.compare_digest(code.encode(), given.encode()) for code in codes)
    return False
