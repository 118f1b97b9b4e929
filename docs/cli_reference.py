"""Write the command-line reference from the command line itself.

    python docs/cli_reference.py            # rewrite docs/cli.md and the README's command list
    python docs/cli_reference.py --check    # exit 1, saying what is stale, if either differs

``docs/cli.md`` holds every command's ``--help``; the README holds ``tracegraph --help`` between
the markers ``<!-- cli:begin -->`` and ``<!-- cli:end -->``. ``make docs`` runs the first form and
a test runs the second, so a command whose help changes without its reference fails the tests.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tracegraph.api.cli import main

TOP = Path(__file__).resolve().parent.parent
CLI_MD = TOP / "docs" / "cli.md"
README = TOP / "README.md"
BEGIN, END = "<!-- cli:begin -->", "<!-- cli:end -->"


def _help(command: click.Command, path: list[str]) -> str:
    """The ``--help`` text of ``command`` (reached by ``path`` from ``tracegraph``), 100 columns wide."""
    settings = {**main.context_settings, "terminal_width": 100}
    chain: list[click.Command] = [main]
    for name in path[1:]:
        chain.append(chain[-1].commands[name])  # type: ignore[attr-defined]
    ctx = None
    for name, cmd in zip(path, chain):
        ctx = click.Context(cmd, info_name=name, parent=ctx, **settings)
    assert ctx is not None and ctx.command is command
    return command.get_help(ctx)


def _commands(command: click.Command, path: list[str]) -> list[tuple[list[str], click.Command]]:
    out = [(path, command)]
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            out += _commands(command.commands[name], path + [name])
    return out


def reference() -> str:
    parts = ["# Command-line reference", "",
             "Every command's `--help`, written by `make docs` (`python docs/cli_reference.py`) from the",
             "command line itself; a test fails when it is stale.", ""]
    for path, command in _commands(main, ["tracegraph"]):
        parts += [f"## `{' '.join(path)}`", "", "```", _help(command, path).rstrip(), "```", ""]
    return "\n".join(parts)


def readme(text: str) -> str:
    head, begin, rest = text.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not begin or not end:
        raise SystemExit(f"README.md has no {BEGIN} … {END} section for the command list")
    return f"{head}{BEGIN}\n```\n{_help(main, ['tracegraph']).rstrip()}\n```\n{END}{tail}"


def main_(argv: list[str]) -> int:
    wanted = {CLI_MD: reference(), README: readme(README.read_text(encoding="utf-8"))}
    if "--check" in argv:
        stale = [str(p.relative_to(TOP)) for p, text in wanted.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
        if stale:
            print(f"stale: {', '.join(stale)}; run `make docs` and commit the result", file=sys.stderr)
            return 1
        return 0
    for path, text in wanted.items():
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main_(sys.argv[1:]))
