"""The local Kraken-compatible exchange (``kraken-ops exchange serve``).

Modules: ``context`` (shared ctx), ``state`` (SQLite), ``auth`` (signature checks),
``markets`` (pairs, assets, price process, market maker), ``engine`` (matching),
``rest_spot`` and ``ws_spot`` (the Spot wire), ``server`` (the aiohttp shell);
``futures/`` holds the Futures side.
"""
