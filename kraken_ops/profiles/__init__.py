"""Profiles: named Kraken accounts, their secrets, and a nonce store shared by processes.

One profile is one Kraken account. It holds the *public* keys of that account
(``spot_key``, ``futures_key``, either or both), where to reach it (``environment``:
production, sandbox, paper or custom ``url``) and how to treat it (``read_only``,
``confirm``, ``tier``, ``nonce_window``). Secrets live in the OS keyring (or come
from a ``secret_command`` or the environment), never in the config file. See
``docs/profiles.md``.

>>> from kraken_ops.spot import User                       # doctest: +SKIP
>>> User.from_profile("bot1").get_account_balance()          # doctest: +SKIP

Choosing a profile: an explicit name, else ``$KRAKEN_OPS_PROFILE``, else the
config's ``default``.
"""

from __future__ import annotations

import os
from typing import Any

from kraken_ops.profiles.config import (
    ENVIRONMENTS,
    MARKETS,
    PAPER_URL,
    PRODUCTION_URLS,
    SANDBOX_URLS,
    TIERS,
    Config,
    Profile,
    config_path,
    read_config,
    state_dir,
)
from kraken_ops.profiles.errors import ConfigFileError, ProfileError, SecretStoreError

PROFILE_ENV = "KRAKEN_OPS_PROFILE"


def load_config() -> Config:
    """Read the config file (``$KRAKEN_OPS_CONFIG`` or the user config dir)."""
    return read_config(config_path())


def resolve_name(name: str | None = None, config: Config | None = None) -> str | None:
    """The profile to use: ``name``, else ``$KRAKEN_OPS_PROFILE``, else the default (or None)."""
    if name:
        return name
    env = os.environ.get(PROFILE_ENV, "").strip()
    if env:
        return env
    config = config if config is not None else load_config()
    return config.default


def get_profile(name: str | None = None) -> Profile:
    """The profile ``name`` (or the one chosen by ``$KRAKEN_OPS_PROFILE`` or the default).

    Raises :class:`ProfileError` for an unknown name (listing the known ones) or when
    no profile is chosen at all.
    """
    config = load_config()
    chosen = resolve_name(name, config)
    if chosen is None:
        known = ", ".join(config.names())
        raise ProfileError(
            "no profile chosen: pass --profile NAME, set KRAKEN_OPS_PROFILE, or set a default with "
            "`kraken-ops profile default NAME`" + (f"; known profiles: {known}" if known else "; add one with `kraken-ops profile add NAME`")
        )
    return config.get(chosen)


load = get_profile  # ``kraken_ops.profiles.load("bot1")``


def default_profile() -> Profile | None:
    """The profile chosen without a name ($KRAKEN_OPS_PROFILE, then the default), or None."""
    config = load_config()
    chosen = resolve_name(None, config)
    return config.get(chosen) if chosen else None


def nonce_source(profile: Profile, market: str, key: str) -> Any:
    """The cross-process nonce store for ``key`` used with ``profile``'s nonce window."""
    from kraken_ops.profiles.nonce_store import store_for

    return store_for(market, key, nonce_window=profile.nonce_window)


def rate_limiter(profile: Profile, market: str, key: str) -> Any:
    """The cross-process rate-limit counter of ``key`` sized by ``profile``'s tier."""
    from kraken_ops.profiles.rate_store import shared_counter_for

    return shared_counter_for(market, key, profile.tier or "starter")


