"""``valuedrift generate RUN_DIR [--manifest FILE]``: sample every checkpoint's answers."""

from __future__ import annotations

from pathlib import Path

import typer

from valuedrift.cli.app import console


def load_run_config(run, config: Path | None, overrides: list[str]):
    """The experiment of a run: ``--config`` if given, else the run's saved config, else defaults."""
    from valuedrift.config import load_config, validate_config

    if config is not None:
        return load_config(config, overrides)
    if run.config_path.exists():
        return load_config(run.config_path, overrides)
    from valuedrift.config import apply_overrides

    return validate_config(apply_overrides({}, overrides), source="--set")


def register(app: typer.Typer) -> None:
    @app.command("generate")
    def generate(
        run_dir: Path = typer.Argument(..., help="Run directory (created if it does not exist)."),
        manifest: Path = typer.Option(
            None, "--manifest", help="Checkpoint series to use (copied into RUN_DIR)."
        ),
        config: Path = typer.Option(None, "--config", help="Experiment YAML (default: RUN_DIR/config.yaml)."),
        set_: list[str] = typer.Option([], "--set", help="Override: key.sub=value (repeatable)."),
    ) -> None:
        """Sample answers to the evaluation prompts for every checkpoint; skips complete checkpoints."""
        from valuedrift.cli.progress import GenerateBar
        from valuedrift.generate.run import generate_run
        from valuedrift.manifest import load_manifest
        from valuedrift.preflight import preflight
        from valuedrift.rundir import RunDir

        series = load_manifest(manifest) if manifest is not None else None  # before creating anything
        run = RunDir(run_dir, create=True)
        exp = load_run_config(run, config, set_)
        preflight(exp, phases=("generate",))
        if series is not None:
            run.write_manifest(series)
        with GenerateBar(console) as bar:
            stats = generate_run(run, exp, on_progress=bar)
        console.print(
            f"[green]ok[/]: {stats['checkpoints']} checkpoints ({stats['skipped']} already done), "
            f"{stats.get('generated', 0)} answers generated, {stats.get('tokens', 0)} tokens",
            highlight=False,
        )
