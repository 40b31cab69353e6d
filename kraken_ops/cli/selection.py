"""Which profiles a fleet command (``portfolio``, ``metrics serve``) runs on.

:func:`select_profiles` combines the three ways of naming accounts: ``--profile NAME``
(repeatable), ``--all-profiles`` and ``--group TAG`` (repeatable; the profiles whose
``tags`` hold TAG). It is the one place these commands choose their profiles, so that a
richer implementation of profile groups can replace it without touching them.
"""

from __future__ import annotations

from typing import Any, Sequence

from kraken_ops.cli.errors import ConfigProblem


def select_profiles(
    names: Sequence[str], all_profiles: bool, groups: Sequence[str], *, config: Any = None
) -> list[str | None]:
    """The profiles to use, in a stable order: named ones first, then every other selected one.

    * nothing given: ``[None]`` (the default profile, ``$KRAKEN_OPS_PROFILE``, or the
      ``KRAKEN_OPS_API_KEY`` environment keys);
    * ``all_profiles``: every configured profile;
    * ``groups``: every profile tagged with one of them (a profile's ``tags``), an unknown
      group being a configuration error.

    An unknown profile name is a configuration error naming the known ones.

    >>> select_profiles([], False, [])
    [None]
    """
    if not names and not all_profiles and not groups:
        return [None]
    if config is None:
        from kraken_ops.profiles.config import read_config

        config = read_config()
    known = dict(config.profiles)
    chosen: list[str | None] = []
    for name in names:
        if name not in known:
            config.get(name)  # raises ProfileError listing the known profiles
        if name not in chosen:
            chosen.append(name)
    selected: list[str] = []
    if all_profiles:
        if not known:
            raise ConfigProblem("--all-profiles: no profile is configured", hint="add one with: kraken-ops profile add NAME")
        selected = sorted(known)
    for group in groups:
        members = sorted(name for name, profile in known.items() if group in tuple(getattr(profile, "tags", ()) or ()))
        if not members:
            raise ConfigProblem(
                f"--group {group}: no profile is in this group",
                hint="a profile's groups are its tags (kraken-ops profile list shows them)",
            )
        selected += members
    for name in selected:
        if name not in chosen:
            chosen.append(name)
    return chosen


__all__ = ["select_profiles"]
