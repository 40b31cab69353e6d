"""Shared vcrpy configuration for the cassette tests (Spot and Futures).

Cassettes live in ``cassettes/<market>_<group>/`` at the repository root. Replays use
``record_mode="none"``: a request the cassette does not hold fails the test, and no
test reaches the network. The same filters apply when a cassette is (re)recorded, so
a cassette never holds an API key, a signature or a nonce.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
import vcr

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"

VCR_CONFIG: dict[str, Any] = {
    "cassette_library_dir": str(CASSETTES),
    "record_mode": "none",
    "filter_headers": ["API-Key", "API-Sign", "APIKey", "Authent", "Nonce"],
    # client order ids the SDK gives orders that had none are new UUIDs each run: filtered like the nonce
    "filter_post_data_parameters": ["nonce", "cl_ord_id", "cliOrdId"],
    "filter_query_parameters": ["nonce"],
    # the body is matched after the nonce is filtered out, so a cassette pins what the SDK sends
    "match_on": ["method", "scheme", "host", "port", "path", "query", "body"],
    "decode_compressed_response": True,
}


def make_vcr(**overrides: Any) -> vcr.VCR:
    """A ``vcr.VCR`` with the shared settings (``record_mode`` etc. may be overridden)."""
    return vcr.VCR(**{**VCR_CONFIG, **overrides})


@pytest.fixture
def kraken_vcr() -> vcr.VCR:
    """The shared replay-only VCR."""
    return make_vcr()


@pytest.fixture
def vcr_factory() -> Callable[..., vcr.VCR]:
    """``make_vcr`` as a fixture (test modules should not import ``conftest`` by name)."""
    return make_vcr
