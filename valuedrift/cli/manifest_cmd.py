"""``valuedrift manifest from-dir DIR`` / ``from-hub SPEC...``: a manifest for a series trained elsewhere.

    valuedrift manifest from-dir outputs/my-sft --out my-sft.json
    valuedrift manifest from-hub allenai/Llama-3.1-Tulu-3-8B-SFT dpo=allenai/Llama-3.1-Tulu-3-8B-DPO \\
        rlvr=allenai/Llama-3.1-Tulu-3-8B --out tulu3.json

Without ``--out`` the manifest is printed on stdout. Trace it with ``manifest: FILE`` in a config,
or skip the file: ``valuedrift trace --checkpoints DIR``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from valuedrift.cli.app import console


def _emit(manifest: dict[str, Any], out: Path | None) -> None:
    from valuedrift import io

    stages: dict[str, list[int]] = {}
    for c in manifest["checkpoints"]:
        stages.setdefault(c["stage"], []).append(c["step"])
    summary = ", ".join(f"{s} (steps {', '.join(map(str, steps))})" for s, steps in stages.items())
    if out is None:
        typer.echo(json.dumps(manifest, indent=2))
    else:
        io.write_json(out, manifest)
    where = f" -> {out}" if out else ""
    console.print(
        f"[green]ok[/]: {len(manifest['checkpoints'])} checkpoints: {summary}{where}", highlight=False
    )


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Build checkpoint manifests for series trained elsewhere.", no_args_is_help=True)

    @group.command("from-dir")
    def from_dir(
        folder: Path = typer.Argument(..., help="A trainer's output folder (holding checkpoint-N/)."),
        out: Path = typer.Option(None, "--out", help="Write the manifest here (default: stdout)."),
        stage: str = typer.Option(None, "--stage", help="Stage name (default: the algorithm)."),
        algorithm: str = typer.Option(
            None, "--algorithm", help="What trained it (default: the TRL model card's, else 'trainer')."
        ),
        base: str = typer.Option(
            None,
            "--base",
            help="Base model, step 0 (default: the adapters' base_model_name_or_path or the model card's).",
        ),
    ) -> None:
        """Checkpoints of a transformers/TRL output folder, at their trainer_state.json steps, hashed."""
        from valuedrift.series import from_dir as build

        _emit(build(folder, stage=stage, algorithm=algorithm, base=base), out)

    @group.command("from-hub")
    def from_hub(
        specs: list[str] = typer.Argument(
            ..., help="org/name[@revision] or stage=org/name[@revision], in training order."
        ),
        out: Path = typer.Option(None, "--out", help="Write the manifest here (default: stdout)."),
        base: str = typer.Option(None, "--base", help="Base model, step 0 (default: the first SPEC)."),
        run: str = typer.Option(None, "--run", help="Run name (default: the last repo's name)."),
    ) -> None:
        """Hub models chained one stage per repo (a repo's step revisions: one stage); nothing downloaded."""
        from valuedrift.series import from_hub as build

        _emit(build(specs, base=base, run=run), out)

    app.add_typer(group, name="manifest")
