"""Exceptions of the profiles layer.

Every message is one line that says what failed and what to do. No message ever
contains a secret: callers pass names, paths and exception *types*, never values
read from the keyring, a secret command or the environment.
"""

from __future__ import annotations

from kraken_ops.exceptions import KrakenConfigError


class ProfileError(KrakenConfigError):
    """A profile is unknown, incomplete or invalid, or its secret cannot be read."""


class ConfigFileError(ProfileError):
    """The config file cannot be read (syntax, invalid value) or written."""


class SecretStoreError(ProfileError):
    """The keyring (or a secret command) cannot store or return a secret."""


class NoKeyringError(SecretStoreError):
    """No usable keyring backend exists (a headless machine without Secret Service)."""


__all__ = ["ProfileError", "ConfigFileError", "SecretStoreError", "NoKeyringError"]
