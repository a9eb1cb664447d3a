"""``valuedrift analyze|report|compare``: drift tables, the HTML report, algorithm comparison."""

from __future__ import annotations

from pathlib import Path

import typer

from valuedrift.cli.app import console


def _exp_or_none(run):
    try:
        return run.read_config()
    except Exception:  # a run dir made from a bare manifest has no config: use defaults
        return None


def register(app: typer.Typer) -> None:
    @app.command("analyze")
    def analyze(run_dir: Path = typer.Argument(..., help="Run directory with a judgments table.")) -> None:
        """Compute stance trajectories and drift (magnitude, peak, drift time, bootstrap CIs)."""
        from valuedrift.analysis.drift import analyze_run
        from valuedrift.rundir import RunDir

        run = RunDir(run_dir)
        _, drift = analyze_run(run, _exp_or_none(run))
        overall = drift[drift.category == "overall"]
        from rich.table import Table

        table = Table("stage", "algorithm", "stance", "magnitude", "95% CI", "drift time")
        for r in overall.itertuples():
            dt = "—" if r.drift_time != r.drift_time else f"{r.drift_time:.2f}"
            table.add_row(
                r.stage,
                r.algorithm,
                r.stance,
                f"{r.magnitude:+.3f}",
                f"[{r.ci_low:+.3f}, {r.ci_high:+.3f}]",
                dt,
            )
        console.print(table)
        console.print(f"[green]ok[/]: {run.table_path('drift')}", highlight=False)

    @app.command("report")
    def report(
        run_dir: Path = typer.Argument(..., help="Analysed run directory."),
        out: Path = typer.Option(
            None, "--out", help="Where to write the HTML (default RUN_DIR/report.html)."
        ),
    ) -> None:
        """Write the self-contained HTML report of a run."""
        from valuedrift.report import build_report
        from valuedrift.rundir import RunDir

        path = build_report(RunDir(run_dir), out)
        console.print(f"[green]report[/]: {path}", highlight=False)
        typer.echo(str(path))

    @app.command("compare")
    def compare(
        run_dirs: list[Path] = typer.Argument(..., help="Run directories to compare."),
        out: Path = typer.Option(None, "--out", help="Write .csv or .md (default: Markdown to stdout)."),
        category: str = typer.Option("overall", "--category", help="Topic to show ('all' for every topic)."),
    ) -> None:
        """Compare drift across runs and algorithms (tidy table: CSV or Markdown)."""
        from valuedrift import io
        from valuedrift.analysis.compare import compare as do_compare
        from valuedrift.errors import UserError

        for d in run_dirs:
            if not d.is_dir():
                raise UserError(f"run directory not found: {d}")
        df = do_compare(run_dirs)
        if category != "all":
            df = df[df.category == category]
        if out is None:
            typer.echo(df.to_markdown(index=False, floatfmt="+.3f"))
        elif out.suffix == ".csv":
            io.write_text(out, df.to_csv(index=False))
        elif out.suffix in (".md", ".markdown"):
            io.write_text(out, df.to_markdown(index=False, floatfmt="+.3f") + "\n")
        else:
            raise UserError(f"--out {out}: use a .csv or .md file name")
        if out is not None:
            console.print(f"[green]ok[/]: {out} ({len(df)} rows)", highlight=False)
