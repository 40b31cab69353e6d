"""The audit log: one JSON line for every command that moves money.

Who placed which order, from which machine, and what came of it. Every money-moving
command appends one line to ``audit.log`` in the state directory
(``$KRAKEN_OPS_STATE_DIR`` or the user state dir), whether it ran on the command line,
through ``kraken-ops ws``, as an MCP tool, or inside ``panic``/``deadman``::

    {"time": "2026-05-01T03:04:05.123Z", "profile": "bot1", "environment": "production",
     "command": "orders create", "action": "place an order: buy 0.01 XBTUSD (limit @ 25000)",
     "params": {"pair": "XBTUSD", "side": "buy", ...},
     "outcome": {"status": "ok", "ids": ["OUF4EM-FRGI2-MQMWZD"], "result": {...}},
     "host": "ops-1", "user": "alice", "pid": 4242, "via": "cli"}

* **Where it is hooked.** Once, where the confirmation of money-moving commands
  happens and their result is reported: :func:`kraken_ops.cli.clients.run_write` (REST),
  :func:`kraken_ops.cli.commands.ws.execute` (WebSocket), the fleet runner
  (:mod:`kraken_ops.cli.fleet`: cross-account writes, ``panic``, ``deadman``) and the raw
  commands (:func:`kraken_ops.cli.raw.run_raw`, private trading endpoints only). MCP tools
  run those same functions; the server marks their lines ``"via": "mcp"``.
* **Outcome.** ``ok`` (with the ids the answer holds), ``error`` (the CLI's error
  category, message and Kraken error string), ``unknown`` or ``not_placed`` after a lost
  answer (with the client order id and the command that checks), ``interrupted``
  (Ctrl-C while the request was out), ``skipped`` (a read-only profile of a fleet
  command). The line is written after the request, so it holds the outcome even when
  the request failed or was interrupted.
* **Never a secret.** Parameters whose name suggests a secret (``secret``,
  ``password``, ``otp``, ``token``, ``signature`` ...) are replaced by ``"[redacted]"``
  at any depth (:func:`scrub`); keys and secrets are never parameters of these
  commands, and the raw commands' ``--secret-key`` is never recorded.
* **Never in the way.** Writing happens after the request and cannot fail it: a
  failure to write is one warning on stderr. The file is opened with ``O_APPEND``
  and each line is written with one ``write``, so concurrent processes never
  interleave partial lines; mode 0600.
* **Rotation by size.** Past :data:`MAX_BYTES` the file becomes ``audit.log.1`` (the
  older ones shift up to ``audit.log.<KEEP>``; older still are deleted). The process
  that rotates holds a non-blocking ``flock`` on the full file; another process that
  finds it taken just appends, so rotation never makes anyone wait.

``kraken-ops audit`` reads the file and its rotated predecessors
(:func:`read_entries`).
"""

from __future__ import annotations

import contextvars
import datetime as _dt
import enum
import os
import re
import stat
import sys
from decimal import Decimal
from pathlib import Path, PurePath
from typing import Any, Iterable, Iterator

FILE_NAME = "audit.log"
#: Size past which the file is rotated (bytes).
MAX_BYTES = 10 * 1024 * 1024
#: Rotated files kept (``audit.log.1`` ... ``audit.log.<KEEP>``).
KEEP = 5
#: A result longer than this (JSON characters) is not copied into the line; its ids are.
MAX_RESULT_CHARS = 8192
#: Parameter names that may hold a secret (any part of the name, case-insensitive).
SECRET_NAME = re.compile(
    r"secret|passw|passphrase|token|signature|api[_-]?sign|private[_-]?key|credential|(?:^|[_-])otp(?:$|[_-])", re.IGNORECASE
)
REDACTED = "[redacted]"
#: Keys whose values identify what an answer created or changed (collected into ``ids``).
ID_KEYS = frozenset({"txid", "order_id", "orderId", "cliOrdId", "cl_ord_id", "refid", "amend_id", "transfer_id", "uid"})
MAX_IDS = 100

_origin: contextvars.ContextVar[str] = contextvars.ContextVar("kraken_ops_audit_origin", default="cli")


def log_path() -> Path:
    """The audit file: ``audit.log`` in the state directory."""
    from kraken_ops.profiles.config import state_dir

    return state_dir() / FILE_NAME


def set_origin(name: str) -> contextvars.Token[str]:
    """Mark the lines written from now on (in this context) as coming from ``name`` (``"mcp"``)."""
    return _origin.set(name)


