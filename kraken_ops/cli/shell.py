"""``kraken-ops shell``: the CLI's commands at a prompt, with history and completion.

Each line is split like a shell does (:func:`shlex.split`) and run in-process by the
same click app as ``kraken-ops``, so the commands, their output and their exit codes
are the CLI's: ``market time`` prints what ``kraken-ops market time`` prints, an error
prints the same one line (and hint) on stderr, and the shell keeps running. The app
runs in click's standalone mode and the shell catches its ``SystemExit``: that is how
the CLI ends, and (unlike ``standalone_mode=False``, where a command's return value and
an exit code look alike) it gives the exit code exactly. The prompt shows the last
non-zero code; ``status`` prints it.

Built-in commands: ``use PROFILE`` (the profile of the following commands, shown in the
prompt; it sets ``$KRAKEN_OPS_PROFILE`` for them, so ``-p`` on one line still wins),
``use -`` (back to the default), ``use`` (which profile), ``status``, ``help [COMMAND]``,
``clear``, ``exit [CODE]``/``quit``/Ctrl-D. Ctrl-C cancels the line being typed, or stops the
running command (exit code 130). A line may start with ``kraken-ops`` (pasted from
the docs); ``#`` starts a comment.

On a terminal the prompt is prompt_toolkit's (imported only here, when the shell
starts; the CLI never imports it): history in ``STATE_DIR/shell_history`` (0600;
lines with a secret on them, such as ``--secret-key``, are never kept), Tab completion
of commands, subcommands, options and their choices from the command catalog
(:mod:`kraken_ops.cli.catalog`), profile names, and pairs (the exchange of the profile
in use, :mod:`kraken_ops.cli.completion`), and suggestions from history. Without a
terminal the shell reads commands from stdin, one a line, and exits with the last
command's code: ``printf 'use paper\\nbalances\\n' | kraken-ops shell``.

Money-moving commands still ask for confirmation inside the shell; a ``--yes`` given
to ``kraken-ops shell`` does not carry into its commands.
"""

from __future__ import annotations

import os
import shlex
import sys
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, TextIO

from kraken_ops.profiles import PROFILE_ENV

SHELL_ENV = "KRAKEN_OPS_SHELL"  # set while a shell runs (a nested `kraken-ops shell` is refused)
HISTORY_NAME = "shell_history"
SENSITIVE_OPTIONS = ("--secret-key", "--otp-password", "--otp-totp")  # values that must not reach the history file
BUILTINS = {
    "use": "use PROFILE: the profile of the following commands (use -: back to the default; use: which one)",
    "status": "the exit code of the last command",
    "clear": "clear the screen",
    "help": "help [COMMAND]: the help of kraken-ops or of a command",
    "exit": "exit [CODE]: leave the shell (also quit, Ctrl-D)",
    "quit": "leave the shell",
}
PATHS = object()  # a parameter whose values are file names


