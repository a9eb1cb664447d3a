"""``valuedrift judge RUN_DIR``: stance verdicts for every generated response of a run."""

from __future__ import annotations

from pathlib import Path

import typer

from valuedrift.cli.app import console


def register(app: typer.Typer) -> None:
    @app.command("judge")
    def judge(
        run_dir: Path = typer.Argument(..., help="Run directory with generations."),
        judge_spec: str = typer.Option(
            None, "--judge", help="Override the config's judge: offline | hf:MODEL | openai:MODEL[@URL]."
        ),
        set_: list[str] = typer.Option([], "--set", help="Override: judge.key=value (repeatable)."),
        validate: bool = typer.Option(
            False, "--validate", help="Also score the judge on the gold set; figures go to judge_meta.json."
        ),
        no_cache: bool = typer.Option(
            False, "--no-cache", help="Ignore the verdict cache (re-ask the judge)."
        ),
    ) -> None:
        """Give p(support), p(neutral), p(oppose) for each response, per checkpoint (resumable)."""
        from valuedrift.config import load_config
        from valuedrift.config.loader import apply_overrides, validate_config
        from valuedrift.judge.registry import parse_spec
        from valuedrift.judge.run import judge_run
        from valuedrift.preflight import preflight
        from valuedrift.rundir import RunDir

        run = RunDir(run_dir)
        if run.config_path.exists():
            exp = load_config(run.config_path, set_)
        else:  # a run made elsewhere (e.g. only generations): defaults plus --set
            exp = validate_config(apply_overrides({}, list(set_)), source="--set")
        cfg = parse_spec(judge_spec, exp.judge) if judge_spec else exp.judge
        if no_cache:
            cfg = cfg.model_copy(update={"cache": False})
        exp = exp.model_copy(update={"judge": cfg})
        preflight(exp, phases=("judge",), probe=False)  # judging contacts the endpoint at once anyway
        df = judge_run(run, exp, validate=validate)
        _summary(run, df)


def _summary(run, df) -> None:
    import json

    from rich.table import Table

    from valuedrift.judge.run import META

    meta = json.loads((run.path / META).read_text())
    table = Table(
        "checkpoint", "n", "ok", "unscored", "support", "neutral", "oppose", title=f"judge: {meta['judge']}"
    )
    for ckpt, c in meta["checkpoints"].items():
        table.add_row(ckpt, *(str(c[k]) for k in ("n", "ok", "unscored", "support", "neutral", "oppose")))
    console.print(table)
    u = meta["usage"]
    cost = (
        f", cost ${u['cost_usd']:.4f}"
        if u.get("cost_known", True)
        else ", cost unknown (set judge.options.price_in/out)"
    )
    console.print(
        f"{meta['counts'].get('n', 0)} responses, {meta['counts'].get('unscored', 0)} unscored; "
        f"{u['requests']} judge calls, {u['cache_hits']} from cache, {u['retries']} retries, "
        f"{u['prompt_tokens']}+{u['completion_tokens']} tokens{cost}",
        highlight=False,
    )
    if meta.get("validation") and meta["validation"].get("gold"):
        g = meta["validation"]["gold"]
        for name, f in [("gold set", g)] + [
            (f"  {k[5:]} part", v) for k, v in g.items() if k.startswith("part_")
        ]:
            console.print(
                f"{name}: accuracy {f['accuracy']:.3f}, macro-F1 {f['macro_f1']:.3f}, "
                f"kappa {f['kappa']:.3f} (n={f['n']})",
                highlight=False,
            )
