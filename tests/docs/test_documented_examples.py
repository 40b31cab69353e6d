"""Every documented example runs (issue 12, item 8).

The shell, console and Python blocks of README.md, CONTRIBUTING.md and docs/*.md run
against a local exchange on an ephemeral port, each document in a sandbox of its own;
a block that cannot run offline carries a marker with a reason. The conventions (which
fences run, the markers, the sandbox and how the docs' addresses, Kraken's hosts and the
placeholder keys are mapped to the test exchange) are in ``doc_examples.py``'s docstring
and CONTRIBUTING.md ("Documented examples").

A failure names the document and line, shows the block and its output. Run one document:
``python -m pytest tests/docs -k README``.
"""

from __future__ import annotations

import concurrent.futures
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import doc_examples as dx  # noqa: E402

sys.path.pop(0)

DOCS = dx.documents()
IDS = [d.relative_to(dx.ROOT).as_posix() for d in DOCS]


@pytest.fixture(scope="module")
def results(request: pytest.FixtureRequest) -> dict[str, dx.Result]:
    """The selected documents (``-k``), run three at a time (each waits mostly on its subprocesses)."""
    selected = {item.callspec.params["doc"] for item in request.session.items
                if item.originalname == "test_every_example_of_the_document_runs" and hasattr(item, "callspec")}
    parsed = [dx.parse(d) for d, doc in zip(DOCS, IDS) if doc in selected]
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        done = list(pool.map(dx.run_document, parsed))
    return {r.doc: r for r in done}


@pytest.mark.timeout(600)
@pytest.mark.parametrize("doc", IDS)
def test_every_example_of_the_document_runs(doc: str, results: dict[str, dx.Result]) -> None:
    result = results[doc]
    tolerant = sum(b.marker == "kraken-errors-ok" for b in result.ran)
    kinds = {k: sum(b.marker == k for b in result.skipped) for k in ("skip", "needs-kraken")}
    print(f"{doc}: {len(result.ran)} blocks run ({tolerant} kraken-errors-ok), not run: {kinds['skip']} skip, "
          f"{kinds['needs-kraken']} needs-kraken; {result.seconds:.1f} s")
    assert not result.failures, "\n\n".join(result.failures)


def test_the_examples_that_run_cover_the_quick_start_and_the_sdk() -> None:
    """The important documents keep running examples (a marker on everything would pass the test above)."""
    counts = {doc: sum(b.runs for b in dx.parse(dx.ROOT / doc).blocks) for doc in ("README.md", "docs/sdk.md", "docs/sdk-futures.md", "docs/scripting.md")}
    assert all(n >= 2 for n in counts.values()), counts


def test_a_delegating_document_names_a_test_that_exists() -> None:
    for path in DOCS:
        parsed = dx.parse(path)
        if parsed.delegated_to:
            file, _, name = parsed.delegated_to.partition("::")
            assert re.search(rf"^def {name}\(", (dx.ROOT / file).read_text(), re.M), parsed.delegated_to


def test_the_command_reference_examples_are_the_catalogs() -> None:
    """docs/cli.md hands its examples to the catalog test: each of its blocks must be a catalog example."""
    from kraken_ops.cli import catalog

    parsed = dx.parse(dx.ROOT / "docs" / "cli.md")
    assert parsed.delegated_to == "tests/cli/test_help_and_catalog.py::test_every_example_runs_against_the_local_exchange"
    specs = catalog.build().commands
    examples = {e.command for spec in specs for e in spec.examples}
    comments = {f"# {e.comment}" for spec in specs for e in spec.examples if e.comment}  # shown above the command
    shown = [line.strip() for b in parsed.blocks for line in b.text.splitlines() if line.strip()]
    strays = [line for line in shown if line not in examples and line not in comments]
    assert shown and not strays, strays[:5]


# --- the parser and the markers ---------------------------------------------------------------

def _parse_text(tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> dx.Parsed:
    monkeypatch.setattr(dx, "ROOT", tmp_path)
    path = tmp_path / "doc.md"
    path.write_text(text)
    return dx.parse(path)


def test_markers_languages_and_console_prompts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = _parse_text(tmp_path, (
        "# t\n\n```sh\necho hi\n```\n\n<!-- example: skip (serves forever) -->\n```sh\nkraken-ops exchange serve\n```\n"
        "\n```console\n$ kraken-ops version\nkraken-ops 0.1.0\n$ echo a \\\n  b\n```\n\n```json\n{}\n```\n"
        "<!-- example: kraken-errors-ok (illustrative ids) -->\n```python\nx = 1\n```\n"
    ), monkeypatch)
    assert parsed.problems == []
    sh, skipped, console, js, py = parsed.blocks
    assert (sh.runs, skipped.runs, skipped.marker, skipped.reason) == (True, False, "skip", "serves forever")
    assert console.commands().splitlines() == ["kraken-ops version", "", "echo a \\", "  b"]
    assert (js.kind, js.runs) == ("other", False)
    assert (py.runs, py.marker, py.line) == (True, "kraken-errors-ok", 23)


@pytest.mark.parametrize(("text", "problem"), [
    ("```\nls\n```\n", "without a language"),
    ("```rust\nfn main() {}\n```\n", "unknown fence language 'rust'"),
    ("<!-- example: skip -->\n```sh\nls\n```\n", "needs a reason"),
    ("<!-- example: sikp (typo) -->\n```sh\nls\n```\n", "unknown marker kind 'sikp'"),
    ("<!-- example: skip (x) -->\n\n```sh\nls\n```\n", "right before the opening fence"),
    ("<!-- example: skip (x) -->\n```json\n{}\n```\n", "never run"),
    ("<!-- example skip (x) -->\n```sh\nls\n```\n", "malformed marker"),
])
def test_bad_fences_and_markers_are_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, problem: str) -> None:
    parsed = _parse_text(tmp_path, text, monkeypatch)
    assert len(parsed.problems) == 1 and problem in parsed.problems[0], parsed.problems
    assert parsed.problems[0].startswith("doc.md:1")


def test_markers_shown_in_prose_or_an_indented_block_are_not_markers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = _parse_text(tmp_path, (
        "Mark it with `<!-- example: skip (REASON) -->`:\n\n    <!-- example: skip (serves until Ctrl-C) -->   not run\n\n"
        "```sh\necho runs\n```\n"
    ), monkeypatch)
    assert parsed.problems == []
    assert [(b.runs, b.marker) for b in parsed.blocks] == [(True, None)]


@pytest.mark.timeout(120)
def test_a_failing_block_is_reported_with_its_document_line_text_and_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the integrator sees when a block breaks: where, the block, what it printed."""
    parsed = _parse_text(tmp_path, (
        "# t\n\n```sh\necho first block runs\n```\n\n```sh\necho before the failure\nkraken-ops balances --profile nobody\necho never\n```\n\n"
        "```python\nprint('python runs')\n```\n\n```python\nx = 1\nraise ValueError('broken example')\n```\n"
    ), monkeypatch)
    monkeypatch.undo()  # the sandbox copies the real repository's profiles/ and completions/
    result = dx.run_document(parsed, timeout=90)
    assert len(result.failures) == 2, result.failures
    shell, python = result.failures
    assert shell.startswith("doc.md:9: a command exited ")  # the kraken-ops line
    assert "kraken-ops balances --profile nobody" in shell and "before the failure" in shell and "nobody" in shell.split("--- its output ---")[1]
    assert "never" not in shell.split("--- its output ---")[1]
    assert python.startswith("doc.md:19: the statement raised") and "ValueError: broken example" in python
    assert "python runs" not in python  # the passing block's output is not blamed
