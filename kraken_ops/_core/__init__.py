"""Internal core: signing, nonces, request descriptions, transport, errors, rate limits.

Nothing here is public API; the SDK surface lives in ``kraken_ops.spot`` and
``kraken_ops.futures``.
"""
