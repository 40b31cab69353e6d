"""README.md's "Shell completion" instructions work (issue 12, item 8).

The README's bash block runs in a temporary HOME; a new interactive bash (which reads
~/.bashrc, as a new terminal would) then has the completion loaded and completes
``kraken-ops ord<Tab>``. The zsh and fish blocks put the generated scripts where the README
says (zsh and fish are not installed here, so that is as far as they are checked); and
``kraken-ops --install-completion`` in bash does what the README says it does.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import doc_examples as dx  # noqa: E402

sys.path.pop(0)

ROOT = dx.ROOT
pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")


def _readme_block(needle: str) -> dx.Block:
    parsed = dx.parse(ROOT / "README.md")
    blocks = [b for b in parsed.blocks if b.kind == "shell" and needle in b.text]
    assert len(blocks) == 1, f"README.md: expected one shell block with {needle!r}, found {len(blocks)}"
    return blocks[0]


def _env(home: Path) -> dict[str, str]:
    venv_bin = str(Path(sys.executable).parent)  # kraken-ops of this checkout, for the dynamic lookups
    return {"HOME": str(home), "PATH": os.pathsep.join([venv_bin, os.environ.get("PATH", os.defpath)]),
            "TERM": "dumb", "LANG": os.environ.get("LANG", "C.UTF-8")}


def _run_block(block: dx.Block, home: Path) -> None:
    done = subprocess.run(["bash", "-eo", "pipefail", "-c", block.text], cwd=ROOT, env=_env(home),
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"{block.where()}: exited {done.returncode}\n{block.text}\n{done.stdout}{done.stderr}"


def _new_interactive_bash(home: Path, commands: str) -> str:
    """What a new terminal's bash prints for ``commands`` (it reads ~/.bashrc first)."""
    done = subprocess.run(["bash", "-i", "-c", commands], env=_env(home), capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    return done.stdout


COMPLETE_ORD = 'COMP_WORDS=(kraken-ops ord); COMP_CWORD=1; COMP_LINE="kraken-ops ord"; COMP_POINT=${#COMP_LINE}; ' \
               '"$(complete -p kraken-ops | sed -n "s/.* -F \\([^ ]*\\) .*/\\1/p")" kraken-ops ord kraken-ops; ' \
               'printf "%s\\n" "${COMPREPLY[@]}"'


def test_the_readme_bash_instructions_make_a_new_shell_complete_kraken_ops(tmp_path: Path) -> None:
    block = _readme_block("completions/kraken-ops.bash")
    _run_block(block, tmp_path)
    assert _new_interactive_bash(tmp_path, "complete -p kraken-ops").strip() == "complete -o default -F _kraken_ops kraken-ops"
    assert _new_interactive_bash(tmp_path, COMPLETE_ORD).split() == ["orders"]


def test_without_the_instructions_a_new_shell_does_not_complete_kraken_ops(tmp_path: Path) -> None:
    """The check above can fail: a bash without the README's lines has no completion for kraken-ops."""
    done = subprocess.run(["bash", "-i", "-c", "complete -p kraken-ops"], env=_env(tmp_path), capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode != 0 and "kraken-ops" in done.stderr


@pytest.mark.parametrize(("needle", "installed"), [
    ("completions/_kraken-ops", ".zfunc/_kraken-ops"),
    ("completions/kraken-ops.fish", ".config/fish/completions/kraken-ops.fish"),
])
def test_the_readme_zsh_and_fish_instructions_put_the_scripts_where_the_shells_look(tmp_path: Path, needle: str, installed: str) -> None:
    _run_block(_readme_block(needle), tmp_path)
    assert filecmp.cmp(tmp_path / installed, ROOT / needle, shallow=False)
    if installed.startswith(".zfunc"):
        assert "fpath=(~/.zfunc $fpath)" in (tmp_path / ".zshrc").read_text()


def test_install_completion_in_bash_does_what_the_readme_says(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    assert "`~/.bash_completions/kraken-ops.sh` and a `source` line in `~/.bashrc` (bash)" in readme
    # "; true": bash stays kraken-ops's parent (no exec), so typer detects bash as the shell
    done = subprocess.run(["bash", "-c", "kraken-ops --install-completion; true"], env=_env(tmp_path),
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert "bash completion installed" in done.stdout + done.stderr, done.stdout + done.stderr
    script = tmp_path / ".bash_completions" / "kraken-ops.sh"
    assert "_KRAKEN_OPS_COMPLETE=complete_bash" in script.read_text()
    assert f"source '{script}'" in (tmp_path / ".bashrc").read_text()
    assert _new_interactive_bash(tmp_path, COMPLETE_ORD).split() == ["orders"]  # dynamic: kraken-ops answers
