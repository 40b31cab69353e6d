"""The runnable examples of README.md, CONTRIBUTING.md and docs/*.md, and how the doc test runs them.

Which blocks run
----------------
Fenced blocks (```` ``` ```` or ``~~~``) whose info string is

- ``sh``, ``bash``, ``shell``: run with bash (``set -eo pipefail``);
- ``console``: the lines starting with ``$ `` are run (a line ending in ``\\`` continues
  the command), every other line is output and is not;
- ``python``, ``py``: run with the project's Python.

Fences of other languages (``text``, ``toml``, ``json``, ``yaml``, ``ini``, ``csv``, ``promql``)
show output, configuration or fragments and are not run. A fence without a language fails
the test: say ``text`` for output or usage lines, or a runnable language. Indented code
blocks are not examined.

Markers
-------
An HTML comment on the line right before the opening fence (invisible on GitHub):

- ``<!-- example: skip (REASON) -->``: not run, for a reason that is not "it needs the real
  Kraken" (it serves forever, installs software, prompts, runs the test suite ...);
- ``<!-- example: needs-kraken (REASON) -->``: not run: it needs the real Kraken, a real API
  key, or another host;
- ``<!-- example: kraken-errors-ok (REASON) -->``: runs, and an error answered by the exchange
  (a ``KrakenException`` with a ``kraken_error``; in shell, exit code 1 "Kraken said no" or 10
  "Kraken said the id is invalid" of a command) is printed instead of failing the block:
  for reference blocks whose ids, addresses or strategies are illustrative. Anything else
  (a ``TypeError`` for a wrong parameter, a usage error, a traceback) still fails.

A reason in parentheses is required. Generated documents name the test that runs their
examples instead: ``<!-- examples: run by tests/PATH.py::TEST -->`` anywhere in the file
(docs/cli.md: the command catalog's examples, run by tests/cli/test_help_and_catalog.py).

How a document runs
-------------------
Each document gets its own sandbox: a temporary HOME and XDG dirs, ``KRAKEN_OPS_CONFIG``,
``KRAKEN_OPS_STATE_DIR``, a keyring in a 0600 JSON file shared by every process
(``doc_keyring.py``), and a working directory holding a copy of the repository's
``profiles/`` and ``completions/`` and an ``orders.ndjson`` of two limit orders. A local exchange (seed 7) runs
on an ephemeral loopback port with its state in the sandbox's default state dir (so
``server.json`` names it, as after ``kraken-ops exchange serve``). Two paper profiles,
``bot1`` (the default) and ``bot2``, are stored on funded accounts of it, with
``kraken-ops exchange account add NAME --profile NAME``.

The document's shell blocks run first, in order, in one bash process (they share
variables, the working directory and background jobs); then its Python blocks, in order,
in one interpreter (``run_python_blocks.py``: shared names, top-level ``await``).

The mapping (what a block is run against instead of what it says):

- ``127.0.0.1:8787`` and ``localhost:8787`` (the exchange's default address) in a block's
  text become the test exchange's address: the test never binds a fixed port.
- Shell: ``https://api.kraken.com`` and ``https://futures.kraken.com`` in a block's text become
  the test exchange's URL. Python: the SDK's default URLs (``SpotClient.URL``,
  ``FuturesClient.URL``, the WebSocket clients' URLs) point at the test exchange.
- Python: the placeholder credentials ``"api-key"`` (key) and ``"secret-key"`` or
  ``"api-secret"`` (secret) passed to a client become a funded account of the test exchange,
  a new one for each client, so that each example has its own rate-limit counter (its Spot
  key for Spot clients, its Futures key for Futures clients; tier pro, the accounts' tier,
  for the client's rate limiter unless the block names a tier).
- ``kraken-ops`` is a wrapper (first on ``PATH``) that runs the real one, except that
  ``kraken-ops exchange serve`` without ``--port`` stands in for the test's exchange (it
  says so and exits 0: the test's exchange already serves that state dir), and
  ``kraken-ops profile add ... --paper`` without ``--url`` gets ``--url`` of the test
  exchange (its default is port 8787).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
if str(ROOT / "tests") not in sys.path:
    sys.path.append(str(ROOT / "tests"))  # exchange_server.py (pytest puts it there; a script may not)

SHELL = {"sh", "bash", "shell"}
CONSOLE = {"console"}
PYTHON = {"python", "py"}
NOT_RUN = {"text", "toml", "json", "yaml", "ini", "csv", "promql", "diff"}
MARKER_KINDS = ("skip", "needs-kraken", "kraken-errors-ok")
PLACEHOLDER_KEYS = ("api-key",)
PLACEHOLDER_SECRETS = ("secret-key", "api-secret")
DEFAULT_ADDRESSES = ("127.0.0.1:8787", "localhost:8787")
KRAKEN_URLS = ("https://api.kraken.com", "https://futures.kraken.com")
SHELL_OK_CODES = (1, 10)  # kraken-errors-ok: Kraken said no / the id is invalid (docs/scripting.md, exit codes)

FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
MARKER = re.compile(r"^\s*<!--\s*example:\s*(?P<kind>[a-z-]+)\s*(?:\((?P<reason>.*)\))?\s*-->\s*$")
ANY_MARKER = re.compile(r"^ {0,3}<!--\s*examples?\b")  # at the start of a line: not in an indented code block or in prose
DELEGATED = re.compile(r"<!--\s*examples:\s*run by\s+(?P<test>tests/\S+\.py::\w+)\s*-->")


def documents() -> list[Path]:
    docs = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
    return [d for d in docs if d.exists()]


@dataclass
class Block:
    doc: str  # path relative to the repository
    line: int  # line number of the opening fence (1-based)
    lang: str
    text: str
    marker: str | None = None  # skip | needs-kraken | kraken-errors-ok
    reason: str | None = None

    @property
    def runs(self) -> bool:
        return self.kind in ("shell", "python") and self.marker in (None, "kraken-errors-ok")

    @property
    def kind(self) -> str:
        if self.lang in SHELL or self.lang in CONSOLE:
            return "shell"
        if self.lang in PYTHON:
            return "python"
        return "other"

    def commands(self) -> str:
        """What bash runs: the block, or a console block's ``$ `` lines."""
        if self.lang not in CONSOLE:
            return self.text
        out, continuing = [], False
        for line in self.text.splitlines():
            if continuing or line.startswith("$ "):
                command = line if continuing else line[2:]
                out.append(command)
                continuing = command.rstrip().endswith("\\")
            else:
                out.append("")  # output: keep the line numbers
        return "\n".join(out) + "\n"

    def where(self) -> str:
        return f"{self.doc}:{self.line}"


