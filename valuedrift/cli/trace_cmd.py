"""``valuedrift trace [CONFIG]``: train → generate → judge → analyze → report, resumable.

With no CONFIG it runs the built-in demo offline on the CPU (see ``valuedrift/demo/demo.yaml``).
``--checkpoints DIR`` traces a trainer's output folder instead of training (``valuedrift/series.py``).
"""

from __future__ import annotations

from pathlib import Path

import typer

from valuedrift.cli.app import console


def register(app: typer.Typer) -> None:
    @app.command("trace")
    def trace(
        config: Path = typer.Argument(
            None, help="Experiment YAML or demo:NAME (default: the built-in offline demo, demo:demo)."
        ),
        out: Path = typer.Option(None, "--out", help="Run directory (default: runs/<name>)."),
        set_: list[str] = typer.Option([], "--set", help="Override: key.sub=value (repeatable)."),
        fresh: bool = typer.Option(False, "--fresh", help="Delete the run directory first and start over."),
        report_to: str = typer.Option(
            None, "--report-to", help="Trainer logging integrations, comma-separated: wandb,tensorboard."
        ),
        checkpoints: Path = typer.Option(
            None,
            "--checkpoints",
            help="Trace a trainer's output folder (checkpoint-N/) instead of training: its manifest is "
            "built into the run directory (the config's stages are not trained).",
        ),
    ) -> None:
        """Run the whole pipeline, skipping whatever is already complete; print where the report is."""
        import time

        from valuedrift.cli.progress import GenerateBar
        from valuedrift.config import load_config
        from valuedrift.pipeline import PHASES
        from valuedrift.pipeline import trace as run_trace

        overrides = list(set_)
        if checkpoints is not None:  # applied first, so --set checkpoints.base=MODEL refines it
            overrides = [*_checkpoints_overrides(checkpoints, named=config is not None), *overrides]
        exp = load_config(config, overrides)
        if report_to:
            exp.report_to = [r.strip() for r in report_to.split(",") if r.strip()]
        if config is None and checkpoints is None:
            console.print(
                "[bold]valuedrift demo[/]: SmolLM2-135M-Instruct, SFT then DPO / SimPO / PPO / KTO branches, "
                "a stratified prompt subset, the offline judge — all on this CPU, no network.",
                highlight=False,
            )
        t0 = time.perf_counter()

        def on_phase(i: int, phase: str) -> None:
            console.rule(
                f"[bold]phase {i + 1}/{len(PHASES)}: {phase}[/]  ({time.perf_counter() - t0:.0f} s elapsed)"
            )

        with GenerateBar(console) as bar:
            result = run_trace(exp, out, fresh=fresh, on_phase=on_phase, on_progress=bar)
        times = ", ".join(f"{k} {v:.0f} s" for k, v in result.timings.items())
        console.print(f"[green]done[/] in {time.perf_counter() - t0:.0f} s ({times})", highlight=False)
        console.print(f"[bold]report[/]: {result.report}", highlight=False)
        typer.echo(str(result.report))


def _checkpoints_overrides(folder: Path, *, named: bool) -> list[str]:
    """``--checkpoints DIR`` as overrides: the series replaces the config's stages and manifest; a run
    of the built-in config is named after DIR."""
    import json
    import re

    folder = folder.expanduser().resolve()
    out = [f"checkpoints.dir={json.dumps(str(folder))}", "checkpoints.hub=null", "stages=[]", "manifest=null"]
    if not named:
        name = re.sub(r"[^A-Za-z0-9_.\-]+", "-", folder.name).strip("-._") or "checkpoints"
        out.append(f"name={json.dumps(name)}")
    return out
