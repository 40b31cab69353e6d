"""The profile config file: where it lives, what it holds, how it is read and written.

The file is TOML (``$KRAKEN_OPS_CONFIG``, else ``config.toml`` in the platform's user
config dir)::

    id = "3f9c2a7d1b6e4c80"              # this file's id: names its keyring entries (written by kraken-ops)
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
    # otp = "totp"                      # the spot key requires 2FA: password | totp | prompt (the value is never here)

It never holds a secret. It is read with :mod:`tomllib` and written with ``tomli_w``
atomically (a temporary file in the same directory, fsync, ``os.replace``) with mode
0600, under an advisory lock (``flock`` on the file's directory, so no lock file is
left behind) so that two ``kraken-ops profile`` commands never lose each other's
change. A file that does not parse is reported with its path and line and is never
overwritten. A command that fails writes nothing: the directory of a new config file
is created only when the file is written.

``id`` names the file's keyring entries (``<id>/<profile>:<market>``), so that two
config files with a profile of the same name never share a secret. It is written
together with the profiles, in the same atomic write.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import stat
import tempfile
import threading
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Iterator

from kraken_ops.profiles.errors import ConfigFileError, ProfileError

APP_NAME = "kraken-ops"
CONFIG_ENV = "KRAKEN_OPS_CONFIG"
STATE_ENV = "KRAKEN_OPS_STATE_DIR"

MARKETS = ("spot", "futures")
# How a profile's Spot key gives its 2FA otp: a static password or a TOTP seed stored beside
# the secret (keyring entry "<id>/<profile>:spot-otp", the paper secrets file, or secret_command
# with {market} = spot-otp), or a code asked on the terminal once per command. Futures keys have no 2FA.
OTP_TYPES = ("password", "totp", "prompt")
OTP_SLOT = "spot-otp"  # the "market" part of the stored otp value's entry name
ENVIRONMENTS = ("production", "sandbox", "paper", "custom")
TIERS = ("starter", "intermediate", "pro")

PRODUCTION_URLS = {"spot": "https://api.kraken.com", "futures": "https://futures.kraken.com"}
# Kraken's Futures demo environment. Kraken retired it in 2026; the setting stays so
# that old profiles keep loading, and requests to it fail with a network error.
SANDBOX_URLS = {"futures": "https://demo-futures.kraken.com"}
PAPER_URL = "http://127.0.0.1:8787"  # the local exchange (`kraken-ops exchange serve`)

DEFAULT_SECRET_COMMAND_TIMEOUT = 30.0

_ID_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
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
    secret_file: str | None = None  # paper profiles without a keyring: the local exchange's secrets file
    otp: str | None = None  # the spot key's 2FA: None, "password", "totp" or "prompt" (OTP_TYPES)
    # The id of the config file the profile was read from (its keyring namespace); not a field of the file.
    namespace: str | None = field(default=None, compare=False, repr=False)

    # --- derived --------------------------------------------------------------
    def key(self, market: str) -> str | None:
        """The public key of ``market`` (``spot`` or ``futures``), or None."""
        return self.spot_key if market == "spot" else self.futures_key if market == "futures" else None

    @property
    def markets(self) -> tuple[str, ...]:
        """The markets this profile holds a key for."""
        return tuple(m for m in MARKETS if self.key(m))

    @property
    def stores_otp(self) -> bool:
        """Whether the profile keeps an otp value (a password or a TOTP seed) beside its spot secret."""
        return self.otp in ("password", "totp")

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
            if f.name in _NOT_IN_FILE:
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
        known = {f.name for f in fields(cls)} - {"name", "namespace"}
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
        secret_file = typed("secret_file", str, None)
        if secret_file is not None and environment != "paper":
            raise ConfigFileError(
                f"{prefix}secret_file is only for paper profiles (the local exchange); production secrets live in the keyring or come from secret_command"
            )
        if secret_file is not None and (command is not None or not os.path.isabs(os.path.expanduser(secret_file))):
            raise ConfigFileError(f"{prefix}secret_file must be an absolute path, and not set together with secret_command")
        otp = typed("otp", str, None)
        if otp is not None and otp not in OTP_TYPES:
            raise ConfigFileError(
                f"{prefix}unknown otp {otp!r}; choose one of {', '.join(OTP_TYPES)} (the type only: the password or seed lives "
                f"in the keyring, set it with `kraken-ops profile add {name} --otp TYPE`)"
            )
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
            secret_file=secret_file,
            otp=otp,
        )


_NOT_IN_FILE = frozenset({"name", "environment", "namespace"})


def new_config_id() -> str:
    """A fresh config id (random, 16 hex digits)."""
    import secrets

    return secrets.token_hex(8)


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
    id: str | None = None  # names the keyring entries of this file's profiles; None: a file from before ids

    def set_id(self, config_id: str) -> None:
        """Give the config its id and bind every profile to it (their keyring namespace)."""
        self.id = config_id
        self.profiles = {n: replace(p, namespace=config_id) for n, p in self.profiles.items()}

    def keyring_backed(self) -> list[tuple[str, str]]:
        """``(profile, market)`` of every secret this config keeps in the keyring."""
        return [
            (name, market)
            for name, p in sorted(self.profiles.items())
            if p.secret_command is None and p.secret_file is None
            for market in p.markets
        ]

    def names(self) -> list[str]:
        return sorted(self.profiles)

    def get(self, name: str) -> Profile:
        """The profile ``name``; an unknown name is a :class:`ProfileError` listing the known ones."""
        try:
            profile = self.profiles[name]
        except KeyError:
            known = ", ".join(self.names()) or "none (add one with `kraken-ops profile add NAME`)"
            raise ProfileError(f"unknown profile {name!r}; known profiles: {known}") from None
        return profile if profile.namespace == self.id else replace(profile, namespace=self.id)

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
        if self.id:
            doc["id"] = self.id
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
    config_id = doc.pop("id", None)
    if config_id is not None and (not isinstance(config_id, str) or not _ID_RE.match(config_id)):
        raise ConfigFileError(
            f"{what} {path}: id must be the string kraken-ops wrote (8 to 64 letters, digits, '_' or '-'); "
            "it names the file's keyring entries, so restore it rather than invent one"
        )
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
        profiles[name] = replace(Profile.from_table(name, table, where=where), namespace=config_id)
    if default is not None and default not in profiles:
        raise ConfigFileError(
            f"{what} {path}: default profile {default!r} is not defined; known profiles: {', '.join(sorted(profiles)) or 'none'}"
        )
    return Config(path=Path(path), default=default, profiles=profiles, extra=doc, id=config_id)


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


def check_writable(path: Path) -> None:
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


def _make_dirs(directory: Path) -> list[Path]:
    """Create ``directory`` and its missing parents (mode 0700); return the ones created, outermost first."""
    missing: list[Path] = []
    here = directory
    while not here.is_dir():
        missing.append(here)
        if here.parent == here:
            break
        here = here.parent
    for d in reversed(missing):
        os.mkdir(d, 0o700)
    return list(reversed(missing))


def atomic_write(target: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Write ``data`` to ``target`` atomically (temporary file, fsync, rename) with ``mode``.

    Missing directories are created; on failure the ones created here are removed
    again and the temporary file is deleted, so nothing is left behind. Raises OSError.
    """
    created = _make_dirs(target.parent)
    tmp_name: str | None = None
    try:
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
        tmp_name = None
        _fsync_dir(target.parent)
    except BaseException:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
        for d in reversed(created):
            with contextlib.suppress(OSError):
                os.rmdir(d)
        raise


