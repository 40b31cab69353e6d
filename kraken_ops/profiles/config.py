"""The profile config file: where it lives, what it holds, how it is read and written.

The file is TOML (``$KRAKEN_OPS_CONFIG``, else ``config.toml`` in the platform's user
config dir)::

    default = "bot1"

    [profiles.bot1]
    environment = "production"          # production | sandbox | paper | custom
    spot_key = "Abc...="                # public API keys only; secrets live elsewhere
    futures_key = "xyz..."
    tier = "pro"                        # starter | intermediate | pro (Spot rate limiter)
    nonce_window = 0                    # as set on the key at Kraken; 0 = strict
    read_only = false
    confirm = true                      # ask before money moves (default: production only)
    description = "market maker, BTC/USD"
    # secret_command = "pass show kraken/bot1-{market}"

It never holds a secret. It is read with :mod:`tomllib` and written with ``tomli_w``
atomically (a temporary file in the same directory, fsync, ``os.replace``) with mode
0600, under an advisory lock so that two ``kraken-ops profile`` commands never lose
each other's change. A file that does not parse is reported with its path and line
and is never overwritten.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import stat
import tempfile
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Iterator

from kraken_ops.profiles.errors import ConfigFileError, ProfileError

APP_NAME = "kraken-ops"
CONFIG_ENV = "KRAKEN_OPS_CONFIG"
STATE_ENV = "KRAKEN_OPS_STATE_DIR"

MARKETS = ("spot", "futures")
ENVIRONMENTS = ("production", "sandbox", "paper", "custom")
TIERS = ("starter", "intermediate", "pro")

PRODUCTION_URLS = {"spot": "https://api.kraken.com", "futures": "https://futures.kraken.com"}
# Kraken's Futures demo environment. Kraken retired it in 2026; the setting stays so
# that old profiles keep loading, and requests to it fail with a network error.
SANDBOX_URLS = {"futures": "https://demo-futures.kraken.com"}
PAPER_URL = "http://127.0.0.1:8787"  # the local exchange (`kraken-ops exchange serve`)

DEFAULT_SECRET_COMMAND_TIMEOUT = 30.0

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_KEY_RE = re.compile(r"^[\x21-\x7e]{1,256}$")  # printable ASCII, no spaces
# Field names that would mean someone is about to put a secret in the file.
_SECRET_FIELDS = frozenset(
    {"secret", "spot_secret", "futures_secret", "api_secret", "secret_key", "private_key", "password", "api_sign"}
)


def config_path() -> Path:
    """The config file: ``$KRAKEN_OPS_CONFIG`` or ``<user config dir>/kraken-ops/config.toml``."""
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME)) / "config.toml"


def state_dir() -> Path:
    """Where per-key nonce state lives: ``$KRAKEN_OPS_STATE_DIR`` or the user state dir."""
    env = os.environ.get(STATE_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_state_dir

    return Path(user_state_dir(APP_NAME))


def check_name(name: str) -> str:
    """Return ``name`` if it is a valid profile name, else raise :class:`ProfileError`."""
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ProfileError(
            f"invalid profile name {name!r}: use letters, digits, '_', '-' and '.', starting with a letter or digit (at most 64)"
        )
    return name


def check_key(key: str, what: str = "API key") -> str:
    """Return ``key`` stripped if it looks like a Kraken public API key."""
    key = key.strip() if isinstance(key, str) else key
    if not isinstance(key, str) or not _KEY_RE.match(key):
        raise ProfileError(f"invalid {what}: expected printable characters without spaces (1 to 256)")
    return key


@dataclass(frozen=True)
class Profile:
    """One Kraken account: its public keys per market and how to reach and treat it."""

    name: str
    environment: str = "production"
    url: str | None = None
    spot_key: str | None = None
    futures_key: str | None = None
    read_only: bool = False
    confirm: bool | None = None  # None: ask on production only
    tier: str | None = None
    nonce_window: int = 0
    description: str = ""
    secret_command: str | list[str] | None = None
    secret_command_timeout: float = DEFAULT_SECRET_COMMAND_TIMEOUT

    # --- derived --------------------------------------------------------------
    def key(self, market: str) -> str | None:
        """The public key of ``market`` (``spot`` or ``futures``), or None."""
        return self.spot_key if market == "spot" else self.futures_key if market == "futures" else None

    @property
    def markets(self) -> tuple[str, ...]:
        """The markets this profile holds a key for."""
        return tuple(m for m in MARKETS if self.key(m))

    @property
    def needs_confirmation(self) -> bool:
        """Whether money-moving commands ask first (``confirm``, default: production only)."""
        return self.environment == "production" if self.confirm is None else self.confirm

    def url_for(self, market: str) -> str:
        """The REST base URL this profile uses for ``market``."""
        if self.environment == "production":
            return PRODUCTION_URLS[market]
        if self.environment == "sandbox":
            if market not in SANDBOX_URLS:
                raise ProfileError(
                    f"profile {self.name!r} uses environment 'sandbox', which only exists for futures "
                    "(Kraken offers no Spot sandbox): use environment 'paper' for a local Spot exchange"
                )
            return SANDBOX_URLS[market]
        if self.environment == "paper":
            return (self.url or PAPER_URL).rstrip("/")
        return (self.url or "").rstrip("/")

    def with_key(self, market: str, key: str | None) -> Profile:
        return replace(self, **{f"{market}_key": key})

    # --- (de)serialisation ----------------------------------------------------
    def to_table(self) -> dict[str, Any]:
        """The TOML table of this profile (defaults left out, no ``name``)."""
        table: dict[str, Any] = {"environment": self.environment}
        for f in fields(self):
            if f.name in ("name", "environment"):
                continue
            value = getattr(self, f.name)
            if value is None or value == f.default:
                continue
            table[f.name] = value
        return table

    @classmethod
    def from_table(cls, name: str, table: Any, *, where: str = "") -> Profile:
        """Validate one ``[profiles.NAME]`` table; errors name ``where`` (file and line)."""
        prefix = f"{where}profile {name!r}: "
        try:
            check_name(name)
        except ProfileError as exc:
            raise ConfigFileError(f"{where}{exc}") from None
        if not isinstance(table, dict):
            raise ConfigFileError(f"{prefix}expected a table ([profiles.{name}])")
        known = {f.name for f in fields(cls)} - {"name"}
        for key in table:
            if key in _SECRET_FIELDS or "secret" in key and key not in known:
                raise ConfigFileError(
                    f"{prefix}field {key!r} looks like a secret; secrets never go in the config file "
                    f"(use `kraken-ops profile add {name}` to store it in the keyring, or secret_command)"
                )
            if key not in known:
                hint = " (use spot_key or futures_key)" if key in ("key", "api_key", "market") else ""
                raise ConfigFileError(f"{prefix}unknown field {key!r}{hint}; known fields: {', '.join(sorted(known))}")

        def typed(key: str, types: type | tuple[type, ...], default: Any) -> Any:
            value = table.get(key, default)
            if value is default:
                return value
            if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
                raise ConfigFileError(f"{prefix}{key} must be {_type_name(types)}, not a boolean")
            if not isinstance(value, types):
                raise ConfigFileError(f"{prefix}{key} must be {_type_name(types)}, not {type(value).__name__}")
            return value

        environment = typed("environment", str, "production")
        if environment not in ENVIRONMENTS:
            raise ConfigFileError(f"{prefix}unknown environment {environment!r}; choose one of {', '.join(ENVIRONMENTS)}")
        url = typed("url", str, None)
        if url is not None:
            if environment not in ("paper", "custom"):
                raise ConfigFileError(f"{prefix}url is only used with environment 'paper' or 'custom', not {environment!r}")
            if not re.match(r"^https?://[^\s/]+", url):
                raise ConfigFileError(f"{prefix}url must start with http:// or https:// and name a host")
        elif environment == "custom":
            raise ConfigFileError(f"{prefix}environment 'custom' needs a url")
        keys: dict[str, str | None] = {}
        for market in MARKETS:
            value = typed(f"{market}_key", str, None)
            if value is not None:
                try:
                    value = check_key(value, f"{market}_key")
                except ProfileError as exc:
                    raise ConfigFileError(f"{prefix}{exc}") from None
            keys[market] = value
        tier = typed("tier", str, None)
        if tier is not None and tier not in TIERS:
            raise ConfigFileError(f"{prefix}unknown tier {tier!r}; choose one of {', '.join(TIERS)}")
        nonce_window = typed("nonce_window", int, 0)
        if nonce_window < 0:
            raise ConfigFileError(f"{prefix}nonce_window must be 0 or more")
        command = typed("secret_command", (str, list), None)
        if isinstance(command, list) and (not command or not all(isinstance(a, str) for a in command)):
            raise ConfigFileError(f"{prefix}secret_command must be a string or a non-empty list of strings")
        if isinstance(command, str) and not command.strip():
            raise ConfigFileError(f"{prefix}secret_command must not be empty")
        timeout = typed("secret_command_timeout", (int, float), DEFAULT_SECRET_COMMAND_TIMEOUT)
        if timeout <= 0:
            raise ConfigFileError(f"{prefix}secret_command_timeout must be positive")
        return cls(
            name=name,
            environment=environment,
            url=url,
            spot_key=keys["spot"],
            futures_key=keys["futures"],
            read_only=typed("read_only", bool, False),
            confirm=typed("confirm", bool, None),
            tier=tier,
            nonce_window=nonce_window,
            description=typed("description", str, ""),
            secret_command=command,
            secret_command_timeout=float(timeout),
        )


def _type_name(types: type | tuple[type, ...]) -> str:
    names = {bool: "true or false", str: "a string", int: "an integer", float: "a number", list: "a list"}
    types = types if isinstance(types, tuple) else (types,)
    return " or ".join(names.get(t, t.__name__) for t in types)


@dataclass
class Config:
    """The whole config file: the default profile name and every profile."""

    path: Path
    default: str | None = None
    profiles: dict[str, Profile] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # other top-level settings, kept as they are

    def names(self) -> list[str]:
        return sorted(self.profiles)

    def get(self, name: str) -> Profile:
        """The profile ``name``; an unknown name is a :class:`ProfileError` listing the known ones."""
        try:
            return self.profiles[name]
        except KeyError:
            known = ", ".join(self.names()) or "none (add one with `kraken-ops profile add NAME`)"
            raise ProfileError(f"unknown profile {name!r}; known profiles: {known}") from None

    def key_users(self, market: str, key: str) -> list[str]:
        """Names of the profiles that use ``key`` for ``market``."""
        return sorted(n for n, p in self.profiles.items() if p.key(market) == key)

    def shared_keys(self) -> dict[tuple[str, str], list[str]]:
        """``(market, key) -> profiles`` for every key used by more than one profile."""
        users: dict[tuple[str, str], list[str]] = {}
        for name, profile in self.profiles.items():
            for market in profile.markets:
                users.setdefault((market, profile.key(market) or ""), []).append(name)
        return {k: sorted(v) for k, v in users.items() if len(v) > 1}

    def to_document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {}
        if self.default:
            doc["default"] = self.default
        doc.update(self.extra)
        doc["profiles"] = {name: self.profiles[name].to_table() for name in sorted(self.profiles)}
        return doc


# --- reading --------------------------------------------------------------------------


def _line_of(text: str, name: str) -> int | None:
    pattern = re.compile(r"^\s*\[\s*profiles\s*\.\s*(\"%s\"|'%s'|%s)\s*\]" % ((re.escape(name),) * 3))
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.match(line):
            return number
    return None


def parse_document(text: str, path: Path | str, *, what: str = "config file") -> Config:
    """Parse and validate TOML ``text`` (a config file or a profile file to import)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(
            f"{what} {path} is not valid TOML: {_toml_where(exc)}; fix it by hand (kraken-ops will not overwrite it)"
        ) from None
    default = doc.pop("default", None)
    if default is not None and not isinstance(default, str):
        raise ConfigFileError(f"{what} {path}: default must be a profile name (a string)")
    raw_profiles = doc.pop("profiles", {})
    if not isinstance(raw_profiles, dict):
        raise ConfigFileError(f"{what} {path}: profiles must be a table ([profiles.NAME])")
    profiles: dict[str, Profile] = {}
    for name, table in raw_profiles.items():
        line = _line_of(text, name)
        where = f"{what} {path}" + (f", line {line}" if line else "") + ": "
        profiles[name] = Profile.from_table(name, table, where=where)
    if default is not None and default not in profiles:
        raise ConfigFileError(
            f"{what} {path}: default profile {default!r} is not defined; known profiles: {', '.join(sorted(profiles)) or 'none'}"
        )
    return Config(path=Path(path), default=default, profiles=profiles, extra=doc)