class ExitShell(Exception):
    """``exit``: leave with ``code``."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def sensitive(line: str) -> bool:
    """Whether a line carries a secret on it (never written to the history)."""
    return any(option in line for option in SENSITIVE_OPTIONS)


def _exit_code(code: Any) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)  # sys.exit("message"), as Python prints it
    return 1


class Session:
    """The state of one shell: the profile in use, the last exit code, the app, the catalog."""

    def __init__(self, root_args: Iterable[str] = (), *, stderr: TextIO | None = None) -> None:
        self.root_args = list(root_args)  # global options given to `kraken-ops shell`, before every line
        self.status = 0
        self.stderr = stderr
        self._root: Any = None
        self._start_profile = os.environ.get(PROFILE_ENV)  # what `use -` goes back to
        self._catalog: Any = None
        self._catalog_done = threading.Event()
        self._catalog_thread: threading.Thread | None = None

    # --- the profile ---------------------------------------------------------------------------
    @property
    def chosen(self) -> str | None:
        """The profile the next command uses when it names none (``use``, ``$KRAKEN_OPS_PROFILE``, the default)."""
        from kraken_ops import profiles

        try:
            return profiles.resolve_name(None)
        except Exception:  # noqa: BLE001 - a broken config: the command will say so
            return None

    def use(self, name: str | None) -> None:
        """Make ``name`` the profile of the following commands (``None``: back to the start)."""
        if name is None:
            if self._start_profile is None:
                os.environ.pop(PROFILE_ENV, None)
            else:
                os.environ[PROFILE_ENV] = self._start_profile
            return
        from kraken_ops.profiles import load_config

        load_config().get(name)  # an unknown profile: ProfileError, reported like the CLI does
        os.environ[PROFILE_ENV] = name

    def close(self) -> None:
        """Put ``$KRAKEN_OPS_PROFILE`` back as it was."""
        self.use(None)

    # --- running lines -------------------------------------------------------------------------
    def _err(self) -> TextIO:
        return self.stderr or sys.stderr

    def run(self, line: str) -> int:
        """Run one line; returns (and remembers) its exit code. ``exit`` raises :class:`ExitShell`."""
        try:
            words = shlex.split(line, comments=True)
        except ValueError as exc:  # no closing quotation
            print(f"error: {exc}", file=self._err())
            self.status = 2
            return self.status
        if words[:1] == ["kraken-ops"]:
            words = words[1:]
        if not words:
            return self.status
        head, rest = words[0], words[1:]
        if head in ("exit", "quit"):
            raise ExitShell(self._exit_argument(rest))
        if head == "status":
            print(self.status, flush=True)
            return self.status
        if head == "clear":
            if sys.stdout.isatty():
                sys.stdout.write("\x1b[H\x1b[2J")
                sys.stdout.flush()
            return self.status
        if head == "use":
            self.status = self._use(rest)
            return self.status
        if head == "help":
            if not rest:
                self._print_builtins()
            self.status = self.invoke([*rest, "--help"])
            return self.status
        if head == "shell":
            print("error: already in the kraken-ops shell", file=self._err())
            self.status = 2
            return self.status
        self.status = self.invoke(words)
        return self.status

    def _exit_argument(self, rest: list[str]) -> int:
        if not rest:
            return self.status
        try:
            return int(rest[0]) & 0xFF
        except ValueError:
            print(f"error: exit takes a number, not {rest[0]!r}", file=self._err())
            return 2

    def _use(self, rest: list[str]) -> int:
        if len(rest) > 1:
            print("error: use takes one profile name (use -: back to the default)", file=self._err())
            return 2
        if not rest:
            chosen = self.chosen
            print(f"profile: {chosen}" if chosen else "profile: none (no default profile; kraken-ops profile list)", flush=True)
            return 0
        try:
            self.use(None if rest[0] == "-" else rest[0])
        except Exception as exc:  # noqa: BLE001 - an unknown profile, a broken config
            from kraken_ops.cli import errors

            return errors.report(exc, None, envelope=False).exit_code
        chosen = self.chosen
        print(f"using profile {chosen}" if chosen else "using no profile (there is no default profile)", file=self._err())
        return 0

    def _print_builtins(self) -> None:
        print("SHELL COMMANDS", flush=True)
        for name, text in BUILTINS.items():
            print(f"  {name:<8}{text}", flush=True)
        print(flush=True)

    def root(self) -> Any:
        """The ``kraken-ops`` click group, built once (commands stay loaded between lines)."""
        if self._root is None:
            import typer

            from kraken_ops.cli import app

            self._root = typer.main.get_command(app.app)
        return self._root

    def invoke(self, words: list[str]) -> int:
        """Run ``kraken-ops WORDS`` in-process; its exit code."""
        self.wait_for_catalog()  # never load command modules in two threads at once
        args = [*self.root_args, *words]
        try:
            self.root().main(args, prog_name="kraken-ops", standalone_mode=True)
        except SystemExit as exc:
            code = _exit_code(exc.code)
        except KeyboardInterrupt:
            print("error: interrupted", file=self._err())
            code = 130
        except Exception:  # noqa: BLE001 - a bug: the traceback, as the CLI shows it, and the shell goes on
            traceback.print_exc()
            code = 1
        else:
            code = 0
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        return code

    # --- the catalog, for completion ---------------------------------------------------------------
    def load_catalog_in_background(self) -> None:
        def load() -> None:
            try:
                from kraken_ops.cli import catalog

                self._catalog = catalog.build()
            except Exception:  # noqa: BLE001 - no completion rather than no shell
                self._catalog = None
            finally:
                self._catalog_done.set()

        self._catalog_thread = threading.Thread(target=load, name="kraken-ops-catalog", daemon=True)
        self._catalog_thread.start()

    def wait_for_catalog(self) -> None:
        if self._catalog_thread is not None:
            self._catalog_done.wait()

    def catalog(self) -> Any:
        if self._catalog_thread is None and self._catalog is None:
            from kraken_ops.cli import catalog

            self._catalog = catalog.build()
        self.wait_for_catalog()
        return self._catalog

    # --- the prompt ------------------------------------------------------------------------------------
    def prompt_parts(self) -> list[tuple[str, str]]:
        """The prompt as (style, text) pieces: ``kraken-ops (paper) [3]> ``."""
        parts = [("class:name", "kraken-ops")]
        chosen = self.chosen
        if chosen:
            parts += [("", " "), ("class:profile", f"({chosen})")]
        if self.status:
            parts += [("", " "), ("class:status", f"[{self.status}]")]
        parts.append(("", "> "))
        return parts


# --- completion ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Candidate:
    text: str
    meta: str = ""


def _split(text: str) -> tuple[list[str], str]:
    """The complete words before the cursor, and the word being typed."""
    try:
        words = shlex.split(text)
    except ValueError:  # an open quote: complete as if it were closed
        try:
            words = shlex.split(text + '"')
        except ValueError:
            words = shlex.split(text + "'")
    if not text or text[-1].isspace():
        return words, ""
    return words[:-1], words[-1] if words else ""


class Completer:
    """What may follow the text before the cursor, from the command catalog (testable without a terminal)."""

    def __init__(
        self,
        catalog: Callable[[], Any],
        profiles: Callable[[], list[str]] | None = None,
        pairs: Callable[[str | None], list[str]] | None = None,
        commands: Callable[[], dict[str, str]] | None = None,
    ) -> None:
        self._catalog = catalog
        self._profiles = profiles or _profile_names
        self._pairs = pairs or _pairs_for
        self._commands = commands

    def candidates(self, text: str) -> list[Candidate] | object:
        """Completions of the word being typed (or :data:`PATHS` for a file name)."""
        words, current = _split(text)
        if words[:1] == ["kraken-ops"]:
            words = words[1:]
        if words[:1] == ["use"]:
            return self._match(self._profiles(), current, "profile") if len(words) == 1 else []
        if words[:1] and words[0] in ("exit", "quit", "status", "clear"):
            return []
        helping = words[:1] == ["help"]
        if helping:
            words = words[1:]
        if not words and not current.startswith("-") and self._commands is not None:  # no need to wait for the catalog
            return self._first_words(self._commands(), current, helping)
        cat = self._catalog()
        if cat is None:
            return []
        root = cat.get([])
        spec, expecting, used, positional, chosen_profile = root, None, [], 0, None
        for word in words:
            if expecting is not None:
                if expecting.name == "profile":
                    chosen_profile = word
                expecting = None
                continue
            if word.startswith("-") and word != "-":
                param = self._option(spec, root, word.split("=", 1)[0])
                if param is not None:
                    used.append(param)
                    if "=" in word and param.name == "profile":
                        chosen_profile = word.split("=", 1)[1]
                    elif not param.flag and "=" not in word:
                        expecting = param
                continue
            if spec.group and word in spec.subcommands:
                spec = cat.get([*spec.path, word])
                continue
            positional += 1
        if expecting is not None:
            return self._values(spec, expecting, current, chosen_profile)
        if current.startswith("-"):
            return [] if helping else self._options(spec, current, used)
        if not spec.path and positional == 0:  # the first word: a command or a shell command
            return self._first_words(self._top_level(cat), current, helping)
        if spec.group and spec.subcommands and positional == 0:
            return [Candidate(n, cat.get([*spec.path, n]).summary) for n in spec.subcommands if n.startswith(current)]
        if helping:
            return []
        arguments = [p for p in spec.params if p.kind == "argument"]
        if not arguments:
            return []
        if positional >= len(arguments) and not arguments[-1].repeatable:
            return []
        return self._values(spec, arguments[min(positional, len(arguments) - 1)], current, chosen_profile)

    @staticmethod
    def _first_words(names: dict[str, str], current: str, helping: bool) -> list[Candidate]:
        found = [Candidate(n, h) for n, h in names.items() if n.startswith(current)]
        if not helping:
            found += [Candidate(n, h) for n, h in BUILTINS.items() if n.startswith(current)]
        return found

    def _top_level(self, cat: Any) -> dict[str, str]:
        if self._commands is not None:
            return self._commands()
        root = cat.get([])
        return {n: cat.get([n]).summary for n in root.subcommands}

    @staticmethod
    def _option(spec: Any, root: Any, name: str) -> Any:
        for source in (spec, root):
            for param in [*source.params, *source.global_options]:
                if param.kind == "option" and (name in param.opts or name in param.secondary_opts):
                    return param
        return None

    @staticmethod
    def _options(spec: Any, current: str, used: list[Any]) -> list[Candidate]:
        found: list[Candidate] = []
        for param in [*spec.params, *spec.global_options]:
            if param.kind != "option" or (param in used and not param.repeatable):
                continue
            names = [*param.opts, *param.secondary_opts]
            longs = [n for n in names if n.startswith("--")]
            offered = [n for n in names if n.startswith(current)] if not current.startswith("--") and len(current) > 1 else (longs or names)
            found += [Candidate(n, param.help) for n in offered if n.startswith(current)]
        return found

    def _values(self, spec: Any, param: Any, current: str, chosen_profile: str | None) -> list[Candidate] | object:
        if param.choices:
            return self._match(param.choices, current, "")
        if param.name == "profile" or (spec.path[:1] == ["profile"] and param.kind == "argument" and param.name in ("name", "names", "old")):
            return self._match(self._profiles(), current, "profile")
        if (param.metavar or "").startswith("PAIR"):
            wanted = current.upper()
            return [Candidate(p, "pair") for p in self._pairs(chosen_profile) if p.upper().startswith(wanted)]
        if param.completion == "path":
            return PATHS
        return []

    @staticmethod
    def _match(values: Iterable[str], current: str, meta: str) -> list[Candidate]:
        return [Candidate(v, meta) for v in values if v.startswith(current)]


def _profile_names() -> list[str]:
    try:
        from kraken_ops.cli.clients import profile_names

        return profile_names()
    except Exception:  # noqa: BLE001 - completion never fails loudly
        return []


def _pairs_for(profile: str | None) -> list[str]:
    """The pairs of the exchange ``profile`` (or the profile in use) talks to."""
    try:
        from kraken_ops import profiles
        from kraken_ops.cli.completion import known_pairs

        try:
            url = str(profiles.client_kwargs(profile, market="spot", public=True)["url"])
        except Exception:  # noqa: BLE001 - no config: Kraken's production API
            url = "https://api.kraken.com"
        return known_pairs(url)
    except Exception:  # noqa: BLE001
        return []


def _registry_helps() -> dict[str, str]:
    """The top-level commands and their one-line helps, without loading any command."""
    from kraken_ops.cli.app import COMMANDS

    return {name: entry.help.split(". ")[0].rstrip(".") + "." for name, entry in COMMANDS.items()}


# --- the terminal loop ----------------------------------------------------------------------------------------------
def history_path() -> Path:
    from kraken_ops.profiles.config import state_dir

    return state_dir() / HISTORY_NAME


def _history(path: Path | None) -> Any:
    """prompt_toolkit's file history at ``path`` (0600; never a line with a secret), or one in memory."""
    from prompt_toolkit.history import FileHistory, InMemoryHistory

    class SafeHistory(FileHistory):
        def append_string(self, string: str) -> None:
            if not sensitive(string):
                super().append_string(string)

    class SafeMemoryHistory(InMemoryHistory):
        def append_string(self, string: str) -> None:
            if not sensitive(string):
                super().append_string(string)

    if path is None:
        return SafeMemoryHistory()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600))
        os.chmod(path, 0o600)
    except OSError as exc:
        print(f"warning: no history file ({path}: {exc.strerror}); history is kept for this session only", file=sys.stderr)
        return SafeMemoryHistory()
    return SafeHistory(str(path))