def _target(path: Path) -> Path:
    return path.resolve() if path.is_symlink() else path


def write_config(config: Config, path: Path | None = None) -> None:
    """Write ``config`` atomically with mode 0600; a file that does not parse is left alone."""
    import tomli_w

    path = path or config.path
    target = _target(path)
    check_writable(target)
    if target.exists():
        read_config(target)  # raises for a malformed file: never replace what we cannot read
    data = tomli_w.dumps(config.to_document()).encode("utf-8")
    try:
        atomic_write(target, data)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigFileError(f"cannot write config file {target}: {reason}; it was left as it was") from None


def add_id_in_place(path: Path, config_id: str) -> None:
    """Put ``id = "..."`` at the top of an existing config file, keeping the rest byte for byte.

    Used when an old file (from before config ids) is first used: unlike a rewrite,
    it keeps the user's comments and layout. Atomic, like every write.
    """
    target = _target(path)
    check_writable(target)
    raw = target.read_bytes()
    if read_config(target).id is not None:
        return
    line = f'id = "{config_id}"  # written by kraken-ops: names this file\'s keyring entries; keep it\n'.encode()
    try:
        atomic_write(target, line + raw)
    except OSError as exc:
        raise ConfigFileError(f"cannot write config file {target}: {exc.strerror or type(exc).__name__}; it was left as it was") from None


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class _DirLock:
    """One directory's ``flock`` in this process: re-entrant for its thread, exclusive across threads and processes."""

    def __init__(self) -> None:
        self.thread_lock = threading.RLock()
        self.fd: int | None = None
        self.depth = 0