def client_kwargs(name: str | None = None, market: str = "spot", *, public: bool = False) -> dict[str, Any]:
    """Constructor arguments for an SDK client of ``market`` built from a profile.

    Returns ``key``, ``secret``, ``url`` (Kraken's for production, the Futures demo
    URL for sandbox, the profile's for paper and custom), ``nonce_source`` (the
    cross-process :class:`~kraken_ops.profiles.nonce_store.NonceStore`), ``tier``,
    ``rate_limiter`` (the cross-process
    :class:`~kraken_ops.profiles.rate_store.SharedCallCounter` of the key, so that all
    processes on one key wait instead of tripping Kraken's limit together) and, for a
    Futures sandbox profile, ``sandbox=True``. A spot profile whose key requires 2FA
    (``otp``) also gets ``otp``: its password, a :class:`~kraken_ops._core.otp.TOTP`
    computing codes from its seed, or the code typed at a prompt (see :mod:`.otp`).

    With no profile chosen and no config, ``KRAKEN_OPS_API_KEY`` and
    ``KRAKEN_OPS_SECRET_KEY`` alone give a production client (for CI).

    ``public=True`` is for clients that only call public endpoints (market data): the
    profile chooses the URL, and no key or secret is looked up — a profile without a key
    for ``market`` works, and the keyring is never touched.
    """
    from kraken_ops.profiles import secrets

    if market not in MARKETS:
        raise ProfileError(f"unknown market {market!r}; choose one of {', '.join(MARKETS)}")
    config = load_config()
    chosen = resolve_name(name, config)
    if chosen is None:
        env = secrets.environment_credentials()
        if env is not None:
            profile = Profile(name="environment")
            return _kwargs(profile, market, env[0], env[1])
    profile = get_profile(chosen) if chosen is None else config.get(chosen)
    url = profile.url_for(market)  # raises for a Spot sandbox before any secret is read
    if not public and config.id is None and profile.secret_command is None and profile.secret_file is None:
        from kraken_ops.profiles.namespace import upgrade

        config = upgrade(config.path)  # first use of an old config file: give it an id (see namespace.py)
        profile = config.get(profile.name)
    if public:
        kwargs: dict[str, Any] = {"key": "", "secret": "", "url": url, "tier": profile.tier or "starter"}
        if market == "futures" and profile.environment == "sandbox":
            kwargs["sandbox"] = True
        return kwargs
    credentials = secrets.resolve(profile, market)
    kwargs = _kwargs(profile, market, credentials.key, credentials.secret)
    kwargs["url"] = url
    if market == "spot" and profile.otp is not None:  # the spot key requires 2FA (Futures keys have none)
        from kraken_ops.profiles.otp import client_otp

        kwargs["otp"] = client_otp(profile)
    return kwargs


def _kwargs(profile: Profile, market: str, key: str, secret: str) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "key": key,
        "secret": secret,
        "url": profile.url_for(market),
        "nonce_source": nonce_source(profile, market, key),
        "tier": profile.tier or "starter",
        "rate_limiter": rate_limiter(profile, market, key),
        "profile": profile.name,  # named in messages (rate-limit waits, checks after a lost answer)
    }
    if market == "futures" and profile.environment == "sandbox":
        kwargs["sandbox"] = True
    return kwargs


def store_paper_profile(
    name: str,
    url: str | None,
    spot_key: str | None = None,
    spot_secret: str | None = None,
    futures_key: str | None = None,
    futures_secret: str | None = None,
    **options: Any,
) -> Profile:
    """Save a paper (local exchange) profile and both secrets in the keyring.

    Used by ``kraken-ops exchange account add --profile NAME``. An existing profile of
    that name is refused unless ``replace=True`` (and a profile of another environment
    is never replaced). With no keyring backend and ``secret_dir`` (the exchange's
    state dir), the secrets go to that dir's 0600 ``profile-secrets.json``.
    Options: ``tier``, ``nonce_window``, ``description``, ``replace``, ``secret_dir``.
    """
    from kraken_ops.profiles.manage import store_paper_profile as _store

    return _store(name, url, spot_key, spot_secret, futures_key, futures_secret, **options)


__all__ = [
    "Config",
    "Profile",
    "ProfileError",
    "ConfigFileError",
    "SecretStoreError",
    "load_config",
    "get_profile",
    "load",
    "default_profile",
    "resolve_name",
    "client_kwargs",
    "store_paper_profile",
    "nonce_source",
    "rate_limiter",
    "config_path",
    "state_dir",
    "ENVIRONMENTS",
    "MARKETS",
    "TIERS",
    "PAPER_URL",
    "PRODUCTION_URLS",
    "SANDBOX_URLS",
    "PROFILE_ENV",
]