@dataclass
class Parsed:
    doc: str
    blocks: list[Block] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # unlabelled fences, bad markers
    delegated_to: str | None = None


def parse(path: Path) -> Parsed:
    rel = path.relative_to(ROOT).as_posix()
    lines = path.read_text().splitlines()
    parsed = Parsed(rel)
    delegated = DELEGATED.search("\n".join(lines))
    if delegated:
        parsed.delegated_to = delegated.group("test")
    i = 0
    while i < len(lines):
        line = lines[i]
        if ANY_MARKER.search(line) and not DELEGATED.search(line):
            marker = MARKER.match(line)
            if not marker:
                parsed.problems.append(f"{rel}:{i + 1}: malformed marker {line.strip()!r} (use <!-- example: KIND (REASON) -->)")
            elif marker.group("kind") not in MARKER_KINDS:
                parsed.problems.append(f"{rel}:{i + 1}: unknown marker kind {marker.group('kind')!r} (one of {', '.join(MARKER_KINDS)})")
            elif not (marker.group("reason") or "").strip():
                parsed.problems.append(f"{rel}:{i + 1}: the marker needs a reason: <!-- example: {marker.group('kind')} (REASON) -->")
            elif i + 1 >= len(lines) or not FENCE.match(lines[i + 1]):
                parsed.problems.append(f"{rel}:{i + 1}: a marker must be on the line right before the opening fence")
        opening = FENCE.match(line)
        if not opening:
            i += 1
            continue
        fence, info = opening.group("fence"), opening.group("info").strip()
        lang = info.split()[0].lower() if info else ""
        body: list[str] = []
        j = i + 1
        while j < len(lines):
            closing = FENCE.match(lines[j])
            if closing and closing.group("fence")[0] == fence[0] and len(closing.group("fence")) >= len(fence) and not closing.group("info").strip():
                break
            body.append(lines[j][len(opening.group("indent")):] if lines[j].startswith(opening.group("indent")) else lines[j])
            j += 1
        block = Block(rel, i + 1, lang, "\n".join(body) + "\n")
        marker = MARKER.match(lines[i - 1]) if i > 0 else None
        if marker and marker.group("kind") in MARKER_KINDS:
            block.marker, block.reason = marker.group("kind"), (marker.group("reason") or "").strip()
        if not lang:
            parsed.problems.append(f"{rel}:{i + 1}: a fence without a language: label it `text` (output, usage) or sh/console/python (run)")
        elif lang not in SHELL | CONSOLE | PYTHON | NOT_RUN:
            parsed.problems.append(f"{rel}:{i + 1}: unknown fence language {lang!r} (run: sh, bash, console, python; shown: {', '.join(sorted(NOT_RUN))})")
        elif block.marker and block.kind == "other":
            parsed.problems.append(f"{rel}:{i}: a marker on a {lang!r} block, which is never run")  # the marker's line
        parsed.blocks.append(block)
        i = j + 1
    return parsed


