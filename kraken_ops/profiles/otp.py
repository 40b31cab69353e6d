"""The otp of a profile whose Spot key requires two-factor authentication (2FA).

A profile declares how its spot key gives the ``otp`` Kraken wants on every private call:

``otp = "password"``
    a static password, stored beside the secret (keyring entry
    ``<config id>/<profile>:spot-otp``, the paper secrets file, or ``secret_command``
    run with ``{market}`` = ``spot-otp``) and sent as it is;
``otp = "totp"``
    the TOTP seed of the key (what Kraken shows as the setup key of the authenticator
    app), stored the same way; the client computes the current code for each request
    (RFC 6238, :class:`kraken_ops._core.otp.TOTP`);
``otp = "prompt"``
    nothing stored: the code (or password) is asked on the terminal with hidden input,
    once per command (:func:`kraken_ops._core.otp.prompt_scope`); without a terminal
    it is a :class:`ProfileError` (exit code 3 in the CLI).

Kraken Futures keys have no 2FA, so only spot clients get an otp. The value is never
logged, never put in a message, never written to the config file.
"""

from __future__ import annotations

import sys
from typing import Any, Callable

from kraken_ops._core.otp import TOTP, OtpSource, decode_seed, prompted
from kraken_ops.profiles.config import OTP_TYPES, Profile
from kraken_ops.profiles.errors import ProfileError


def _has_terminal() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _read_hidden(text: str) -> str:
    import getpass

    return getpass.getpass(text, stream=sys.stderr)


#: How a question is asked (tests replace these two).
has_terminal: Callable[[], bool] = _has_terminal
read_hidden: Callable[[str], str] = _read_hidden


def ask(profile: Profile) -> str:
    """Ask for the otp of ``profile`` on the terminal (hidden input); once per :func:`prompt_scope`."""
    memo = prompted()
    slot = (profile.namespace, profile.name)
    if memo is not None and slot in memo:
        return memo[slot]
    if not has_terminal():
        raise ProfileError(
            f"profile {profile.name!r} asks for its 2FA code on each command (otp = \"prompt\"), but there is no terminal to ask on: "
            f"run the command in a terminal, or store the password or TOTP seed with `kraken-ops profile add {profile.name} --otp password|totp --replace`"
        )
    try:
        value = read_hidden(f"2FA code (otp) of profile {profile.name}'s spot key: ").strip()
    except (EOFError, KeyboardInterrupt):
        raise ProfileError(f"no 2FA code given for profile {profile.name!r}") from None
    if not value:
        raise ProfileError(f"no 2FA code given for profile {profile.name!r}")
    if memo is not None:
        memo[slot] = value
    return value


def client_otp(profile: Profile) -> OtpSource | None:
    """What a spot client of ``profile`` sends as ``otp``: None, the password, a :class:`TOTP`, or the typed code."""
    from kraken_ops.profiles import secrets

    if profile.otp is None:
        return None
    if profile.otp == "prompt":
        return ask(profile)
    value = secrets.resolve_otp(profile)
    if profile.otp == "totp":
        try:
            return TOTP(value or "")
        except ValueError:
            raise ProfileError(
                f"the stored TOTP seed of profile {profile.name!r} is not base32: store it again with "
                f"`kraken-ops profile add {profile.name} --otp totp --replace`"
            ) from None
    return value


def check_value(kind: str, value: Any) -> str:
    """``value`` stripped if it is a usable password (``kind`` password) or base32 seed (``totp``), else ProfileError."""
    if kind not in OTP_TYPES or kind == "prompt":
        raise ProfileError(f"otp {kind!r} stores no value")
    text = str(value or "").strip()
    if not text:
        raise ProfileError("the 2FA password is empty" if kind == "password" else "the TOTP seed is empty")
    if kind == "totp":
        try:
            decode_seed(text)
        except ValueError as exc:
            raise ProfileError(str(exc)) from None
        text = "".join(text.split()).upper()
    return text


__all__ = ["ask", "client_otp", "check_value", "has_terminal", "read_hidden"]
