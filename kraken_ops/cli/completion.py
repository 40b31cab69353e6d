"""Dynamic shell completion for pairs (profile names complete in ``context``).

``complete_pair`` offers the pairs of the exchange the command would talk to: the
AssetPairs of the chosen profile's URL (``--profile``, ``$KRAKEN_OPS_PROFILE`` or the
default profile; Kraken's production API without one), cached for a day per URL
under the user cache dir (``$KRAKEN_OPS_CACHE_DIR`` overrides it), fetched with a
one-second timeout. Without network or cache it falls back to a built-in list of
common pairs. Completion never prints an error: a shell is waiting.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

CACHE_SECONDS = 24 * 3600
FETCH_TIMEOUT = 1.0
COMMON_PAIRS = (
    "XBTUSD", "XBT/USD", "ETHUSD", "ETH/USD", "XBTEUR", "XBT/EUR", "ETHEUR", "ETH/EUR", "ETHXBT", "ETH/XBT",
    "SOLUSD", "SOL/USD", "DOTUSD", "DOT/USD", "ADAUSD", "ADA/USD", "XRPUSD", "XRP/USD", "USDTUSD", "USDT/USD",
)  # fmt: skip


def cache_dir() -> Path:
    override = os.environ.get("KRAKEN_OPS_CACHE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("kraken-ops"))


def _cache_file(url: str) -> Path:
    safe = "".join(c if c.isalnum() else "_" for c in url)
    return cache_dir() / f"pairs-{safe}.json"


def _profile_url(ctx: Any) -> str:
    from kraken_ops import profiles

    given = None
    while ctx is not None and not given:  # the command's own --profile, then the root's
        params = getattr(ctx, "params", None) or {}
        given = params.get("_g_profile") or params.get("profile")
        ctx = getattr(ctx, "parent", None)
    if isinstance(given, (list, tuple)):
        given = given[0] if given else None
    try:
        return str(profiles.client_kwargs(given, market="spot", public=True)["url"])
    except Exception:  # no config, unknown profile: production
        return "https://api.kraken.com"


def known_pairs(url: str) -> list[str]:
    """Pair names (altname and wsname) at ``url``: cached, fetched, or the built-in list."""
    path = _cache_file(url)
    try:
        cached = json.loads(path.read_text())
        if time.time() - float(cached["fetched"]) < CACHE_SECONDS:
            return list(cached["pairs"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        from kraken_ops.spot.market import Market

        with Market(url=url, timeout=FETCH_TIMEOUT) as market:
            result = market.get_asset_pairs()
        names = sorted({n for info in result.values() for n in (info.get("altname"), info.get("wsname")) if n})
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"fetched": time.time(), "pairs": names}))
        os.replace(tmp, path)
        return names
    except Exception:  # noqa: BLE001 - completion must never fail loudly
        return list(COMMON_PAIRS)


def complete_pair(ctx: Any, incomplete: str) -> list[str]:
    """Typer ``autocompletion`` for pair arguments and ``--pair`` options."""
    try:
        wanted = incomplete.upper()
        return [name for name in known_pairs(_profile_url(ctx)) if name.upper().startswith(wanted)]
    except Exception:  # noqa: BLE001
        return []