# --- the sandbox ---------------------------------------------------------------------------------

WRAPPER = r"""#!/usr/bin/env bash
# kraken-ops for the documentation test (tests/docs/doc_examples.py, "The mapping").
# The sandbox's environment is written in, for programs that start kraken-ops with an
# environment of their own (an MCP client passes only HOME, PATH, SHELL, TERM, USER, LOGNAME).
@EXPORTS@
real="$KRAKEN_OPS_DOC_REAL"
if [ "${1-}" = exchange ] && [ "${2-}" = serve ]; then
  case " $* " in
    *" --port "*|*" --port="*) ;;
    *) echo "doc test: the test's exchange at $KRAKEN_OPS_DOC_URL stands in for \`kraken-ops $*\` (port 8787)" >&2
       exit 0 ;;
  esac
fi
if [ "${1-}" = profile ] && [ "${2-}" = add ]; then
  case " $* " in
    *" --paper "*) case " $* " in *" --url "*|*" --url="*) ;; *) set -- "$@" --url "$KRAKEN_OPS_DOC_URL" ;; esac ;;
  esac
fi
exec "$real" "$@"
"""

DRIVER_HEAD = r"""set -eo pipefail
exec 2>&1 </dev/null
__doc_block=0
trap '__doc_rc=$?; echo "@@command-failed $__doc_block $LINENO $__doc_rc"' ERR
trap 'jobs -p | xargs -r kill 2>/dev/null || true' EXIT
"""

BOT_FUNDS = ("ZUSD=100000", "XXBT=2", "XETH=10", "DOT=100", "ZEUR=10000")
PLACEHOLDER_FUNDS = {"ZUSD": "100000", "XXBT": "2", "XETH": "10", "DOT": "100", "ZEUR": "10000", "XXLM": "1000"}
FUTURES_FUNDS = {"USD": "100000", "XBT": "1"}
PLACEHOLDER_ACCOUNTS = 16  # handed out in turn to the clients built with placeholder credentials


@dataclass
class Result:
    doc: str
    ran: list[Block]
    skipped: list[Block]
    failures: list[str]
    seconds: float
    output: str = ""  # everything the blocks printed (shell, then Python)


