"""A keyring backend in one JSON file (0600), shared by every process of a documentation test.

The documented examples run as real processes (``kraken-ops ...`` in bash, Python
scripts), so the in-memory keyring of the profile tests cannot serve them. Selected with
``PYTHON_KEYRING_BACKEND=doc_keyring.FileKeyring`` (``tests/docs`` on ``PYTHONPATH``); the
file is ``$KRAKEN_OPS_DOC_KEYRING``. Test use only: secrets in a plain file.
"""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

ENV = "KRAKEN_OPS_DOC_KEYRING"


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    @property
    def path(self) -> Path:
        return Path(os.environ[ENV])

    @contextmanager
    def _entries(self, write: bool) -> Iterator[dict[str, Any]]:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        with os.fdopen(fd, "r+") as file:
            fcntl.flock(file, fcntl.LOCK_EX if write else fcntl.LOCK_SH)
            text = file.read()
            entries = json.loads(text) if text.strip() else {}
            yield entries
            if write:
                file.seek(0)
                file.truncate()
                file.write(json.dumps(entries, indent=1, sort_keys=True))

    def get_password(self, service: str, username: str) -> str | None:
        with self._entries(write=False) as entries:
            return entries.get(service, {}).get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        with self._entries(write=True) as entries:
            entries.setdefault(service, {})[username] = password

    def delete_password(self, service: str, username: str) -> None:
        with self._entries(write=True) as entries:
            if username not in entries.get(service, {}):
                raise PasswordDeleteError(f"no password for {username!r} in {service!r}")
            del entries[service][username]