def reset_origin(token: contextvars.Token[str]) -> None:
    _origin.reset(token)


# --- what goes into a line -----------------------------------------------------------------
def scrub(value: Any, *, depth: int = 0) -> Any:
    """``value`` as plain JSON data with every secret-named entry replaced by ``"[redacted]"``.

    >>> scrub({"pair": "XBTUSD", "otp": "123456", "nested": {"api_secret": "x"}})
    {'pair': 'XBTUSD', 'otp': '[redacted]', 'nested': {'api_secret': '[redacted]'}}
    """
    if depth > 20:
        return "..."
    if isinstance(value, dict):
        return {
            str(k): (REDACTED if SECRET_NAME.search(str(k)) and v not in (None, False, "") else scrub(v, depth=depth + 1))
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple, set, frozenset)):
        return [scrub(v, depth=depth + 1) for v in value]
    if isinstance(value, enum.Enum):
        return scrub(value.value, depth=depth + 1)
    if isinstance(value, (bool, int, str, Decimal)) or value is None:
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes>"
    return str(value)


def ids_of(result: Any) -> list[str]:
    """The order ids, reference ids ... an answer holds (at any depth, each once)."""
    found: dict[str, None] = {}

    def walk(value: Any, depth: int) -> None:
        if depth > 8 or len(found) >= MAX_IDS:
            return
        if isinstance(value, dict):
            for key, item in value.items():
                if key in ID_KEYS and isinstance(item, (str, int)) and not isinstance(item, bool) and item != "":
                    found.setdefault(str(item), None)
                elif key in ID_KEYS and isinstance(item, list):
                    for one in item:
                        if isinstance(one, (str, int)) and not isinstance(one, bool):
                            found.setdefault(str(one), None)
                else:
                    walk(item, depth + 1)
        elif isinstance(value, list):
            for item in value:
                walk(item, depth + 1)

    walk(result, 0)
    return list(found)[:MAX_IDS]


def outcome_ok(result: Any) -> dict[str, Any]:
    """The outcome of a request that was answered: ``ok``, the ids, and the answer when it is short."""
    from kraken_ops._core.jsonout import dumps

    outcome: dict[str, Any] = {"status": "ok"}
    ids = ids_of(result)
    if ids:
        outcome["ids"] = ids
    clean = scrub(result)
    try:
        text = dumps(clean)
    except Exception:  # pragma: no cover - scrub returns JSON data
        text = ""
    if len(text) <= MAX_RESULT_CHARS:
        outcome["result"] = clean
    else:
        outcome["result_truncated"] = True
    return outcome


def outcome_of(exc: BaseException) -> dict[str, Any]:
    """The outcome of a request that failed with ``exc`` (the CLI's classification of it)."""
    if isinstance(exc, KeyboardInterrupt):
        return {
            "status": "interrupted",
            "message": "interrupted while the request was out: Kraken may or may not have carried it out; check before sending it again",
        }
    from kraken_ops.cli.errors import describe

    info = describe(exc)
    extra = info.extra or {}
    status = {"unknown": "unknown", "not_placed": "not_placed", "not_applied": "not_applied"}.get(str(extra.get("outcome")), "error")
    outcome: dict[str, Any] = {"status": status, "error": info.category, "message": info.message}
    if info.kraken_error:
        outcome["kraken_error"] = info.kraken_error
    for key in ("cl_ord_id", "check"):
        if extra.get(key):
            outcome[key] = extra[key]
    return outcome