def prompt_completer(session: Session, completer: Completer) -> Any:
    """The prompt_toolkit completer around :class:`Completer`."""
    from prompt_toolkit.completion import Completer as PTCompleter
    from prompt_toolkit.completion import Completion, PathCompleter
    from prompt_toolkit.document import Document

    paths = PathCompleter(expanduser=True)

    class ShellCompleter(PTCompleter):
        def get_completions(self, document: Any, complete_event: Any) -> Iterable[Any]:
            text = document.text_before_cursor
            try:
                found = completer.candidates(text)
            except Exception:  # noqa: BLE001 - completion never breaks the prompt
                return
            word = "" if not text or text[-1].isspace() else text.split()[-1]
            if found is PATHS:
                yield from paths.get_completions(Document(word, len(word)), complete_event)
                return
            for candidate in found:  # type: ignore[union-attr]
                yield Completion(candidate.text, start_position=-len(word), display_meta=candidate.meta)

    return ShellCompleter()


def interactive(session: Session, *, history: Path | None, color: bool = True) -> int:
    """The prompt loop on a terminal; returns the shell's exit code."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
    from prompt_toolkit.formatted_text import FormattedText
    from prompt_toolkit.styles import Style

    session.load_catalog_in_background()
    completer = Completer(session.catalog, commands=_registry_helps)
    style = Style.from_dict({"name": "bold", "profile": "ansicyan", "status": "ansired bold"} if color else {})
    prompt = PromptSession(
        history=_history(history),
        completer=prompt_completer(session, completer),
        complete_in_thread=True,
        complete_while_typing=False,
        auto_suggest=AutoSuggestFromHistory(),
        style=style,
        color_depth=None if color else _monochrome(),
    )
    print("kraken-ops shell: every kraken-ops command, without typing kraken-ops.", file=sys.stderr)
    print("Tab completes; use PROFILE switches profile; help; exit or Ctrl-D leaves.", file=sys.stderr)
    while True:
        try:
            line = prompt.prompt(FormattedText(session.prompt_parts()))
        except KeyboardInterrupt:  # Ctrl-C: the line is dropped
            continue
        except EOFError:  # Ctrl-D
            print(file=sys.stderr)
            return session.status
        try:
            session.run(line)
        except ExitShell as exc:
            return exc.code


def _monochrome() -> Any:
    from prompt_toolkit.output import ColorDepth

    return ColorDepth.MONOCHROME


def lines(session: Session, stream: TextIO) -> int:
    """Without a terminal: one command a line from ``stream``; the last command's exit code."""
    for line in stream:
        try:
            session.run(line)
        except ExitShell as exc:
            return exc.code
    return session.status


def run_shell(*, profile: str | None, root_args: list[str], history: Path | None, color: bool, stdin: TextIO | None = None) -> int:
    """``kraken-ops shell``: the loop on a terminal, or the lines of stdin."""
    if os.environ.get(SHELL_ENV):
        from kraken_ops.cli.errors import UsageProblem

        raise UsageProblem("already in the kraken-ops shell")
    stdin = stdin if stdin is not None else sys.stdin
    session = Session(root_args)
    if profile:
        session.use(profile)  # an unknown profile fails before the prompt, like -p does
    os.environ[SHELL_ENV] = "1"
    try:
        if _isatty(stdin) and _isatty(sys.stdout):
            return interactive(session, history=history, color=color)
        return lines(session, stdin)
    finally:
        os.environ.pop(SHELL_ENV, None)
        session.close()


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
