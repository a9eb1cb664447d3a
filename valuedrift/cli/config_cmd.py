"""``valuedrift config validate|show FILE``: check a config, print it resolved; ``config algorithms``."""

from __future__ import annotations

from pathlib import Path

import typer

from valuedrift.cli.app import console


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Validate and show experiment configs.", no_args_is_help=True)

    @group.command("validate")
    def validate(
        config: Path = typer.Argument(
            ..., help="Experiment YAML, or demo:NAME for a shipped one (demo:demo, demo:all-algorithms)."
        ),
        set_: list[str] = typer.Option([], "--set", help="Override: key.sub=value (repeatable)."),
    ) -> None:
        """Check a config: schema, stage tree, algorithm params, files. Exit 2 with one line if bad."""
        from valuedrift.config import load_config

        exp = load_config(config, set_)
        console.print(
            f"[green]ok[/]: {config} ({len(exp.stages)} stages: {_tree_line(exp)})", highlight=False
        )

    @group.command("show")
    def show(
        config: Path = typer.Argument(
            None, help="Experiment YAML or demo:NAME (default: the built-in demo)."
        ),
        set_: list[str] = typer.Option([], "--set", help="Override: key.sub=value (repeatable)."),
    ) -> None:
        """Print the resolved config (all defaults filled in) as YAML."""
        from valuedrift.config import dump_config, load_config

        exp = load_config(config, set_)
        typer.echo(dump_config(exp), nl=False)

    @group.command("algorithms")
    def algorithms() -> None:
        """List the algorithm table: name, data kind, default learning rates (LoRA / full), summary."""
        from valuedrift.config.algorithms import all_specs

        typer.echo(f"{'algorithm':<10} {'data':<11} {'lr LoRA':<8} {'lr full':<8} what")
        for s in all_specs():
            typer.echo(f"{s.name:<10} {s.data:<11} {s.lr_lora:<8.0e} {s.lr_full:<8.0e} {s.summary}")

    app.add_typer(group, name="config")


def _tree_line(exp) -> str:
    if exp.checkpoints is not None:
        return "none; traces " + (
            f"the folder {exp.checkpoints.dir}"
            if exp.checkpoints.dir
            else f"{len(exp.checkpoints.hub)} hub model(s)"
        )
    if exp.manifest:
        return f"none; traces the manifest {exp.manifest}"
    return ", ".join(f"{s.parent}->{s.name}({s.algorithm})" for s in exp.stage_order()) or "none"
