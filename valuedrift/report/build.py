"""Build the self-contained HTML report of a run (jinja2 with autoescaping, figures embedded).

Model outputs are untrusted text: they reach the page only through jinja2's autoescaping, never
``|safe``. The page loads nothing from the network.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from valuedrift import __version__, io
from valuedrift.config.schema import AnalysisConfig
from valuedrift.report import figures
from valuedrift.tables import OVERALL, STANCES


def _env():
    from jinja2 import ChainableUndefined, Environment, PackageLoader, select_autoescape

    return Environment(
        loader=PackageLoader("valuedrift.report", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=ChainableUndefined,  # optional metadata (judge, contamination) may be absent
    )


def _read_json(path: Path) -> dict | list | None:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def _fmt(x, nd: int = 3) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "—"
    return f"{x:+.{nd}f}" if isinstance(x, float) else str(x)


def _examples(
    judgments: pd.DataFrame, drift: pd.DataFrame, stages_first: dict, stages_last: dict, k: int = 3
):
    """For the largest per-category drifts: one prompt's answers at the start and end of the stage."""
    d = drift[(drift.category != OVERALL)].copy()
    d["abs"] = d.magnitude.abs()
    out = []
    for _, r in (
        d.sort_values("abs", ascending=False).drop_duplicates(["stage", "category"]).head(k).iterrows()
    ):
        first, last = stages_first.get(r.stage), stages_last.get(r.stage)
        if first is None or last is None:
            continue
        pcol = f"p_{r.stance}"
        j = judgments[(judgments.category == r.category) & (judgments.status == "ok")]
        a = j[j.checkpoint == first].groupby("prompt_id")[pcol].mean()
        b = j[j.checkpoint == last].groupby("prompt_id")[pcol].mean()
        change = (b - a).dropna()
        if change.empty:
            continue
        pid = (change if r.magnitude >= 0 else -change).idxmax()
        start = j[(j.checkpoint == first) & (j.prompt_id == pid)].iloc[0]
        end = j[(j.checkpoint == last) & (j.prompt_id == pid)].iloc[0]
        out.append(
            {
                "stage": r.stage,
                "algorithm": r.algorithm,
                "category": r.category,
                "stance": r.stance,
                "magnitude": _fmt(float(r.magnitude)),
                "question": start.question,
                "start": {
                    "checkpoint": first,
                    "response": start.response,
                    "label": start.label,
                    "p": f"{start[pcol]:.2f}",
                },
                "end": {
                    "checkpoint": last,
                    "response": end.response,
                    "label": end.label,
                    "p": f"{end[pcol]:.2f}",
                },
            }
        )
    return out