_dir_locks_guard = threading.Lock()
_dir_locks: dict[str, _DirLock] = {}


def _forget_dir_locks_after_fork() -> None:
    global _dir_locks_guard
    _dir_locks_guard = threading.Lock()
    _dir_locks.clear()  # the parent's locks and descriptors are not the child's


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_dir_locks_after_fork)


def _dir_lock(directory: Path) -> _DirLock:
    with _dir_locks_guard:
        return _dir_locks.setdefault(os.path.realpath(directory), _DirLock())


def _acquire(directory: Path, path: Path) -> _DirLock:
    lock = _dir_lock(directory)
    lock.thread_lock.acquire()
    if lock.depth == 0:
        try:
            fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
        except BaseException as exc:
            lock.thread_lock.release()
            if isinstance(exc, FileNotFoundError):
                raise
            if isinstance(exc, OSError):
                raise ConfigFileError(f"cannot lock {directory} to change {path}: {exc.strerror or type(exc).__name__}") from None
            raise
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException as exc:
            os.close(fd)
            lock.thread_lock.release()
            if isinstance(exc, OSError):
                raise ConfigFileError(f"cannot lock {directory} to change {path}: {exc.strerror or type(exc).__name__}") from None
            raise
        lock.fd = fd
    lock.depth += 1
    return lock


def _release(lock: _DirLock) -> None:
    lock.depth -= 1
    if lock.depth == 0 and lock.fd is not None:
        os.close(lock.fd)  # closing the descriptor releases the flock
        lock.fd = None
    lock.thread_lock.release()


def _still_there(directory: Path, lock: _DirLock) -> bool:
    """Whether the locked descriptor is still the directory at that path (not removed or replaced meanwhile)."""
    if lock.fd is None:
        return False
    try:
        here, held = os.stat(directory), os.fstat(lock.fd)
    except OSError:
        return False
    return (here.st_dev, here.st_ino) == (held.st_dev, held.st_ino)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive ``flock`` for changing the file ``path``, held for the block.

    The lock is taken on the file's directory, so no lock file is ever created.
    A directory that had to be created for the lock is removed again, while still
    locked, if the block leaves it empty (a command that fails leaves nothing
    behind); a process that was waiting for it notices and starts over. Re-entrant
    within a thread (the config and a paper secrets file may share a directory).
    """
    directory = _target(path).parent
    for _attempt in range(100):
        try:
            created = _make_dirs(directory)
            lock = _acquire(directory, path)
        except FileNotFoundError:  # a parent was removed by a process giving up its own new directory
            continue
        except OSError as exc:
            raise ConfigFileError(f"cannot create the directory of {path}: {exc.strerror or type(exc).__name__}") from None
        if _still_there(directory, lock):
            break
        _release(lock)  # it was removed (or replaced) while we waited: start over
    else:  # pragma: no cover - only under a storm of create-and-remove
        raise ConfigFileError(f"cannot lock the directory of {path}: it keeps disappearing")
    try:
        yield
    finally:
        if created and lock.depth == 1:
            for d in reversed(created):
                try:
                    os.rmdir(d)  # only if empty: nothing was written
                except OSError:
                    break
        _release(lock)


@contextlib.contextmanager
def editing(path: Path | None = None) -> Iterator[Config]:
    """Read, let the caller change, and write back the config under an exclusive lock.

    The file is only written when the block finishes without an exception. A config
    without an id gets one first; an old file's keyring entries are copied into the
    new namespace (see :mod:`kraken_ops.profiles.namespace`), and those copies are
    deleted again if the file is not written.
    """
    from kraken_ops.profiles import namespace

    path = path or config_path()
    with locked(path):
        config = read_config(path)
        copies = namespace.give_id(config)
        try:
            yield config
            write_config(config, path)
        except BaseException:
            namespace.forget(copies)
            raise


__all__ = [
    "Config",
    "Profile",
    "config_path",
    "state_dir",
    "read_config",
    "write_config",
    "parse_document",
    "editing",
    "locked",
    "atomic_write",
    "add_id_in_place",
    "new_config_id",
    "check_name",
    "check_key",
    "MARKETS",
    "OTP_TYPES",
    "OTP_SLOT",
    "ENVIRONMENTS",
    "TIERS",
    "PAPER_URL",
    "PRODUCTION_URLS",
    "SANDBOX_URLS",
]
