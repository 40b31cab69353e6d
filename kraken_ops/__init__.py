"""kraken-ops: a multi-account operations suite for the Kraken exchange."""

from __future__ import annotations

__version__ = "0.1.0"
