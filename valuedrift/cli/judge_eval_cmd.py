"""``valuedrift judge-eval --gold FILE``: score a judge against gold labels, or two judges against each other.

valuedrift judge-eval --gold valuedrift/judge/data/gold.jsonl --judge offline --json
valuedrift judge-eval --gold FILE --judge hf:smollm2-135m-instruct
valuedrift judge-eval --gold FILE --judge offline --against openai:gpt-4o
valuedrift judge-eval --gold runs/demo          # the run's own verdicts vs its labels (valuedrift label)
valuedrift judge-eval --gold runs/demo --judge openai:gpt-4o   # re-judge the labelled answers
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import typer

from valuedrift.cli.app import console


def register(app: typer.Typer) -> None:
    @app.command("judge-eval")
    def judge_eval(
        gold: Path = typer.Option(
            None,
            "--gold",
            help="Gold JSONL (question, response, label[, category]), or a run directory whose answers "
            "a person labelled (valuedrift label); default: the project's gold set.",
        ),
        judge_spec: str = typer.Option(
            None,
            "--judge",
            help="offline | hf:MODEL | openai:MODEL[@URL] (default offline; with a run directory: "
            "the run's own verdicts, or this judge on the labelled answers).",
        ),
        against: str = typer.Option(
            None, "--against", help="A second judge: report agreement between the two."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object as the last line."),
        no_cache: bool = typer.Option(False, "--no-cache", help="Ignore the verdict cache."),
    ) -> None:
        """Accuracy, macro-F1, Cohen's kappa, recall, confusion matrix and per-category accuracy."""
        from valuedrift.judge.metrics import agreement, gold_path, items_of, load_gold
        from valuedrift.judge.registry import get_judge, parse_spec

        if gold is not None and gold.is_dir():
            _on_run_labels(gold, judge_spec, against, as_json, no_cache)
            return
        judge_spec = judge_spec or "offline"
        rows = load_gold(gold or gold_path())
        items = items_of(rows)
        cats = [r.get("category") for r in rows]

        def labels(spec: str) -> tuple[list[str], object]:
            cfg = parse_spec(spec)
            if no_cache:
                cfg = cfg.model_copy(update={"cache": False})
            j = get_judge(cfg)
            try:
                return [v.label or "unscored" for v in j.judge(items)], j
            finally:
                j.close()

        pred, j1 = labels(judge_spec)
        if against:
            other, j2 = labels(against)
            truth, mode = other, f"{j1.name} vs {j2.name}"
        else:
            truth, mode = [r["label"] for r in rows], f"{j1.name} vs gold ({gold or gold_path()})"
        m = agreement(truth, pred, cats)
        parts = sorted({r["part"] for r in rows if isinstance(r.get("part"), str)})
        if len(parts) > 1:  # e.g. the project's gold set: 'design' (seen while building) vs 'blind'
            m["per_part"] = {
                p: {
                    k: v
                    for k, v in agreement(
                        [t for t, r in zip(truth, rows, strict=True) if r.get("part") == p],
                        [x for x, r in zip(pred, rows, strict=True) if r.get("part") == p],
                    ).items()
                    if k in ("n", "accuracy", "macro_f1", "kappa", "n_unscored")
                }
                for p in parts
            }
        m["judge"] = j1.name
        m["against"] = against or "gold"
        m["usage"] = j1.usage.to_json()
        _print(m, mode)
        if as_json:
            typer.echo(json.dumps(_jsonable(m)))


