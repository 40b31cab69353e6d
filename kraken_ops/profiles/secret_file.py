"""The paper secrets file: where paper profiles keep their secrets on a machine without a keyring.

A headless machine (a server, a container, CI) usually has no Secret Service, so the
keyring cannot store anything. The local exchange keeps its accounts' secrets in its
state dir anyway (it must, to check signatures), so a paper profile may keep its copy
right beside them: ``<exchange state dir>/profile-secrets.json``, mode 0600::

    {"version": 1, "secrets": {"<config id>/<profile>:<market>": "<secret>"}}

Entries are named like keyring entries (namespaced by config id), so two config files
using one exchange never collide. The file is written atomically (temporary file,
fsync, rename) under a lock on its directory; a file that others can read is refused
(``chmod 600`` it). Only paper profiles use it, and only when no keyring backend
exists: production secrets never go to a file.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Mapping

from kraken_ops.profiles.errors import SecretStoreError

FILE_NAME = "profile-secrets.json"


def path_for(state_dir: Path | str) -> Path:
    """The secrets file of the exchange whose state dir is ``state_dir`` (absolute)."""
    return Path(os.path.abspath(os.path.expanduser(str(state_dir)))) / FILE_NAME


def _load(path: Path) -> dict[str, str]:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise SecretStoreError(f"cannot read the paper secrets file {path}: {exc.strerror or type(exc).__name__}") from None
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(handle.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise SecretStoreError(f"the paper secrets file {path} is not a regular file")
        mode = stat.S_IMODE(st.st_mode)
        if mode & 0o077:
            raise SecretStoreError(
                f"the paper secrets file {path} can be read by others (mode {mode:04o}); make it private with: chmod 600 {path}"
            )
        raw = handle.read()
    try:
        doc = json.loads(raw.decode("utf-8"))
        entries = doc["secrets"]
        if not isinstance(entries, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in entries.items()):
            raise ValueError
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise SecretStoreError(f"the paper secrets file {path} is damaged (not the JSON kraken-ops writes); it is left as it is") from None
    return dict(entries)


def get(path: Path | str, entry: str) -> str | None:
    """The secret of ``entry`` (``<config id>/<profile>:<market>``) in the file, or None."""
    return _load(Path(path)).get(entry)


def update(path: Path | str, changes: Mapping[str, str | None]) -> None:
    """Set (a string) or delete (None) entries, atomically, under the directory's lock."""
    from kraken_ops.profiles.config import atomic_write, locked

    path = Path(path)
    with locked(path):
        entries = _load(path)
        before = dict(entries)
        for entry, secret in changes.items():
            if secret is None:
                entries.pop(entry, None)
            else:
                entries[entry] = secret
        if entries == before and path.exists():
            return
        data = json.dumps({"version": 1, "secrets": dict(sorted(entries.items()))}, indent=1).encode() + b"\n"
        try:
            atomic_write(path, data, mode=0o600)
        except OSError as exc:
            raise SecretStoreError(f"cannot write the paper secrets file {path}: {exc.strerror or type(exc).__name__}") from None


__all__ = ["FILE_NAME", "path_for", "get", "update"]
