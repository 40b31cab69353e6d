"""An in-memory keyring backend for the profile tests (importable from worker processes)."""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked, PasswordDeleteError, PasswordSetError


class MemoryKeyring(KeyringBackend):
    """A keyring in a dict.

    ``refuse = True`` makes writes and deletes fail (a store that says no);
    ``locked = True`` makes every access fail like a locked Secret Service.
    """

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}
        self.refuse = False
        self.locked = False

    def get_password(self, service: str, username: str) -> str | None:
        if self.locked:
            raise KeyringLocked("the collection is locked")
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.locked:
            raise KeyringLocked("the collection is locked")
        if self.refuse:
            raise PasswordSetError("the store refused the write")
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.refuse:
            raise PasswordDeleteError("the store refused the delete")
        try:
            del self.entries[(service, username)]
        except KeyError:
            raise PasswordDeleteError("no such entry") from None
