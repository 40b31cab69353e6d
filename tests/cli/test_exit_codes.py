"""Every error category has its own exit code, and docs/scripting.md documents each one."""

from __future__ import annotations

import re
from pathlib import Path

from kraken_ops.cli.errors import CATEGORIES

DOC = Path(__file__).resolve().parents[2] / "docs" / "scripting.md"


def test_each_category_has_its_own_exit_code() -> None:
    codes = [c.exit_code for c in CATEGORIES.values()]
    assert len(codes) == len(set(codes))


def test_usage_and_interrupt_codes_are_unchanged() -> None:
    assert CATEGORIES["usage"].exit_code == 2
    assert CATEGORIES["interrupted"].exit_code == 130
    assert CATEGORIES["api"].exit_code == 1


def test_docs_list_every_category_with_its_code() -> None:
    rows = dict(re.findall(r"^\| (\d+) \| `(\w+)` \|", DOC.read_text(), flags=re.M))
    documented = {category: int(code) for code, category in rows.items()}
    expected = {name: c.exit_code for name, c in CATEGORIES.items() if name != "interrupted"}
    assert documented == expected