def now_text(when: _dt.datetime | None = None) -> str:
    """``2026-05-01T03:04:05.123Z`` (UTC, milliseconds): sorts as text in time order."""
    when = (when or _dt.datetime.now(_dt.timezone.utc)).astimezone(_dt.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _host() -> str:
    import socket

    try:
        return socket.gethostname()
    except OSError:  # pragma: no cover
        return ""


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no name for this uid (containers)
        return str(os.getuid()) if hasattr(os, "getuid") else ""


def make_entry(
    *,
    command: str,
    profile: str | None,
    environment: str | None,
    params: dict[str, Any] | None,
    outcome: dict[str, Any],
    action: str | None = None,
) -> dict[str, Any]:
    """One line of the log (parameters scrubbed)."""
    entry: dict[str, Any] = {
        "time": now_text(),
        "profile": profile,
        "environment": environment,
        "command": command,
    }
    if action:
        entry["action"] = action
    entry["params"] = scrub(params or {})
    entry["outcome"] = outcome
    entry.update({"host": _host(), "user": _user(), "pid": os.getpid(), "via": _origin.get()})
    return entry


# --- writing -------------------------------------------------------------------------------
def append(entry: dict[str, Any], path: Path | None = None) -> bool:
    """Append ``entry`` as one line; on failure warn on stderr and return False (never raise)."""
    from kraken_ops._core.jsonout import dumps

    path = path or _safe_path()
    try:
        if path is None:
            raise OSError("the state directory is unknown")
        line = (dumps(entry) + "\n").encode("utf-8")
        _write_line(path, line)
        return True
    except Exception as exc:  # noqa: BLE001 - the order went out: the log must not fail it
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        try:
            sys.stderr.write(f"warning: could not write the audit log {path}: {reason}\n")
            sys.stderr.flush()
        except Exception:  # pragma: no cover
            pass
        return False


def _safe_path() -> Path | None:
    try:
        return log_path()
    except Exception:
        return None


def _open(path: Path) -> int:
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, 0o600)
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
            os.fchmod(fd, 0o600)  # created by an older version or another umask: keep it private
    except OSError:
        pass
    return fd


