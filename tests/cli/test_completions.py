"""The shell completions generated from the command catalog (scripts/gen_completions.py)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kraken_ops.cli import catalog

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = {"bash": ROOT / "completions" / "kraken-ops.bash", "zsh": ROOT / "completions" / "_kraken-ops", "fish": ROOT / "completions" / "kraken-ops.fish"}


def bash_complete(line: str, env: dict[str, str] | None = None) -> list[str]:
    """COMPREPLY of the generated bash function for ``line`` (the cursor at its end)."""
    words = shlex.split(line) + ([""] if line.endswith(" ") else [])
    program = (
        f"source {shlex.quote(str(SCRIPTS['bash']))}\n"
        f"COMP_WORDS=({' '.join(shlex.quote(w) for w in words)})\n"
        f"COMP_CWORD={len(words) - 1}\n"
        '_kraken_ops\nprintf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])  # kraken-ops for dynamic values
    result = subprocess.run(["bash", "-c", program], capture_output=True, text=True, env={**(env or os.environ), "PATH": path}, timeout=60)
    assert result.returncode == 0, result.stderr
    return [w for w in result.stdout.splitlines() if w]


needs_bash = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")


@needs_bash
def test_bash_completes_commands_options_and_choices_without_python():
    assert bash_complete("kraken-ops or") == ["orders"]
    assert bash_complete("kraken-ops orders c") == ["closed", "create", "cancel", "cancel-all", "cancel-after"]
    assert bash_complete("kraken-ops futures orders d") == ["dead-man-switch"]
    assert bash_complete("kraken-ops orders create --si") == ["--side"]
    assert bash_complete("kraken-ops orders create --side ") == ["buy", "sell"]
    assert bash_complete("kraken-ops orders create --pair XBTUSD --type stop-loss-") == ["stop-loss-limit"]
    assert bash_complete("kraken-ops -o nd") == ["ndjson"]
    assert "--query" in bash_complete("kraken-ops balances --q")
    assert bash_complete("kraken-ops market ticker --asset-class tok") == ["tokenized_asset"]


@needs_bash
def test_bash_asks_kraken_ops_for_pairs_and_profiles(cli):
    cli.add_profile("paper-one")
    env = {**cli.env(), "KRAKEN_OPS_CACHE_DIR": str(cli.tmp / "cache")}
    assert "XBTUSD" in bash_complete("kraken-ops market ticker XBT", env)
    assert bash_complete("kraken-ops balances --profile paper-", env) == ["paper-one"]


def test_every_command_is_in_every_script():
    cat = catalog.build()
    texts = {shell: path.read_text() for shell, path in SCRIPTS.items()}
    for spec in cat.commands:
        key = " ".join(spec.path)
        if spec.subcommands:
            assert f"'{key}') REPLY='{' '.join(spec.subcommands)}'" in texts["bash"], key
            assert f"'{key}') REPLY=" in texts["zsh"], key
        assert f"__kraken_ops_at \\'{key}\\'" in texts["fish"], key


@pytest.mark.parametrize("shell, check", [("bash", ["bash", "-n"]), ("zsh", ["zsh", "-n"]), ("fish", ["fish", "--no-execute"])])
def test_scripts_parse(shell, check):
    if shutil.which(check[0]) is None:
        pytest.skip(f"{check[0]} is not installed")
    result = subprocess.run([*check, str(SCRIPTS[shell])], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
