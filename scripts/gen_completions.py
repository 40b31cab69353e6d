"""Generate completions/kraken-ops.{bash,zsh,fish} from the command catalog.

The catalog (:mod:`kraken_ops.cli.catalog`, ``kraken-ops commands -o json``) is the one
source of the help screens, docs/cli.md, the MCP tools and these scripts. Command names,
options and choices are written into the scripts, so completing them starts no Python;
values that depend on the machine (profile names, the exchange's pairs) are asked of
kraken-ops itself (its dynamic completion, ``_KRAKEN_OPS_COMPLETE=complete_bash``).

    python scripts/gen_completions.py          # write completions/
    python scripts/gen_completions.py --check  # exit 1 when they are out of date

After changing any command: python scripts/gen_docs.py && python scripts/gen_completions.py
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"bash": "kraken-ops.bash", "zsh": "_kraken-ops", "fish": "kraken-ops.fish"}
HELP = ("-h", "--help")


# --- the tables, from the catalog --------------------------------------------------------------------
def _tables() -> dict[str, Any]:
    """Per command path: its subcommands (with summaries), options, and what completes their values."""
    from kraken_ops.cli import catalog
    from kraken_ops.cli.app import build_all

    root = build_all()
    cat = catalog.build(root)
    root_params = [catalog.param_spec(p) for p in root.params if str(p.name) not in catalog.SKIPPED]
    commands = []
    for spec in cat.commands:
        key = " ".join(spec.path)
        params = root_params if not spec.path else [*spec.params, *spec.global_options]
        subs = [(name, cat.get([*spec.path, name]).summary) for name in spec.subcommands]
        commands.append({"path": key, "subcommands": subs, "params": params})
    return {"commands": commands}


def _values(param: Any) -> str:
    """What completes a parameter's value: its choices, ``@dynamic`` (ask kraken-ops), ``@file`` or nothing."""
    if param.choices:
        return "@dynamic" if any(" " in c for c in param.choices) else " ".join(param.choices)
    if param.completion == "dynamic":
        return "@dynamic"
    if param.completion == "path":
        return "@file"
    return ""


def _options(params: list[Any]) -> list[str]:
    """Option strings; a trailing ``=`` marks one that takes a value."""
    out: list[str] = []
    for p in params:
        if p.kind != "option":
            continue
        names = p.opts + (p.secondary_opts if p.flag else [])
        out += [n if p.flag else f"{n}=" for n in names]
    return out + list(HELP)