def _toml_where(exc: tomllib.TOMLDecodeError) -> str:
    lineno = getattr(exc, "lineno", None)  # Python 3.14+
    msg = getattr(exc, "msg", None)
    if lineno is not None and msg:
        return f"line {lineno}, column {getattr(exc, 'colno', '?')}: {msg}"
    text = str(exc)
    found = re.search(r"^(.*?) \(at line (\d+), column (\d+)\)$", text)
    if found:
        return f"line {found.group(2)}, column {found.group(3)}: {found.group(1)}"
    return text.replace("(at end of document)", "at the end of the file")


def read_config(path: Path | None = None) -> Config:
    """Read the config file; a missing file is an empty config."""
    path = path or config_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Config(path=path)
    except IsADirectoryError:
        raise ConfigFileError(f"config file {path} is a directory; set {CONFIG_ENV} to a file path") from None
    except OSError as exc:
        raise ConfigFileError(f"cannot read config file {path}: {exc.strerror or type(exc).__name__}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        bad = _first_bad_utf8_line(raw)
        raise ConfigFileError(f"config file {path} is not UTF-8 text (line {bad}); fix it by hand") from None
    return parse_document(text, path)


def _first_bad_utf8_line(raw: bytes) -> int:
    for number, line in enumerate(raw.split(b"\n"), 1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            return number
    return 1


# --- writing --------------------------------------------------------------------------


def _check_writable(path: Path) -> None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ConfigFileError(f"cannot write config file {path}: {exc.strerror or type(exc).__name__}") from None
    if not stat.S_ISREG(st.st_mode):
        raise ConfigFileError(f"cannot write config file {path}: not a regular file")
    if not st.st_mode & stat.S_IWUSR:
        raise ConfigFileError(
            f"config file {path} is read-only (mode {stat.S_IMODE(st.st_mode):04o}); make it writable (chmod u+w) to change profiles"
        )


def write_config(config: Config, path: Path | None = None) -> None:
    """Write ``config`` atomically with mode 0600; a file that does not parse is left alone."""
    import tomli_w

    path = path or config.path
    target = path.resolve() if path.is_symlink() else path
    _check_writable(target)
    if target.exists():
        read_config(target)  # raises for a malformed file: never replace what we cannot read
    data = tomli_w.dumps(config.to_document()).encode("utf-8")
    tmp_name: str | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
        tmp_name = None
        _fsync_dir(target.parent)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigFileError(f"cannot write config file {target}: {reason}; it was left as it was") from None
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def editing(path: Path | None = None) -> Iterator[Config]:
    """Read, let the caller change, and write back the config under an exclusive lock.

    The lock (``<config>.lock`` next to the file) serialises concurrent ``profile``
    commands; the file is only written when the block finishes without an exception.
    """
    path = path or config_path()
    lock_path = path.with_name(path.name + ".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise ConfigFileError(f"cannot write config file {path}: {exc.strerror or type(exc).__name__}") from None
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        config = read_config(path)
        yield config
        write_config(config, path)
    finally:
        os.close(lock_fd)


__all__ = [
    "Config",
    "Profile",
    "config_path",
    "state_dir",
    "read_config",
    "write_config",
    "parse_document",
    "editing",
    "check_name",
    "check_key",
    "MARKETS",
    "ENVIRONMENTS",
    "TIERS",
    "PAPER_URL",
    "PRODUCTION_URLS",
    "SANDBOX_URLS",
]