def build_report(run, out: Path | str | None = None) -> Path:
    """Write ``report.html`` (or ``out``) for a run that has been analysed; return its path."""
    from valuedrift.errors import UserError
    from valuedrift.rundir import RunDir

    run = run if isinstance(run, RunDir) else RunDir(run)
    for table in ("drift", "stances"):
        if not run.table_path(table).exists():
            raise UserError(f"{run.path}: no {table} table yet", hint="run 'valuedrift analyze' first")
    drift = pd.read_parquet(run.table_path("drift"))
    stances = pd.read_parquet(run.table_path("stances"))
    judgments = run.read_table("judgments")
    manifest = run.read_manifest() if run.manifest_path.exists() else None
    # the base model is drawn as step 0 of the stages that start from it, not as a panel of its own
    stages, panel_rows = figures.panels(stances, manifest)
    cats = [OVERALL, *sorted(c for c in stances.category.unique() if c != OVERALL)]

    firsts, lasts = {}, {}
    for stage, grp in stances.groupby("stage"):
        firsts[stage] = grp.sort_values("step").checkpoint.iloc[0]
        lasts[stage] = grp.sort_values("step").checkpoint.iloc[-1]

    overall = drift[drift.category == OVERALL]
    drift_rows = [
        {
            "stage": r.stage,
            "algorithm": r.algorithm,
            "stance": r.stance,
            "v_start": f"{r.v_start:.3f}",
            "v_end": f"{r.v_end:.3f}",
            "magnitude": _fmt(float(r.magnitude)),
            "ci": f"[{r.ci_low:+.3f}, {r.ci_high:+.3f}]",
            "significant": bool(r.ci_low > 0 or r.ci_high < 0),
            "peak": _fmt(float(getattr(r, "peak_drift", np.nan))),
            "drift_time": "—" if not np.isfinite(r.drift_time) else f"{r.drift_time:.2f}",
            "n_prompts": int(r.n_prompts),
            "n_unscored": int(r.n_unscored),
        }
        for r in overall.sort_values(["stage", "stance"]).itertuples()
    ]
    correction = _add_corrected(run, drift_rows)
    pivot = drift[drift.category != OVERALL].pivot_table(
        index="category", columns=["stage", "stance"], values="magnitude"
    )
    by_category = {
        "stages": [s for s in stages if s in pivot.columns.get_level_values(0)],
        "rows": [
            {
                "category": cat,
                "cells": [
                    _fmt(float(pivot.loc[cat, (s, st)])) if (s, st) in pivot.columns else "—"
                    for s in stages
                    if s in pivot.columns.get_level_values(0)
                    for st in STANCES
                ],
            }
            for cat in pivot.index
        ],
    }

    n_total = len(judgments)
    n_uns = int((judgments.status != "ok").sum())
    judge_meta = _read_json(run.path / "judge_meta.json") or {}
    contamination = _read_json(run.path / "contamination.json")
    config_text = run.config_path.read_text() if run.config_path.exists() else ""
    exp = _run_config(run)
    sampling = {}
    if "n_tokens" in judgments:
        sampling = {
            "n_prompts": int(judgments.prompt_id.nunique()),
            "n_samples": int(judgments["sample"].nunique()),
            "n_checkpoints": int(judgments.checkpoint.nunique()),
            "n_categories": int(judgments.category.nunique()),
            "backend": exp.generation.backend if exp else None,
        }

    html = (
        _env()
        .get_template("report.html.j2")
        .render(
            title=f"valuedrift report — {run.path.name}",
            run_name=run.path.name,
            version=__version__,
            # the base model as the config names it (an alias reads better than its cache path); a
            # traced series (manifest / checkpoints) names its own
            base_model=exp.base_model.name
            if exp and not (exp.manifest or exp.checkpoints)
            else (manifest or {}).get("base_model", "?"),
            stages=stages,
            base_starts=[s for s in stages if s in set(panel_rows.stage[panel_rows.is_base])],
            fig_overall=figures.trajectories(panel_rows, stages, [OVERALL]),
            fig_categories=figures.trajectories(panel_rows, stages, cats[1:]) if len(cats) > 1 else None,
            fig_bars=figures.magnitude_bars(drift, [s for s in stages if s in set(drift.stage)]),
            drift_rows=drift_rows,
            correction=correction,
            ci_note=_ci_note(overall),
            by_category=by_category,
            stances_list=list(STANCES),
            examples=_examples(judgments, drift, firsts, lasts),
            judge=judge_meta,
            judge_labels=_read_json(run.path / "judge_eval_labels.json"),  # valuedrift label + judge-eval
            judge_name=judge_meta.get("judge") or (judgments.judge.iloc[0] if n_total else "?"),
            n_judged=n_total,
            n_unscored=n_uns,
            unscored_rate=f"{(n_uns / n_total if n_total else 0):.1%}",
            contamination=contamination,
            sampling=sampling,
            config_text=config_text,
            threshold=(exp.analysis if exp else AnalysisConfig()).drift_threshold,
        )
    )
    target = Path(out) if out else run.report_path
    io.write_text(target, html)
    return target


def _ci_note(overall: pd.DataFrame) -> str | None:
    """'95% intervals: t over 22 prompts …' — the method the drift table used (None: an older table)."""
    if overall.empty or "ci_method" not in overall:
        return None
    n = overall["n_prompts"].astype(int)
    prompts = f"{n.min()}" if n.min() == n.max() else f"{n.min()}–{n.max()}"
    return (
        f"{float(overall['ci_level'].iloc[0]):.0%} intervals: {overall['ci_method'].iloc[0]} over {prompts} "
        "prompts, paired on the prompts (docs/intervals.md); a drift time η only where the peak drift's "
        "interval excludes 0."
    )


def _add_corrected(run, drift_rows: list[dict]) -> dict | None:
    """Put the judge-error-corrected magnitude and CI (``drift_corrected.parquet``) next to the raw
    ones in each overall drift row; return what the correction rests on, or None without one."""
    from valuedrift.analysis.correction import correction_summary

    summary = correction_summary(run.path)
    if summary is None or not run.table_path("drift_corrected").exists():
        return None
    dc = pd.read_parquet(run.table_path("drift_corrected"))
    rows = {(r.stage, r.stance): r for r in dc[dc.category == OVERALL].itertuples()}
    for row in drift_rows:
        r = rows.get((row["stage"], row["stance"]))
        ok = r is not None and np.isfinite(r.magnitude)
        row["corr_magnitude"] = _fmt(float(r.magnitude)) if ok else "—"
        row["corr_ci"] = f"[{r.ci_low:+.3f}, {r.ci_high:+.3f}]" if ok else (getattr(r, "reason", "") or "—")
        row["corr_significant"] = bool(ok and (r.ci_low > 0 or r.ci_high < 0))
    return summary


def _run_config(run):
    """The run's experiment config, or None (no config, or one that no longer validates)."""
    try:
        return run.read_config()
    except Exception:
        return None
