"""Fixtures for the profile tests: an isolated config and state dir, and keyrings.

Every test gets ``KRAKEN_OPS_CONFIG`` and ``KRAKEN_OPS_STATE_DIR`` under ``tmp_path``
and an in-memory keyring, so nothing touches the real user config or keyring.
Tests that use the ``any_keyring`` fixture run twice: against the in-memory backend
and against a real Secret Service (``keyring_real``, skipped unless one is reachable;
see ``run_real_keyring.sh``).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Iterator

import keyring
import pytest

from keyring_memory import MemoryKeyring

ENV_VARS = ("KRAKEN_OPS_PROFILE", "KRAKEN_OPS_API_KEY", "KRAKEN_OPS_SECRET_KEY", "KRAKEN_OPS_KEYRING_SERVICE")


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private config file and state dir for each test; no profile env vars."""
    monkeypatch.setenv("KRAKEN_OPS_CONFIG", str(tmp_path / "config" / "config.toml"))
    monkeypatch.setenv("KRAKEN_OPS_STATE_DIR", str(tmp_path / "state"))
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "config" / "config.toml"


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def secret_service_problem() -> str | None:
    """Why a real Secret Service cannot be used here (None when it can)."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return "no D-Bus session bus (run tests/profiles/run_real_keyring.sh)"
    try:
        from keyring.backends import SecretService

        backend = SecretService.Keyring()
        if backend.priority <= 0:  # type: ignore[operator]
            return "Secret Service backend not viable"
        probe = f"probe-{uuid.uuid4().hex}"
        backend.set_password("kraken-ops-test-probe", probe, "x")
        backend.delete_password("kraken-ops-test-probe", probe)
    except Exception as exc:  # noqa: BLE001 - any failure means: skip
        return f"Secret Service unusable: {type(exc).__name__}: {exc}"
    return None


@pytest.fixture(
    params=[
        "memory",
        pytest.param("secret_service", marks=pytest.mark.keyring_real),
    ]
)
def any_keyring(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring) -> Iterator[str]:
    """Run the test against the in-memory keyring and against a real Secret Service."""
    if request.param == "memory":
        yield "memory"
        return
    problem = secret_service_problem()
    if problem:
        pytest.skip(problem)
    from keyring.backends import SecretService

    service = f"kraken-ops-test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("KRAKEN_OPS_KEYRING_SERVICE", service)
    backend = SecretService.Keyring()
    keyring.set_keyring(backend)
    try:
        yield "secret_service"
    finally:
        for item in _items(backend, service):
            item.delete()


def _items(backend: object, service: str) -> list:
    try:
        collection = backend.get_preferred_collection()  # type: ignore[attr-defined]
        return list(collection.search_items({"service": service}))
    except Exception:  # noqa: BLE001
        return []
