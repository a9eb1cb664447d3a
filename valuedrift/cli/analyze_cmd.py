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


def _corrected_overall(run):
    """(heading, {(stage, stance): row}, note) of ``drift_corrected.parquet``, or None without one."""
    import pandas as pd

    from valuedrift.analysis.correction import correction_summary

    path = run.table_path("drift_corrected")
    summary = correction_summary(run.path)
    if not path.exists() or summary is None:
        return None
    dc = pd.read_parquet(path)
    rows = {(r.stage, r.stance): r for r in dc[dc.category == "overall"].itertuples()}
    return f"corrected ({summary['label']})", rows, summary["note"]


def _corrected_cells(r) -> list[str]:
    if r is None or r.magnitude != r.magnitude:  # NaN: not enough labels at one end
        return ["—", getattr(r, "reason", "") or "—"]
    return [f"{r.magnitude:+.3f}", f"[{r.ci_low:+.3f}, {r.ci_high:+.3f}]"]


def _ci_head(drift) -> str:
    """The interval column's header: level and method (``analysis.interval``), e.g. '95% CI (t)'."""
    if drift.empty or "ci_method" not in drift:
        return "95% CI"
    return f"{float(drift['ci_level'].iloc[0]):.0%} CI ({drift['ci_method'].iloc[0]})"


def register(app: typer.Typer) -> None:
    @app.command("analyze")
    def analyze(run_dir: Path = typer.Argument(..., help="Run directory with a judgments table.")) -> None:
        """Compute stance trajectories and drift (magnitude, peak, drift time, confidence intervals)."""
        from valuedrift.analysis.drift import analyze_run
        from valuedrift.rundir import RunDir

        run = RunDir(run_dir)
        _, drift = analyze_run(run, _exp_or_none(run))
        overall = drift[drift.category == "overall"]
        from rich.table import Table

        corrected = _corrected_overall(run)
        ci_head = _ci_head(drift)
        cols = ["stage", "algorithm", "stance", "magnitude", ci_head, "drift time"]
        if corrected is not None:  # raw judge and corrected figures side by side
            cols[3:5] = ["raw judge", f"raw {ci_head}", "corrected", f"corrected {ci_head.split(' (')[0]}"]
        table = Table(*cols)
        for r in overall.itertuples():
            dt = "—" if r.drift_time != r.drift_time else f"{r.drift_time:.2f}"
            cells = [f"{r.magnitude:+.3f}", f"[{r.ci_low:+.3f}, {r.ci_high:+.3f}]"]
            if corrected is not None:
                c = corrected[1].get((r.stage, r.stance))
                cells += _corrected_cells(c)
            table.add_row(r.stage, r.algorithm, r.stance, *cells, dt)
        console.print(table)
        if corrected is not None:
            console.print(f"{corrected[0]}: {corrected[2]}", highlight=False, markup=False)
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
        branches: bool = typer.Option(
            False,
            "--branches",
            help="In one run: M_A − M_B for every pair of stages from the same parent, paired on the "
            "prompts, with intervals and Holm-adjusted p-values.",
        ),
        stance: str = typer.Option("all", "--stance", help="With --branches: one stance, or 'all'."),
    ) -> None:
        """Compare drift across runs and algorithms (tidy table: CSV or Markdown)."""
        from valuedrift import io
        from valuedrift.analysis.compare import compare as do_compare
        from valuedrift.errors import UserError

        for d in run_dirs:
            if not d.is_dir():
                raise UserError(f"run directory not found: {d}")
        if out is not None and out.suffix not in (".csv", ".md", ".markdown"):
            raise UserError(f"--out {out}: use a .csv or .md file name")
        note = None
        if branches:
            df, note = _branches(run_dirs, category, stance)
        else:
            df = do_compare(run_dirs)
            if category != "all":
                df = df[df.category == category]
        if out is None:
            typer.echo(_branch_markdown(df) if branches else df.to_markdown(index=False, floatfmt="+.3f"))
        elif out.suffix == ".csv":
            io.write_text(out, df.to_csv(index=False))
        elif out.suffix in (".md", ".markdown"):
            io.write_text(out, df.to_markdown(index=False, floatfmt="+.3f") + "\n")
        else:
            raise UserError(f"--out {out}: use a .csv or .md file name")
        if note:
            typer.echo(note)
        if out is not None:
            console.print(f"[green]ok[/]: {out} ({len(df)} rows)", highlight=False)


def _branches(run_dirs: list[Path], category: str, stance: str):
    """``compare RUN_DIR --branches``: the branch-difference table of one run and its one-line note."""
    from valuedrift.analysis.compare import branch_differences, multiple_comparison_note
    from valuedrift.errors import UserError
    from valuedrift.rundir import RunDir

    if len(run_dirs) != 1:
        raise UserError("compare --branches takes one run directory (its stages share the prompts)")
    run = RunDir(run_dirs[0])
    exp = _exp_or_none(run)
    manifest = run.read_manifest() if run.manifest_path.exists() else None
    df = branch_differences(
        run.read_table("judgments"),
        manifest,
        exp.analysis if exp is not None else None,
        category=None if category == "all" else category,
        stance=None if stance == "all" else stance,
    )
    return df, multiple_comparison_note(df)


def _branch_markdown(df) -> str:
    """The branch-difference table for the terminal: signed figures, the interval, p-values."""
    if df.empty:
        return "(no sibling stages)"
    level = f"{float(df['ci_level'].iloc[0]):.0%} CI ({df['ci_method'].iloc[0]})"
    show = df[["stage_a", "stage_b", "category", "stance", "magnitude_a", "magnitude_b", "diff"]].copy()
    show[level] = [f"[{lo:+.3f}, {hi:+.3f}]" for lo, hi in zip(df.ci_low, df.ci_high, strict=True)]
    show["p"], show["p (Holm)"], show["prompts"] = df.p_value, df.p_holm, df.n_prompts
    return show.to_markdown(index=False, floatfmt=[""] * 4 + ["+.3f"] * 3 + ["", ".2g", ".2g", ""])
