"""``valuedrift train CONFIG``: train the stages of an experiment, saving checkpoints and the manifest."""

from __future__ import annotations

from pathlib import Path

import typer

from valuedrift.cli.app import console


def register(app: typer.Typer) -> None:
    @app.command("train")
    def train(
        config: Path = typer.Argument(
            ..., help="Experiment YAML, or demo:NAME for a shipped one (demo:demo, demo:all-algorithms)."
        ),
        out: Path = typer.Option(None, "--out", help="Run directory (default: runs/<name>)."),
        set_: list[str] = typer.Option([], "--set", help="Override: key.sub=value (repeatable)."),
    ) -> None:
        """Train every stage in tree order; resumes a killed run from its last checkpoints.

        Every training input is checked first; a changed config keeps the stages it leaves valid."""
        from valuedrift.config import load_config
        from valuedrift.pipeline import prepare_run
        from valuedrift.preflight import preflight
        from valuedrift.walk.runner import train_run

        exp = load_config(config, set_)
        if not exp.stages:
            from valuedrift.errors import UserError

            raise UserError(
                f"{config}: no stages to train"
                + (" (it traces an existing series)" if exp.manifest or exp.checkpoints else ""),
                hint="use 'valuedrift trace' for a manifest or checkpoints series",
            )
        preflight(exp, phases=("train",))
        run = prepare_run(exp, out)
        manifest = train_run(run, exp)
        n = len(manifest["checkpoints"])
        console.print(f"[green]ok[/]: {n} checkpoints in {run.manifest_path}", highlight=False)
