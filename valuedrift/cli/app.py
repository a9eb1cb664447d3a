"""The Typer application object every CLI verb registers itself on.

Each verb lives in its own module under ``valuedrift/cli/`` with a ``register(app)`` function;
``valuedrift/cli/main.py`` lists them. Heavy imports (torch, transformers) happen inside the verbs,
so ``valuedrift --help`` stays fast.
"""

from __future__ import annotations

import logging

import typer
from rich.console import Console
from rich.logging import RichHandler

from valuedrift import __version__

console = Console(stderr=True)
"""Rich console for progress and logs (stderr, so stdout stays clean for tables and JSON)."""

app = typer.Typer(
    name="valuedrift",
    help="Trace how post-training drifts an LLM's values: train, generate, judge, analyze, report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"valuedrift {__version__}")
        raise typer.Exit()


def setup_logging(verbose: int = 0, quiet: bool = False) -> None:
    """Rich logging to stderr; -v for debug; library chatter kept at warning level."""
    level = logging.WARNING if quiet else (logging.DEBUG if verbose else logging.INFO)
    logging.basicConfig(
        level=level,
        format="%(message)s",
        datefmt="[%X]",
        handlers=[RichHandler(console=console, show_path=False, rich_tracebacks=False)],
        force=True,
    )
    for noisy in ("httpx", "urllib3", "filelock", "datasets", "transformers", "accelerate", "torch"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if not verbose:
        # deprecation notices the libraries raise about each other's arguments (e.g. TRL passing
        # ``gradient_checkpointing`` to transformers) say nothing a user of this tool can act on
        import warnings

        for lib in ("transformers", "trl", "peft", "accelerate", "torch"):
            warnings.filterwarnings("ignore", category=FutureWarning, module=lib)
            warnings.filterwarnings("ignore", category=DeprecationWarning, module=lib)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More logging."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only warnings and errors."),
) -> None:
    """valuedrift: trace value drift across post-training."""
    setup_logging(verbose, quiet)