def _on_run_labels(path: Path, judge_spec: str | None, against: str | None, as_json: bool, no_cache: bool):
    """Score the run's judge (or ``judge_spec`` re-judging the same answers) against the person's
    labels; the run's own figure is saved to ``RUN_DIR/judge_eval_labels.json`` for the report."""
    from valuedrift import io
    from valuedrift.errors import UserError
    from valuedrift.judge.base import JudgeItem
    from valuedrift.judge.labels import EVAL_FILE, labels_path, stance_labels, verdicts_on_labels
    from valuedrift.judge.metrics import agreement
    from valuedrift.judge.registry import get_judge, parse_spec
    from valuedrift.rundir import RunDir

    run = RunDir(path)
    if against:
        raise UserError(
            "--against compares two judges on a gold file",
            hint="with a run directory, --judge SPEC re-judges its labelled answers",
        )
    labels, counts = stance_labels(run)
    if judge_spec is None:
        try:
            judgments = run.read_table("judgments")
        except UserError:
            raise UserError(
                f"{run.path}: no judgments table to score", hint=f"run 'valuedrift judge {run.path}' first"
            ) from None
        rows = verdicts_on_labels(labels, judgments)
        name = ", ".join(sorted(set(judgments["judge"].astype(str)))) if "judge" in judgments else "?"
    else:  # the same labelled answers, judged afresh by another judge
        gen = run.read_table("generations")
        rows = labels.merge(
            gen.assign(sample=gen["sample"].astype(int)).drop_duplicates(
                ["checkpoint", "prompt_id", "sample"]
            ),
            on=["checkpoint", "prompt_id", "sample"],
            how="inner",
            suffixes=("", "_gen"),
        ).rename(columns={"label": "truth"})
        cfg = parse_spec(judge_spec)
        if no_cache:
            cfg = cfg.model_copy(update={"cache": False})
        j = get_judge(cfg)
        try:
            verdicts = j.judge([JudgeItem(r.question, r.response, r.category) for r in rows.itertuples()])
        finally:
            j.close()
        rows["pred"] = [v.label or "unscored" for v in verdicts]
        name = j.name
    if rows.empty:
        raise UserError(
            f"{labels_path(run)}: none of the {len(labels)} labelled answers has a verdict to compare",
            hint=f"run 'valuedrift judge {run.path}' first",
        )
    m = agreement(list(rows["truth"]), list(rows["pred"]), list(rows["category"]))
    by_ck = {}
    for ck, grp in rows.groupby("checkpoint", sort=True):
        by_ck[ck] = {"n": len(grp), "accuracy": float((grp["truth"] == grp["pred"]).mean())}
    lab = sorted({str(x) for x in labels["labeller"].dropna()})
    m.update(
        judge=name,
        against="labels",
        source=str(run.path),
        verdicts="run" if judge_spec is None else "re-judged",
        per_checkpoint=by_ck,
        labellers=lab,
        n_not_judged=len(labels) - len(rows),
        **counts,
    )
    mode = f"{name} vs {len(rows)} labelled answers of {run.path}"
    _print(m, mode)
    console.print(
        f"{counts['n_skipped']} skipped, {m['n_not_judged']} not judged; labelled by {', '.join(lab) or '?'}",
        highlight=False,
        markup=False,
    )
    if judge_spec is None:
        out = io.write_json(run.path / EVAL_FILE, _jsonable(m))
        console.print(f"[green]ok[/]: {out}", highlight=False)
    if as_json:
        typer.echo(json.dumps(_jsonable(m)))


def _jsonable(x):
    if isinstance(x, float) and math.isnan(x):
        return None
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    return x


def _print(m: dict, mode: str) -> None:
    from rich.table import Table

    console.print(
        f"[bold]{mode}[/]: n={m['n']}  accuracy {m['accuracy']:.3f}  macro-F1 {m['macro_f1']:.3f}  "
        f"kappa {m['kappa']:.3f}  unscored {m['n_unscored']}",
        highlight=False,
    )
    if "recall" in m:
        console.print(
            "recall: " + "  ".join(f"{s} {_f3(r)}" for s, r in m["recall"].items()), highlight=False
        )
    cols = list(next(iter(m["confusion"].values())).keys())
    t = Table("truth \\ judged", *cols, title="confusion matrix")
    for truth, row in m["confusion"].items():
        t.add_row(truth, *(str(row[c]) for c in cols))
    console.print(t)
    for part, v in m.get("per_part", {}).items():
        console.print(
            f"  part '{part}': n={v['n']}  accuracy {v['accuracy']:.3f}  macro-F1 {v['macro_f1']:.3f}  "
            f"kappa {v['kappa']:.3f}",
            highlight=False,
        )
    if m.get("per_checkpoint"):
        t = Table("checkpoint", "n", "accuracy", title="per checkpoint")
        for c, v in m["per_checkpoint"].items():
            t.add_row(c, str(v["n"]), f"{v['accuracy']:.3f}")
        console.print(t)
    if m["per_category"]:
        t = Table("category", "n", "accuracy", title="per category")
        for c, v in m["per_category"].items():
            t.add_row(c, str(v["n"]), f"{v['accuracy']:.3f}")
        console.print(t)


def _f3(x: float) -> str:
    return "—" if x != x else f"{x:.3f}"
