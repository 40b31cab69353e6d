"""Opening the small per-key files under the state dir (nonces, in-flight locks, rate counters).

They are created on first use with mode 0600 in a 0700 directory, and never through a
symbolic link: a link where a state file should be (left over, or planted) is an
error, not a file created wherever it points. A state dir that is a dangling symbolic
link is named as such instead of a bare "File exists".
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from kraken_ops.profiles.errors import ProfileError

HINT = "(set KRAKEN_OPS_STATE_DIR to a writable directory)"


def _dangling_link(directory: Path) -> tuple[Path, str] | None:
    """The first component of ``directory`` that is a symbolic link to nothing, and its target."""
    here = Path(directory.anchor)
    for part in directory.parts[1:]:
        here = here / part
        if here.is_symlink() and not here.exists():
            return here, os.readlink(here)
        if not here.exists():
            return None
    return None


def open_state_file(path: Path, what: str) -> int:
    """Open (creating it if needed) the state file ``path``; ``what`` names it in errors."""
    directory = Path(os.path.abspath(path.parent))
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except FileExistsError:
        link = _dangling_link(directory)
        if link is not None:
            raise ProfileError(
                f"cannot open the {what} {directory}: {link[0]} points to {link[1]}, which does not exist "
                f"(create it, or remove the link) {HINT}"
            ) from None
        raise ProfileError(f"cannot open the {what} {directory}: a file is in the way {HINT}") from None
    except OSError as exc:
        raise ProfileError(f"cannot open the {what} {directory}: {exc.strerror or type(exc).__name__} {HINT}") from None
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        return os.open(path, flags, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP or path.is_symlink():
            raise ProfileError(
                f"the {what} file {path} is a symbolic link; kraken-ops never writes through one: remove it {HINT}"
            ) from None
        raise ProfileError(f"cannot open the {what} {directory}: {exc.strerror or type(exc).__name__} {HINT}") from None


__all__ = ["open_state_file"]