def _value_rows(command: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(option or "" for the arguments, values) of one command."""
    for p in command["params"]:
        if p.kind == "option" and not p.flag and _values(p):
            for name in p.opts:
                yield name, _values(p)
    arguments = [p for p in command["params"] if p.kind == "argument"]
    if arguments and _values(arguments[0]):
        yield "", _values(arguments[0])


def _sq(text: str) -> str:
    """Single-quoted for bash, zsh and fish (``'`` written as ``'\\''``; fish as ``\\'``)."""
    return "'" + text.replace("'", "'\\''") + "'"


def _case_functions(tables: dict[str, Any]) -> list[str]:
    """The shared shell functions (bash and zsh read them alike): subcommands, options, values."""
    commands = tables["commands"]
    lines = [
        "# the subcommands of a command (its words after kraken-ops)",
        "_kraken_ops_subcommands() {",
        '    case "$1" in',
    ]
    lines += [f'        {_sq(c["path"])}) REPLY={_sq(" ".join(n for n, _ in c["subcommands"]))} ;;' for c in commands if c["subcommands"]]
    lines += ['        *) REPLY="" ;;', "    esac", "}", ""]
    lines += ["# the options of a command; a trailing = marks one that takes a value", "_kraken_ops_options() {", '    case "$1" in']
    lines += [f'        {_sq(c["path"])}) REPLY={_sq(" ".join(_options(c["params"])))} ;;' for c in commands]
    lines += ['        *) REPLY="-h --help" ;;', "    esac", "}", ""]
    lines += [
        "# what follows an option, or (option \"\") a command's arguments: words, @dynamic or @file",
        "_kraken_ops_values() {",
        '    case "$1|$2" in',
    ]
    for c in commands:
        for option, values in _value_rows(c):
            lines.append(f'        {_sq(c["path"] + "|" + option)}) REPLY={_sq(values)} ;;')
    lines += ['        *) REPLY="" ;;', "    esac", "}", ""]
    return lines


WALK = r"""    for ((i = FIRST; i < LAST; i++)); do
        word="${WORDS[i]}"
        if [[ -n $takes ]]; then
            takes=""
            continue
        fi
        if [[ $word == -* ]]; then
            _kraken_ops_options "$cmdpath"
            if [[ $word != *=* && " $REPLY " == *" $word= "* ]]; then
                takes=1
                prev=$word
            fi
            continue
        fi
        _kraken_ops_subcommands "$cmdpath"
        if [[ " $REPLY " == *" $word "* ]]; then
            cmdpath="${cmdpath:+$cmdpath }$word"
        fi
    done
    if [[ -n $takes ]]; then
        _kraken_ops_values "$cmdpath" "$prev"
    elif [[ $cur == -* ]]; then
        _kraken_ops_options "$cmdpath"
        REPLY="${REPLY//=/}"
    else
        _kraken_ops_subcommands "$cmdpath"
        if [[ -n $REPLY ]]; then
            kind=commands
        else
            _kraken_ops_values "$cmdpath" ""
        fi
    fi
"""


def render_bash(tables: dict[str, Any]) -> str:
    walk = WALK.replace("FIRST", "1").replace("LAST", "COMP_CWORD").replace("WORDS", "COMP_WORDS")
    return "\n".join(
        [
            "# kraken-ops completion for bash: generated by scripts/gen_completions.py from the command catalog; do not edit.",
            "# Load it with: source completions/kraken-ops.bash (or copy it to /etc/bash_completion.d/).",
            "",
            *_case_functions(tables),
            "# values that depend on this machine (profiles, the exchange's pairs): asked of kraken-ops",
            "_kraken_ops_dynamic() {",
            "    local IFS=$'\\n'",
            '    COMPREPLY=( $(env COMP_WORDS="${COMP_WORDS[*]}" COMP_CWORD="$COMP_CWORD" _KRAKEN_OPS_COMPLETE=complete_bash "${COMP_WORDS[0]}" 2>/dev/null) )',
            "}",
            "",
            "_kraken_ops() {",
            '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="" cmdpath="" word="" takes="" kind="" i REPLY=""',
            walk.rstrip(),
            '    case "$REPLY" in',
            "        @dynamic) _kraken_ops_dynamic ;;",
            '        @file) COMPREPLY=( $(compgen -f -- "$cur") ) ;;',
            '        *) COMPREPLY=( $(compgen -W "$REPLY" -- "$cur") ) ;;',
            "    esac",
            "    return 0",
            "}",
            "",
            "complete -o default -F _kraken_ops kraken-ops",
        ]
    ) + "\n"


def render_zsh(tables: dict[str, Any]) -> str:
    walk = WALK.replace("FIRST", "2").replace("LAST", "CURRENT").replace("WORDS", "words")
    summaries = ["# subcommands with their one-line help (for _describe)", "_kraken_ops_summaries() {", '    case "$1" in']
    for c in tables["commands"]:
        if c["subcommands"]:
            items = " ".join(_sq(f"{name}:{summary}") for name, summary in c["subcommands"])
            summaries.append(f"        {_sq(c['path'])}) reply=({items}) ;;")
    summaries += ["        *) reply=() ;;", "    esac", "}", ""]
    return "\n".join(
        [
            "#compdef kraken-ops",
            "# kraken-ops completion for zsh: generated by scripts/gen_completions.py from the command catalog; do not edit.",
            "# Put it in a directory of $fpath (named _kraken-ops), or source it after compinit.",
            "",
            *_case_functions(tables),
            *summaries,
            "_kraken_ops_dynamic() {",
            "    local -a found",
            '    found=(${(f)"$(env COMP_WORDS="${words[1,CURRENT]}" COMP_CWORD=$((CURRENT - 1)) _KRAKEN_OPS_COMPLETE=complete_bash kraken-ops 2>/dev/null)"})',
            "    compadd -- $found",
            "}",
            "",
            "_kraken_ops() {",
            '    local cur="${words[CURRENT]}" prev="" cmdpath="" word="" takes="" kind="" i REPLY=""',
            "    local -a reply",
            walk.rstrip(),
            "    if [[ $kind == commands ]]; then",
            '        _kraken_ops_summaries "$cmdpath"',
            "        _describe 'command' reply",
            "        return",
            "    fi",
            '    case "$REPLY" in',
            "        @dynamic) _kraken_ops_dynamic ;;",
            "        @file) _files ;;",
            "        *) compadd -- ${=REPLY} ;;",
            "    esac",
            "}",
            "",
            'if [[ $funcstack[1] == _kraken-ops ]]; then',
            '    _kraken_ops "$@"  # autoloaded from $fpath: complete now',
            "else",
            "    compdef _kraken_ops kraken-ops  # sourced",
            "fi",
        ]
    ) + "\n"


def _fish_q(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def render_fish(tables: dict[str, Any]) -> str:
    commands = tables["commands"]
    children = [f"{c['path']}|{name}" for c in commands for name, _ in c["subcommands"]]
    takes = [f"{c['path']}|{o[:-1]}" for c in commands for o in _options(c["params"]) if o.endswith("=")]
    lines = [
        "# kraken-ops completion for fish: generated by scripts/gen_completions.py from the command catalog; do not edit.",
        "# Copy it to ~/.config/fish/completions/kraken-ops.fish.",
        "",
        "set -g __kraken_ops_children " + " ".join(_fish_q(c) for c in children),
        "set -g __kraken_ops_takes_value " + " ".join(_fish_q(t) for t in takes),
        "",
        "function __kraken_ops_path --description 'the kraken-ops command words typed so far'",
        "    set -l tokens (commandline -opc)",
        "    set -e tokens[1]",
        "    set -l cmdpath ''",
        "    set -l skip 0",
        "    for token in $tokens",
        "        if test $skip = 1",
        "            set skip 0",
        "            continue",
        "        end",
        "        if string match -q -- '-*' $token",
        '            if contains -- "$cmdpath|$token" $__kraken_ops_takes_value',
        "                set skip 1",
        "            end",
        "            continue",
        "        end",
        '        if contains -- "$cmdpath|$token" $__kraken_ops_children',
        '            set cmdpath (string trim -- "$cmdpath $token")',
        "        end",
        "    end",
        '    echo "$cmdpath"',
        "end",
        "",
        "function __kraken_ops_at --description 'whether the command typed so far is $argv[1]'",
        "    set -l current (__kraken_ops_path)",
        '    test "$current" = "$argv[1]"',
        "end",
        "",
        "function __kraken_ops_dynamic --description 'profiles, pairs: asked of kraken-ops'",
        "    env COMP_WORDS=(commandline -cp) COMP_CWORD=(count (commandline -opc)) _KRAKEN_OPS_COMPLETE=complete_bash kraken-ops 2>/dev/null",
        "end",
        "",
        "complete -c kraken-ops -f",
    ]
    for c in commands:
        at = f"-n {_fish_q('__kraken_ops_at ' + _fish_q(c['path']))}"
        for name, summary in c["subcommands"]:
            lines.append(f"complete -c kraken-ops {at} -a {_fish_q(name)} -d {_fish_q(summary)}")
        for p in c["params"]:
            if p.kind == "option":
                names = []
                for o in p.opts + (p.secondary_opts if p.flag else []):
                    names.append(f"-l {o[2:]}" if o.startswith("--") else f"-s {o[1:]}")
                values = _values(p)
                extra = ""
                if not p.flag:
                    extra = " -r"
                    if values == "@dynamic":
                        extra += " -a '(__kraken_ops_dynamic)'"
                    elif values == "@file":
                        extra += " -F"
                    elif values:
                        extra += f" -a {_fish_q(values)}"
                desc = f" -d {_fish_q(p.help)}" if p.help else ""
                lines.append(f"complete -c kraken-ops {at} {' '.join(names)}{extra}{desc}")
        for option, values in _value_rows(c):
            if option == "":
                args = "'(__kraken_ops_dynamic)'" if values == "@dynamic" else ("'(__fish_complete_path)'" if values == "@file" else _fish_q(values))
                lines.append(f"complete -c kraken-ops {at} -a {args}")
    return "\n".join(lines) + "\n"


RENDERERS = {"bash": render_bash, "zsh": render_zsh, "fish": render_fish}


def render(shell: str, tables: dict[str, Any] | None = None) -> str:
    return RENDERERS[shell](tables or _tables())


def main(argv: list[str]) -> int:
    tables = _tables()
    stale = []
    for shell, name in TARGETS.items():
        path = ROOT / "completions" / name
        text = render(shell, tables)
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
