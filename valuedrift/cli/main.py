"""Entry point of the ``valuedrift`` command: registers the verbs and turns user errors into one line.

A :class:`~valuedrift.errors.UserError` (bad config, missing file, bad flag) prints one line,
``error: ...``, and exits with its code (2 for bad input); it never shows a traceback.
"""

from __future__ import annotations

import importlib
import sys

from rich.markup import escape

from valuedrift.cli.app import app, console
from valuedrift.errors import UserError

# One module per verb (or verb group); each has register(app). Order = order in --help.
COMMAND_MODULES = [
    "valuedrift.cli.trace_cmd",
    "valuedrift.cli.config_cmd",
    "valuedrift.cli.plan_cmd",
    "valuedrift.cli.models_cmd",
    "valuedrift.cli.train_cmd",
    "valuedrift.cli.generate_cmd",
    "valuedrift.cli.analyze_cmd",
    "valuedrift.cli.judge_cmd",
    "valuedrift.cli.judge_eval_cmd",
    "valuedrift.cli.label_cmd",
    "valuedrift.cli.data_cmd",
    "valuedrift.cli.manifest_cmd",
]


def _register() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)


_register()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (also used by tests in-process)."""
    try:
        app(args=argv, standalone_mode=False)
    except UserError as e:
        console.print(f"[bold red]error:[/] {escape(e.line())}", highlight=False, soft_wrap=True)
        return e.exit_code
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]: completed work is saved; re-run to resume")
        return 130
    except SystemExit as e:  # typer.Exit inside commands
        return int(e.code or 0)
    except Exception as e:
        import click

        if isinstance(e, click.exceptions.Exit):
            return e.exit_code
        if isinstance(e, click.ClickException):  # usage errors: bad option, missing argument
            e.show()
            return 2
        if isinstance(e, click.exceptions.Abort):
            return 1
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
