"""``valuedrift judge-eval --gold FILE``: score a judge against gold labels, or two judges against each other.

valuedrift judge-eval --gold valuedrift/judge/data/gold.jsonl --judge offline --json
valuedrift judge-eval --gold FILE --judge hf:smollm2-135m-instruct
valuedrift judge-eval --gold FILE --judge offline --against openai:gpt-4o
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
            None, "--gold", help="Gold JSONL (question, response, label[, category]); default: the project's."
        ),
        judge_spec: str = typer.Option("offline", "--judge", help="offline | hf:MODEL | openai:MODEL[@URL]."),
        against: str = typer.Option(
            None, "--against", help="A second judge: report agreement between the two."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object as the last line."),
        no_cache: bool = typer.Option(False, "--no-cache", help="Ignore the verdict cache."),
    ) -> None:
        """Accuracy, macro-F1, Cohen's kappa, confusion matrix and per-category accuracy."""
        from valuedrift.judge.metrics import agreement, gold_path, items_of, load_gold
        from valuedrift.judge.registry import get_judge, parse_spec

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
    if m["per_category"]:
        t = Table("category", "n", "accuracy", title="per category")
        for c, v in m["per_category"].items():
            t.add_row(c, str(v["n"]), f"{v['accuracy']:.3f}")
        console.print(t)
