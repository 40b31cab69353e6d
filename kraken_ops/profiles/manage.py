"""Changing profiles: add, remove, rename, default, import, export.

Each operation changes the keyring and the config file together. Secrets are
written first and rolled back if the config file cannot be written; deletions of
secrets happen only after the config file was written. Either way a failure leaves
the config file as it was.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field, replace
from dataclasses import replace as replace_
from pathlib import Path
from typing import Any, Iterator

from kraken_ops.profiles import secrets
from kraken_ops.profiles.config import (
    ENVIRONMENTS,
    MARKETS,
    OTP_SLOT,
    OTP_TYPES,
    TIERS,
    Config,
    Profile,
    check_key,
    check_name,
    editing,
    parse_document,
    read_config,
)
from kraken_ops.profiles.errors import ConfigFileError, NoKeyringError, ProfileError


Store = str | None  # where a secret lives: None for the keyring, else the path of a paper secrets file


def read_secret(store: Store, profile: str, market: str, namespace: str | None) -> str | None:
    """The secret of ``profile``/``market`` in ``store`` (keyring or paper secrets file), or None."""
    if store is None:
        return secrets.keyring_get(profile, market, namespace)
    from kraken_ops.profiles import secret_file

    return secret_file.get(store, secrets.entry_name(profile, market, namespace))


def write_secret(store: Store, profile: str, market: str, secret: str | None, namespace: str | None) -> None:
    """Set (or, with None, delete) the secret of ``profile``/``market`` in ``store``."""
    if store is None:
        if secret is None:
            secrets.keyring_delete(profile, market, namespace)
        else:
            secrets.keyring_set(profile, market, secret, namespace)
        return
    from kraken_ops.profiles import secret_file

    secret_file.update(store, {secrets.entry_name(profile, market, namespace): secret})


class SecretTransaction:
    """Secret changes that can be undone: ``put`` now, ``delete_later`` on commit.

    Entries are named in ``namespace`` (the config file's id, set by :func:`transaction`).
    """

    def __init__(self, namespace: str | None = None) -> None:
        self.namespace = namespace
        self._undo: list[tuple[Store, str, str, str | None]] = []
        self._deletes: list[tuple[Store, str, str]] = []
        self.warnings: list[str] = []

    def get(self, profile: str, market: str, store: Store = None) -> str | None:
        return read_secret(store, profile, market, self.namespace)

    def put(self, profile: str, market: str, secret: str, store: Store = None) -> None:
        previous = read_secret(store, profile, market, self.namespace)
        write_secret(store, profile, market, secret, self.namespace)
        self._undo.append((store, profile, market, previous))

    def delete_later(self, profile: str, market: str, store: Store = None) -> None:
        self._deletes.append((store, profile, market))

    def rollback(self) -> None:
        for store, profile, market, previous in reversed(self._undo):
            with contextlib.suppress(Exception):
                write_secret(store, profile, market, previous, self.namespace)
        self._undo.clear()

    def commit(self) -> list[str]:
        """Run the deferred deletions; return a warning per entry that could not be deleted."""
        warnings = []
        for store, profile, market in self._deletes:
            try:
                write_secret(store, profile, market, None, self.namespace)
            except NoKeyringError:
                pass  # no keyring at all: nothing was stored in one
            except ProfileError as exc:
                where = "keyring entry" if store is None else f"entry in {store}:"
                warnings.append(f"could not delete {where} {secrets.entry_name(profile, market, self.namespace)}: {exc}")
        self._deletes.clear()
        self._undo.clear()
        self.warnings = warnings
        return warnings


@contextlib.contextmanager
def transaction(path: Path | None = None) -> Iterator[tuple[Config, SecretTransaction]]:
    """Edit the config and its secrets together; all or nothing."""
    tx = SecretTransaction()
    try:
        with editing(path) as config:
            tx.namespace = config.id
            yield config, tx
    except BaseException:
        tx.rollback()
        raise
    tx.commit()


@dataclass
class AddResult:
    profile: Profile
    created: bool
    became_default: bool
    shared_with: list[str] = field(default_factory=list)


def _check_choice(value: str | None, choices: tuple[str, ...], what: str) -> None:
    if value is not None and value not in choices:
        raise ProfileError(f"unknown {what} {value!r}; choose one of {', '.join(choices)}")


def add_profile(
    name: str,
    market: str = "spot",
    key: str | None = None,
    secret: str | None = None,
    *,
    environment: str | None = None,
    url: str | None = None,
    read_only: bool | None = None,
    confirm: bool | None = None,
    tier: str | None = None,
    nonce_window: int | None = None,
    description: str | None = None,
    secret_command: str | None = None,
    make_default: bool = False,
    allow_shared_key: bool = False,
    replace_key: bool = False,
    otp: str | None = None,
    otp_value: str | None = None,
    replace_otp: bool = False,
    path: Path | None = None,
) -> AddResult:
    """Create profile ``name`` or add a market key to it; store the secret in the keyring.

    Settings left as None keep their current value (or the default for a new profile).
    ``otp`` (``password``, ``totp``, ``prompt``, or ``none`` to drop it) says how the spot
    key gives its 2FA code; ``otp_value`` is the password or TOTP seed, stored beside the
    secret. An otp setting the profile already has is changed only with ``replace_otp``.
    """
    check_name(name)
    _check_choice(market, MARKETS, "market")
    _check_choice(environment, ENVIRONMENTS, "environment")
    _check_choice(tier, TIERS, "tier")
    _check_choice(otp, (*OTP_TYPES, "none"), "otp")
    if otp is not None and market != "spot":
        raise ProfileError("Kraken Futures API keys have no two-factor authentication: otp is for the spot key")
    if key is not None:
        key = check_key(key, f"{market} API key")
    with transaction(path) as (config, tx):
        existing = config.profiles.get(name)
        if otp is not None and existing is not None and existing.otp is not None and not replace_otp and otp != "none":
            raise ProfileError(f"profile {name!r} already requires an otp ({existing.otp}); pass --replace to change it")
        base = existing or Profile(name=name)
        changes: dict[str, Any] = {
            k: v
            for k, v in {
                "environment": environment,
                "url": url,
                "read_only": read_only,
                "confirm": confirm,
                "tier": tier,
                "nonce_window": nonce_window,
                "description": description,
                "secret_command": secret_command,
            }.items()
            if v is not None
        }
        if environment is not None and environment not in ("paper", "custom") and url is None:
            changes["url"] = None
        if otp is not None:
            changes["otp"] = None if otp == "none" else otp
        profile = replace(base, **changes)
        shared: list[str] = []
        if key is not None:
            current = profile.key(market)
            if current is not None and current != key and not replace_key:
                raise ProfileError(f"profile {name!r} already has a {market} key; pass --replace to change it")
            shared = [n for n in config.key_users(market, key) if n != name]
            if shared and not allow_shared_key:
                raise ProfileError(
                    f"this {market} key is already used by profile {', '.join(shared)}: use one API key per bot "
                    "(create another key at Kraken), or pass --allow-shared-key to share it (its requests then wait for each other)"
                )
            profile = profile.with_key(market, key)
        # Re-validate the whole profile exactly as the loader will.
        profile = Profile.from_table(name, profile.to_table(), where="")
        if key is not None and profile.secret_command is None:
            if secret is None:
                raise ProfileError(f"no {market} secret given for profile {name!r}")
            tx.put(name, market, secrets.validate_secret(secret, market), profile.secret_file)
        elif secret is not None and profile.secret_command is None and profile.key(market):
            tx.put(name, market, secrets.validate_secret(secret, market), profile.secret_file)
        if otp is not None:
            _store_otp(tx, existing, profile, otp_value)
        config.profiles[name] = profile
        became_default = False
        if make_default or config.default is None:
            became_default = config.default != name
            config.default = name
    return AddResult(profile, existing is None, became_default, shared)


def _store_otp(tx: SecretTransaction, existing: Profile | None, profile: Profile, value: str | None) -> None:
    """Store the otp value of ``profile`` (password or seed) beside its secret; drop the old one it no longer needs."""
    from kraken_ops.profiles.otp import check_value

    had = existing is not None and existing.stores_otp and existing.secret_command is None
    if profile.stores_otp and profile.secret_command is not None:
        if not secrets.command_names_market(profile):
            raise ProfileError(
                f"profile {profile.name!r} takes its secrets from secret_command, which has no {{market}}: it could not give the "
                f"{secrets.OTP_WHAT[profile.otp or '']} apart from the secret; add {{market}} to it (it becomes {OTP_SLOT}), or use --otp prompt"
            )
    elif profile.stores_otp:
        if value is None:
            raise ProfileError(f"no {secrets.OTP_WHAT[profile.otp or '']} given for profile {profile.name!r}")
        tx.put(profile.name, OTP_SLOT, check_value(profile.otp or "", value), profile.secret_file)
        if had and existing is not None and existing.secret_file != profile.secret_file:
            tx.delete_later(profile.name, OTP_SLOT, existing.secret_file)
        return
    if had and existing is not None:
        tx.delete_later(profile.name, OTP_SLOT, existing.secret_file)


def store_paper_profile(
    name: str,
    url: str | None,
    spot_key: str | None = None,
    spot_secret: str | None = None,
    futures_key: str | None = None,
    futures_secret: str | None = None,
    *,
    tier: str | None = None,
    nonce_window: int = 0,
    description: str | None = None,
    path: Path | None = None,
    replace: bool = False,
    secret_dir: Path | str | None = None,
    otp: tuple[str, str] | None = None,
) -> Profile:
    """Write an ``environment = "paper"`` profile and its secrets (for the local exchange).

    ``otp``: ``("password", PASSWORD)`` or ``("totp", SEED)`` when the account's spot key
    requires 2FA; the value is stored beside the secrets.

    An existing profile of that name is refused, unless ``replace=True`` and it is a
    paper profile (a profile of another environment is never replaced). Secrets go to
    the keyring; when no keyring backend exists and ``secret_dir`` (the exchange's
    state dir) is given, to its 0600 secrets file instead (the profile's
    ``secret_file``). Either way the profile and its secrets are stored together or
    not at all.
    """
    from kraken_ops.profiles import secret_file

    check_name(name)
    pairs = {"spot": (spot_key, spot_secret), "futures": (futures_key, futures_secret)}
    for market, (key, secret) in pairs.items():
        if (key is None) != (secret is None):
            raise ProfileError(f"paper profile {name!r}: give both the {market} key and secret, or neither")
    if spot_key is None and futures_key is None:
        raise ProfileError(f"paper profile {name!r}: no key given")
    store: Store = None
    if not secrets.keyring_available():
        if secret_dir is None:
            raise NoKeyringError(secrets.NO_BACKEND_HELP)
        store = str(secret_file.path_for(secret_dir))
    with transaction(path) as (config, tx):
        existing = config.profiles.get(name)
        if existing is not None and existing.environment != "paper":
            raise ProfileError(
                f"profile {name!r} already exists with environment {existing.environment!r}; "
                "choose another name or remove it first (`kraken-ops profile remove`)"
            )
        if existing is not None and not replace:
            raise ProfileError(
                f"profile {name!r} already exists (paper, {existing.url_for('spot')}); "
                "pass --replace (replace=True in Python) to point it at the new account, or choose another name"
            )
        table: dict[str, Any] = {"environment": "paper", "nonce_window": nonce_window}
        if url:
            table["url"] = url
        if tier:
            table["tier"] = tier
        if store is not None:
            table["secret_file"] = store
        if otp is not None:
            table["otp"] = otp[0]
        table["description"] = description if description is not None else (existing.description if existing else "local exchange account")
        for market, (key, _secret) in pairs.items():
            if key is not None:
                table[f"{market}_key"] = check_key(key, f"{market} API key")
        profile = Profile.from_table(name, table, where="")
        for market, (key, secret) in pairs.items():
            if key is not None and secret is not None:
                tx.put(name, market, secrets.validate_secret(secret, market), store)
        if otp is not None:
            from kraken_ops.profiles.otp import check_value

            tx.put(name, OTP_SLOT, check_value(otp[0], otp[1]), store)
        if existing is not None and existing.secret_command is None:
            for market in existing.markets:
                if existing.secret_file != store or pairs[market][0] is None:
                    tx.delete_later(name, market, existing.secret_file)  # the old account's secret no longer belongs here
            if existing.stores_otp and (existing.secret_file != store or otp is None):
                tx.delete_later(name, OTP_SLOT, existing.secret_file)
        config.profiles[name] = replace_(profile, namespace=config.id)
        if config.default is None:
            config.default = name
    return config.profiles[name]


def remove_profile(name: str, *, path: Path | None = None) -> list[str]:
    """Remove ``name`` and its own secrets (this config's namespace); return warnings.

    Old-style entries (from before config ids) are left alone, since another config
    file may still use them; a warning names each one and says how to delete it.
    """
    with transaction(path) as (config, tx):
        profile = config.get(name)
        del config.profiles[name]
        if config.default == name:
            config.default = None
        for market in (*MARKETS, OTP_SLOT):  # a secret_command profile may have entries from before, too
            tx.delete_later(name, market, profile.secret_file)
    warnings = list(tx.warnings)
    if config.id is not None and profile.secret_file is None:
        for market in MARKETS:
            try:
                old = secrets.keyring_get(name, market)
            except ProfileError:
                break
            if old is not None:
                entry = secrets.entry_name(name, market)
                warnings.append(
                    f"left the keyring entry {entry!r} in place: it was written before config files had ids and another config file "
                    f"may still use it; once none does, delete it with: python -m keyring del {secrets.service()} {entry}"
                )
    return warnings


def rename_profile(old: str, new: str, *, path: Path | None = None) -> list[str]:
    """Rename ``old`` to ``new``, moving its secrets (in this config's namespace); return warnings."""
    check_name(new)
    with transaction(path) as (config, tx):
        profile = config.get(old)
        if new in config.profiles:
            raise ProfileError(f"profile {new!r} already exists; remove it first or choose another name")
        store = profile.secret_file
        for market in (*MARKETS, OTP_SLOT):  # the otp password or seed moves with the secrets
            has = profile.stores_otp if market == OTP_SLOT else bool(profile.key(market))
            secret = tx.get(old, market, store) if has and profile.secret_command is None else None
            if secret:
                tx.put(new, market, secret, store)
            tx.delete_later(old, market, store)
        del config.profiles[old]
        config.profiles[new] = replace(profile, name=new)
        if config.default == old:
            config.default = new
    return tx.warnings


def set_default(name: str, *, path: Path | None = None) -> None:
    """Make ``name`` the default profile."""
    with editing(path) as config:
        config.get(name)
        config.default = name


@dataclass
class ImportResult:
    imported: list[str]
    needs_secret: list[tuple[str, str]]  # (profile, market); market "spot-otp": the otp password or seed
    default: str | None


def import_profiles(
    file: Path,
    *,
    replace_existing: bool = False,
    allow_shared_key: bool = False,
    path: Path | None = None,
) -> ImportResult:
    """Add the profiles of a profile file (the config format, without secrets)."""
    try:
        text = Path(file).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(f"profile file {file} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"cannot read profile file {file}: {getattr(exc, 'strerror', None) or type(exc).__name__}") from None
    incoming = parse_document(text, file, what="profile file")
    if not incoming.profiles:
        raise ProfileError(f"profile file {file} defines no profile ([profiles.NAME] tables)")
    needs: list[tuple[str, str]] = []
    with editing(path) as config:
        clashes = sorted(set(incoming.profiles) & set(config.profiles))
        if clashes and not replace_existing:
            raise ProfileError(f"profile {', '.join(clashes)} already exists; pass --replace to overwrite")
        others = {n: p for n, p in config.profiles.items() if n not in incoming.profiles}
        merged = Config(path=config.path, profiles={**others, **incoming.profiles})
        if not allow_shared_key:
            for (market, _key), users in merged.shared_keys().items():
                if any(u in incoming.profiles for u in users):
                    raise ProfileError(
                        f"{market} key shared by profiles {', '.join(users)}: use one API key per bot, or pass --allow-shared-key"
                    )
        config.profiles.update(incoming.profiles)
        if config.default is None or config.default not in config.profiles:
            config.default = incoming.default or config.default
        if config.default not in config.profiles:
            config.default = None
        default = config.default
    for name, profile in sorted(incoming.profiles.items()):
        if profile.secret_command is None:
            for market in (*profile.markets, *((OTP_SLOT,) if profile.stores_otp else ())):
                try:
                    present = read_secret(profile.secret_file, name, market, config.id)
                except ProfileError:
                    present = None
                if not present:
                    needs.append((name, market))
    return ImportResult(sorted(incoming.profiles), needs, default)


def export_document(names: list[str] | None = None, *, include_keys: bool = True, path: Path | None = None) -> str:
    """The TOML of some or all profiles (never a secret; public keys unless ``include_keys`` is False)."""
    import tomli_w

    config = read_config(path)
    chosen = names or config.names()
    profiles = {}
    for name in chosen:
        profile = config.get(name)
        if not include_keys:
            profile = replace(profile, spot_key=None, futures_key=None)
        profiles[name] = profile
    out = Config(path=config.path, default=config.default if config.default in profiles else None, profiles=profiles)
    return tomli_w.dumps(out.to_document())


__all__ = [
    "add_profile",
    "store_paper_profile",
    "remove_profile",
    "rename_profile",
    "set_default",
    "import_profiles",
    "export_document",
    "ImportResult",
    "AddResult",
    "ConfigFileError",
]
