"""Generate completions/kraken-ops.{bash,zsh,fish} from the typer app.

The scripts call back into kraken-ops for candidates, so profile names (and every
option value with an autocompletion) complete dynamically.

    python scripts/gen_completions.py          # write completions/
    python scripts/gen_completions.py --check  # exit 1 when they are out of date

After changing any command: python scripts/gen_docs.py && python scripts/gen_completions.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"bash": "kraken-ops.bash", "zsh": "_kraken-ops", "fish": "kraken-ops.fish"}


def render(shell: str) -> str:
    from typer._completion_shared import get_completion_script

    import kraken_ops.cli.app  # noqa: F401  (registers typer's completion classes)

    script = get_completion_script(prog_name="kraken-ops", complete_var="_KRAKEN_OPS_COMPLETE", shell=shell)
    return script.rstrip() + "\n"


def main(argv: list[str]) -> int:
    stale = []
    for shell, name in TARGETS.items():
        path = ROOT / "completions" / name
        text = render(shell)
        if "--check" in argv:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path.relative_to(ROOT)))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if stale:
        print(f"out of date: {', '.join(stale)}; run python scripts/gen_docs.py && python scripts/gen_completions.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
