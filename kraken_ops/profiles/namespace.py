"""Config ids: every config file's keyring entries live in a namespace of their own.

Keyring entries used to be named ``<profile>:<market>``, so two config files
(``KRAKEN_OPS_CONFIG``) with a profile ``bot1`` shared one entry: adding ``bot1`` to
the second replaced the first one's secret. Now each config file has an ``id`` and
its entries are ``<id>/<profile>:<market>``.

A file from before ids is upgraded the first time it is used (a secret is read, or
a ``profile`` command changes it):

1. under the config's lock, a new id is drawn;
2. each keyring secret of the file's profiles is **copied** from the old entry to the
   new name and read back: if any copy fails or differs, the copies are deleted and
   the file stays as it was (it keeps working from the old entries; the next use
   tries again);
3. the id is written into the file (in the same atomic write as the change, or, on a
   read, as one line added at the top so that comments are kept). If that write fails,
   the copies are deleted again.

The old entries are **never deleted automatically**: kraken-ops cannot know which
other config files still use them (an old ``bot1:spot`` may belong to any file that
has a ``bot1``, and a file that has not been used since the upgrade still reads it
on its first use). ``profile remove`` says when one is left, and how to delete it
(``python -m keyring del kraken-ops bot1:spot``) once no config file needs it.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from kraken_ops.profiles.config import Config, add_id_in_place, check_writable, locked, new_config_id, read_config
from kraken_ops.profiles.errors import ProfileError, SecretStoreError

Copies = list[tuple[str, str, str]]  # (profile, market, namespace) entries created by a migration


def copy_old_entries(config: Config, config_id: str) -> Copies:
    """Copy the old-style keyring entries of ``config``'s profiles into ``config_id``; verify each.

    Raises :class:`ProfileError` (after deleting what it copied) when the keyring
    cannot be read or written; the old entries are never touched.
    """
    from kraken_ops.profiles import secrets

    copies: Copies = []
    try:
        for name, market in config.keyring_backed():
            old = secrets.keyring_get(name, market)
            if old is None:
                continue
            secrets.keyring_set(name, market, old, config_id)
            copies.append((name, market, config_id))
            if secrets.keyring_get(name, market, config_id) != old:
                raise SecretStoreError(
                    f"the keyring did not keep the copy of the {market} secret of profile {name!r}; the old entry is used as before"
                )
    except BaseException:
        forget(copies)
        raise
    return copies


def forget(copies: Copies) -> None:
    """Delete the copies made by a migration that did not complete (the old entries stay)."""
    from kraken_ops.profiles import secrets

    for name, market, config_id in copies:
        with contextlib.suppress(Exception):
            secrets.keyring_delete(name, market, config_id)


def give_id(config: Config) -> Copies:
    """Give ``config`` (read under its lock) an id if it has none, copying its old keyring entries.

    Returns the copies made (to be forgotten if the config is not written). When
    the keyring cannot be used now, the config is left without an id: it keeps
    using the old entries, and the next change or use tries again.
    """
    if config.id is not None:
        return []
    config_id = new_config_id()
    copies: Copies = []
    if config.keyring_backed():
        try:
            copies = copy_old_entries(config, config_id)
        except ProfileError:
            return []
    config.set_id(config_id)
    return copies


def upgrade(path: Path) -> Config:
    """Give the config file at ``path`` an id on first use, keeping its text (best effort).

    Returns the config as it is afterwards: with an id, or, when the file cannot be
    written or the keyring cannot be used, as it was (it then keeps working from the
    old entries).
    """
    with locked(path):
        config = read_config(path)
        if config.id is not None or not path.exists():
            return config
        try:
            check_writable(path.resolve())
        except ProfileError:
            return config  # a read-only file keeps using the old entries
        copies = give_id(config)
        if not copies:  # nothing to carry over (or the keyring is unusable now): leave the file alone
            return read_config(path)
        try:
            add_id_in_place(path, config.id)
        except ProfileError:
            forget(copies)
            return read_config(path)
        return read_config(path)


__all__ = ["give_id", "upgrade", "forget", "copy_old_entries"]