class Sandbox:
    """A document's HOME, config, keyring, working dir and local exchange."""

    def __init__(self, doc: str) -> None:
        from exchange_server import ExchangeServer  # tests/exchange_server.py

        from kraken_ops.exchange.server import write_server_json

        self.doc = doc
        self.tmp = Path(tempfile.mkdtemp(prefix="kraken-doc-"))
        for name in ("home", "config", "data", "state", "cache", "work", "bin", "run"):
            (self.tmp / name).mkdir()
        self.exchange_state = self.tmp / "data" / "kraken-ops" / "exchange"
        self.exchange_state.mkdir(parents=True)
        self.server = ExchangeServer(self.exchange_state, seed=7)
        write_server_json(self.exchange_state, self.server.url)
        self.url = self.server.url
        real = shutil.which("kraken-ops", path=str(Path(sys.executable).parent)) or shutil.which("kraken-ops")
        assert real, "kraken-ops is not installed next to the test's Python"
        self.env = self._env(real)
        exports = "\n".join(f"export {k}={shlex.quote(v)}" for k, v in self.env.items() if k not in ("PATH", "TERM", "LANG", "LC_ALL", "USER", "LOGNAME", "SHELL", "TMPDIR"))
        wrapper = self.tmp / "bin" / "kraken-ops"
        wrapper.write_text(WRAPPER.replace("@EXPORTS@", exports))
        wrapper.chmod(0o755)
        for folder in ("profiles", "completions"):  # what the docs' commands read from a clone
            shutil.copytree(ROOT / folder, self.tmp / "work" / folder)
        order = {"ordertype": "limit", "type": "buy", "volume": "0.01"}
        (self.tmp / "work" / "orders.ndjson").write_text("".join(json.dumps({**order, "price": p}) + "\n" for p in ("20000", "19000")))
        for name in ("bot1", "bot2"):
            self.kraken_ops("exchange", "account", "add", name, *(a for f in BOT_FUNDS for a in ("--fund", f)), "--profile", name)
        self._set_default("bot1")
        self.accounts = []  # for the placeholder credentials: one a client
        for i in range(PLACEHOLDER_ACCOUNTS):
            account = self.server.add_account(f"you{i}", fund=PLACEHOLDER_FUNDS)
            self._fund_futures(account.name)
            self.accounts.append({"spot": {"key": account.spot_key, "secret": account.spot_secret},
                                  "futures": {"key": account.futures_key, "secret": account.futures_secret}})

    def _env(self, real: str) -> dict[str, str]:
        keep = ("LANG", "LC_ALL", "TERM", "TMPDIR", "USER", "LOGNAME", "SHELL")
        env = {k: os.environ[k] for k in keep if k in os.environ}
        venv_bin = str(Path(sys.executable).parent)
        env.update(
            PATH=os.pathsep.join([str(self.tmp / "bin"), venv_bin, os.environ.get("PATH", os.defpath)]),
            HOME=str(self.tmp / "home"),
            XDG_CONFIG_HOME=str(self.tmp / "config"),
            XDG_DATA_HOME=str(self.tmp / "data"),
            XDG_STATE_HOME=str(self.tmp / "state"),
            XDG_CACHE_HOME=str(self.tmp / "cache"),
            XDG_RUNTIME_DIR=str(self.tmp / "run"),
            KRAKEN_OPS_CONFIG=str(self.tmp / "config" / "kraken-ops.toml"),
            KRAKEN_OPS_STATE_DIR=str(self.tmp / "state" / "kraken-ops"),
            PYTHON_KEYRING_BACKEND="doc_keyring.FileKeyring",
            KRAKEN_OPS_DOC_KEYRING=str(self.tmp / "keyring.json"),
            PYTHONPATH=str(HERE),
            KRAKEN_OPS_DOC_URL=self.url,
            KRAKEN_OPS_DOC_REAL=real,
            NO_COLOR="1",
            COLUMNS="100",
            PYTHONDONTWRITEBYTECODE="1",
        )
        return env

    def kraken_ops(self, *args: str) -> str:
        done = subprocess.run([str(self.tmp / "bin" / "kraken-ops"), *args], env=self.env, cwd=self.tmp / "work",
                              capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, f"set-up of {self.doc}: kraken-ops {' '.join(args)} exited {done.returncode}: {done.stderr}"
        return done.stdout

    def _set_default(self, name: str) -> None:
        import tomllib

        import tomli_w

        path = Path(self.env["KRAKEN_OPS_CONFIG"])
        config = tomllib.loads(path.read_text())
        config["default"] = name
        path.write_text(tomli_w.dumps(config))

    def _fund_futures(self, account: str) -> None:
        from decimal import Decimal

        from kraken_ops.exchange.futures import ENGINE_KEY

        from kraken_ops.exchange.futures.funding import DEFAULT_FUTURES_FUNDS, parse_futures_funds

        engine = self.server.runner.app[ENGINE_KEY]
        for asset, amount in FUTURES_FUNDS.items():
            self.server.call(lambda a=asset, v=amount: engine.credit(account, "flex", a, Decimal(v), info="admin transfer"))
        # the inverse contracts' (PI_XBTUSD's, PI_ETHUSD's) wallets hold coin, as a paper profile's do
        for wallet, unit, value in parse_futures_funds(DEFAULT_FUTURES_FUNDS):
            if wallet != "flex":
                self.server.call(lambda w=wallet, u=unit, v=value: engine.credit(account, w, u, v, info="admin transfer"))

    def rewrite(self, text: str, kind: str) -> str:
        port_address = self.url.split("://", 1)[1]
        for address in DEFAULT_ADDRESSES:
            text = text.replace(address, port_address)
        if kind == "shell":
            for url in KRAKEN_URLS:
                text = text.replace(url, self.url)
        return text

    def close(self) -> None:
        self.server.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


# --- running -------------------------------------------------------------------------------------

def _sections(output: str, marker: str) -> dict[int, str]:
    """The output after each ``@@block N`` line, by block index or line."""
    out: dict[int, str] = {}
    current: int | None = None
    for line in output.splitlines(keepends=True):
        if line.startswith(marker):
            current = int(line.split()[1])
            out[current] = ""
        elif current is not None:
            out[current] += line
    return out


def _report(block: Block, problem: str, output: str, at_line: int | None = None) -> str:
    where = f"{block.doc}:{at_line}" if at_line else block.where()
    shown = output if len(output) <= 6000 else output[:1500] + "\n[...]\n" + output[-4000:]
    return (f"{where}: {problem}\n--- the block ({block.lang}, from {block.where()}) ---\n{block.text.rstrip()}\n"
            f"--- its output ---\n{shown.rstrip() or '(none)'}\n")


def run_shell(sandbox: Sandbox, blocks: list[Block], timeout: float, log: list[str]) -> list[str]:
    if not blocks:
        return []
    parts = [DRIVER_HEAD]
    for index, block in enumerate(blocks):
        path = sandbox.tmp / f"block-{index}.sh"
        body = sandbox.rewrite(block.commands(), "shell")
        if block.marker == "kraken-errors-ok":
            body = _tolerant(body)
        path.write_text(body)
        parts.append(f'__doc_block={index}; echo "@@block {index}"; source {path}\n')
    parts.append('echo "@@done"\n')
    driver = sandbox.tmp / "driver.sh"
    driver.write_text("".join(parts))
    try:
        done = subprocess.run(["bash", str(driver)], env=sandbox.env, cwd=sandbox.tmp / "work", capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        output, code = done.stdout + done.stderr, done.returncode
    except subprocess.TimeoutExpired as exc:
        output = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        code = None
    log.append(output)
    sections = _sections(output, "@@block ")
    if code == 0 and "@@done" in output:
        return []
    last = max(sections) if sections else 0
    block = blocks[last]
    failed = re.search(r"^@@command-failed (\d+) (\d+) (\d+)$", output, re.M)
    text = sections.get(last, output)
    text = re.sub(r"^@@.*\n?", "", text, flags=re.M)
    if code is None:
        return [_report(block, f"timed out after {timeout:.0f} s (a command that waits or serves forever? mark it skip)", text)]
    if failed:
        line = block.line + int(failed.group(2))
        return [_report(block, f"a command exited {failed.group(3)}", text, line)]
    return [_report(block, f"bash exited {code}", text)]


def _tolerant(body: str) -> str:
    """Shell for ``kraken-errors-ok``: each command of the block may end with exit 1 or 10."""
    return ("__doc_ok() { local rc=$?; case $rc in " + "|".join(map(str, SHELL_OK_CODES)) +
            ") echo \"@@kraken-error exit $rc\";; *) return $rc;; esac; }\n" +
            "\n".join(f"{{ {line}\n}} || __doc_ok" if line.strip() and not line.lstrip().startswith("#") and not line.rstrip().endswith("\\") else line
                      for line in body.splitlines()) + "\n")


def run_python(sandbox: Sandbox, blocks: list[Block], timeout: float, log: list[str]) -> list[str]:
    if not blocks:
        return []
    spec = {
        "doc": blocks[0].doc,
        "url": sandbox.url,
        "accounts": sandbox.accounts,
        "placeholder_keys": PLACEHOLDER_KEYS,
        "placeholder_secrets": PLACEHOLDER_SECRETS,
        "blocks": [{"line": b.line, "text": sandbox.rewrite(b.text, "python"), "kraken_errors_ok": b.marker == "kraken-errors-ok"} for b in blocks],
    }
    path = sandbox.tmp / "python-blocks.json"
    path.write_text(json.dumps(spec))
    try:
        done = subprocess.run([sys.executable, str(HERE / "run_python_blocks.py"), str(path)], env=sandbox.env,
                              cwd=sandbox.tmp / "work", capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        output, code = done.stdout + done.stderr, done.returncode
    except subprocess.TimeoutExpired as exc:
        output = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        code = None
    log.append(output)
    if code == 0 and "@@done" in output:
        return []
    sections = _sections(output, "@@block ")
    by_line = {b.line: b for b in blocks}
    reports = []
    for line, text in sections.items():
        failed = re.search(r"^@@statement-failed (\d+)$", text, re.M)
        if failed:
            reports.append(_report(by_line[line], "the statement raised", re.sub(r"^@@.*\n?", "", text, flags=re.M), int(failed.group(1))))
    if code is None:
        last = max(sections) if sections else blocks[0].line
        reports.append(_report(by_line.get(last, blocks[0]), f"timed out after {timeout:.0f} s", re.sub(r"^@@.*\n?", "", sections.get(last, output), flags=re.M)))
    elif not reports:
        reports.append(_report(blocks[0], f"python exited {code} (the blocks' output follows)", output))
    return reports


def run_document(parsed: Parsed, timeout: float = 150) -> Result:
    started = time.monotonic()
    ran = [b for b in parsed.blocks if b.runs]
    skipped = [b for b in parsed.blocks if b.kind != "other" and not b.runs]
    failures = list(parsed.problems)
    log: list[str] = []
    if ran and not parsed.delegated_to:
        sandbox = Sandbox(parsed.doc)
        try:
            failures += run_shell(sandbox, [b for b in ran if b.kind == "shell"], timeout, log)
            failures += run_python(sandbox, [b for b in ran if b.kind == "python"], timeout, log)
        finally:
            sandbox.close()
    return Result(parsed.doc, [] if parsed.delegated_to else ran, skipped, failures, time.monotonic() - started, "".join(log))


def dedent(text: str) -> str:
    return textwrap.dedent(text)


def iter_runnable(parsed: Parsed) -> Iterator[Block]:
    return (b for b in parsed.blocks if b.runs)