def _write_line(path: Path, line: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = _open(path)
    try:
        size = os.fstat(fd).st_size
        if size and size + len(line) > MAX_BYTES:
            fd = _rotate(path, fd)
        written = os.write(fd, line)  # O_APPEND: one write, never interleaved with another process's line
        if written != len(line):  # pragma: no cover - a full disk
            raise OSError(f"short write ({written} of {len(line)} bytes)")
    finally:
        os.close(fd)


def _rotate(path: Path, fd: int) -> int:
    """Rotate when this process gets the lock at once; return the descriptor to write to."""
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return fd  # another process is rotating: append to the file we have (never wait)
    try:
        current = os.stat(path)
    except FileNotFoundError:
        current = None
    held = os.fstat(fd)
    if current is None or (current.st_dev, current.st_ino) != (held.st_dev, held.st_ino):
        os.close(fd)  # rotated by another process meanwhile: write to the new file
        return _open(path)
    for number in range(KEEP - 1, 0, -1):
        older = path.with_name(f"{path.name}.{number}")
        if older.exists():
            os.replace(older, path.with_name(f"{path.name}.{number + 1}"))
    if KEEP > 0:
        os.replace(path, path.with_name(f"{path.name}.1"))
    else:
        os.unlink(path)
    new = _open(path)
    os.close(fd)  # releases the lock
    return new


class Recording:
    """Records one money-moving request: ``with Recording(...) as rec: rec.result = send()``.

    Leaving the block writes the line: ``ok`` with the result, or the outcome of the
    exception that left it (which is never swallowed). Anything going wrong while
    writing is a warning on stderr.
    """

    def __init__(
        self,
        command: str,
        profile: str | None,
        environment: str | None,
        params: dict[str, Any] | None = None,
        action: str | None = None,
        path: Path | None = None,
    ) -> None:
        self.command = command
        self.profile = profile
        self.environment = environment
        self.params = params
        self.action = action
        self.path = path
        self.result: Any = None
        self.entry: dict[str, Any] | None = None

    def __enter__(self) -> Recording:
        return self

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> bool:
        try:
            outcome = outcome_of(exc) if exc is not None else outcome_ok(self.result)
            self.entry = make_entry(
                command=self.command, profile=self.profile, environment=self.environment, params=self.params, outcome=outcome, action=self.action
            )
            append(self.entry, self.path)
        except Exception as problem:  # noqa: BLE001
            try:
                sys.stderr.write(f"warning: could not write the audit log: {problem}\n")
            except Exception:  # pragma: no cover
                pass
        return False


def record(
    command: str,
    profile: str | None,
    environment: str | None,
    params: dict[str, Any] | None,
    outcome: dict[str, Any],
    action: str | None = None,
    path: Path | None = None,
) -> dict[str, Any] | None:
    """Write one line with a known outcome (skipped accounts, a dead man's switch stopped ...)."""
    try:
        entry = make_entry(command=command, profile=profile, environment=environment, params=params, outcome=outcome, action=action)
    except Exception:  # pragma: no cover
        return None
    append(entry, path)
    return entry


# --- what the CLI knows about the running command ----------------------------------------------
def command_name(options: Any) -> str:
    """``orders create`` from the running command's path (``kraken-ops orders create``)."""
    path = str(getattr(options, "command_path", "") or "")
    words = path.split()
    if words and words[0] in ("kraken-ops", "kraken", "__main__.py", "python -m kraken_ops.cli"):
        words = words[1:]
    return " ".join(words) or path


def command_params(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The running command's own parameters (not the global options), plus ``extra``."""
    params: dict[str, Any] = {}
    try:
        from kraken_ops.cli.context import typer_get_current_context

        ctx = typer_get_current_context()
        for name, value in (getattr(ctx, "params", None) or {}).items():
            if name.startswith("_g_") or value is None or value == [] or value == ():
                continue
            if _is_default(ctx, name):  # what the user said, not every default
                continue
            params[name.rstrip("_")] = value
    except Exception:  # outside a command line (tests calling run functions)
        pass
    params.update(extra or {})
    return params


def _is_default(ctx: Any, name: str) -> bool:
    try:
        source = ctx.get_parameter_source(name)
    except Exception:
        return False
    return getattr(source, "name", "") in ("DEFAULT", "DEFAULT_MAP")


# --- reading -------------------------------------------------------------------------------
def log_files(path: Path | None = None) -> list[Path]:
    """The log and its rotated predecessors that exist, oldest first."""
    path = path or log_path()
    older = []
    for candidate in path.parent.glob(f"{path.name}.*") if path.parent.is_dir() else []:
        suffix = candidate.name[len(path.name) + 1 :]
        if suffix.isdigit():
            older.append((int(suffix), candidate))
    files = [p for _, p in sorted(older, reverse=True)]
    if path.exists():
        files.append(path)
    return files


def read_entries(path: Path | None = None, *, bad: list[str] | None = None) -> list[dict[str, Any]]:
    """Every entry of the log and its rotated files, in time order.

    Lines that are not JSON objects (a file edited by hand, a disk that filled up) are
    skipped; ``bad`` collects ``file:line`` of each.
    """
    import json

    entries: list[dict[str, Any]] = []
    for file in log_files(path):
        try:
            with open(file, "rb") as handle:
                for number, raw in enumerate(handle, 1):
                    if not raw.strip():
                        continue
                    try:
                        entry = json.loads(raw.decode("utf-8"), parse_float=Decimal)
                    except (ValueError, UnicodeDecodeError):
                        entry = None
                    if not isinstance(entry, dict) or not isinstance(entry.get("time"), str):
                        if bad is not None:
                            bad.append(f"{file}:{number}")
                        continue
                    entries.append(entry)
        except FileNotFoundError:  # rotated away while we read
            continue
    entries.sort(key=lambda e: e["time"])
    return entries


_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_since(text: str, now: _dt.datetime | None = None) -> _dt.datetime:
    """A point in time: relative (``90s``, ``30m``, ``1h``, ``2d``, ``1w`` ago) or ISO 8601.

    An ISO time without an offset is local time; a date alone is its midnight.
    Raises ``ValueError`` with the accepted forms.

    >>> parse_since("2026-05-01T12:00:00Z").isoformat()
    '2026-05-01T12:00:00+00:00'
    """
    now = now or _dt.datetime.now(_dt.timezone.utc)
    match = _RELATIVE.match(text)
    if match:
        return now - _dt.timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2).lower()])
    try:
        when = _dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            "is neither a relative time (90s, 30m, 1h, 2d, 1w) nor an ISO 8601 time (2026-05-01, 2026-05-01T12:00, 2026-05-01T12:00:00Z)"
        ) from None
    if when.tzinfo is None:
        when = when.astimezone()  # local time
    return when


def filter_entries(entries: Iterable[dict[str, Any]], *, profiles: list[str] | None = None, since: _dt.datetime | None = None) -> Iterator[dict[str, Any]]:
    """The entries of ``profiles`` (any, when empty) at or after ``since``."""
    cutoff = now_text(since) if since is not None else None
    wanted = set(profiles or [])
    for entry in entries:
        if wanted and entry.get("profile") not in wanted:
            continue
        if cutoff is not None and str(entry.get("time", "")) < cutoff:
            continue
        yield entry


__all__ = [
    "Recording",
    "record",
    "append",
    "read_entries",
    "filter_entries",
    "parse_since",
    "scrub",
    "ids_of",
    "outcome_ok",
    "outcome_of",
    "log_path",
    "log_files",
    "set_origin",
    "reset_origin",
    "command_name",
    "command_params",
    "MAX_BYTES",
    "KEEP",
]
