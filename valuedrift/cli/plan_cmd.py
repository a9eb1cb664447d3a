"""``valuedrift plan CONFIG``: checkpoints, answers, tokens, judge calls and their price, and a time
estimate per back end, before anything runs (valuedrift/plan.py)."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def _hms(seconds: float) -> str:
    m, s = divmod(round(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}h {m:02d}m" if h else f"{m}m {s:02d}s"


def register(app: typer.Typer) -> None:
    @app.command("plan")
    def plan_(
        config: Path = typer.Argument(
            None, help="Experiment YAML or demo:NAME (default: the built-in demo)."
        ),
        set_: list[str] = typer.Option([], "--set", help="Override: key.sub=value (repeatable)."),
        throughput: list[str] = typer.Option(
            [], "--throughput", help="Your measured tokens/s for a back end, e.g. vllm=2500 (repeatable)."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print the plan as one JSON object."),
    ) -> None:
        """What a config will cost before it runs: checkpoints, answers, tokens, judge calls and price,
        and the generation time per back end at a stated throughput."""
        from valuedrift.config import load_config
        from valuedrift.plan import parse_throughput, plan

        rates = parse_throughput(throughput)
        exp = load_config(config or "demo:demo", set_)
        p = plan(exp, rates)
        if as_json:
            typer.echo(json.dumps(p.as_dict()))
            return
        g = exp.generation
        lines = [
            f"checkpoints      {p.checkpoints} ({p.distinct_weights} distinct weights; a stage's step 0 is its parent's)",
            f"training steps   {p.training_steps}",
            f"answers          {p.answers} in the table = {p.checkpoints} checkpoints × {p.prompts} prompts × {p.samples} samples",
            f"sampled          {p.answers_sampled} answers, at most {p.max_tokens_to_sample:,} tokens ({g.sampling.max_new_tokens} per answer)",
            f"judge calls      at most {p.judge_calls} ({p.judge['backend']} judge{', ' + p.judge['model'] if p.judge.get('model') else ''})",
        ]  # fmt: skip
        cost = p.judge.get("cost_usd")
        lines.append(f"judge price      {'unknown' if cost is None else f'${cost:,.2f}'}: {p.judge['note']}")
        lines.append(f"generation time  (back end in the config: {g.backend})")
        for name, secs in p.generation_s.items():
            r = p.throughput[name]
            lines.append(f"  {name:<6} ~{_hms(secs):>8} at {r['tok_s']:g} tok/s ({r['source']})")
        if g.backend not in p.generation_s:
            lines.append(f"  {g.backend:<6} unknown: pass --throughput {g.backend}=TOKENS_PER_SECOND")
        typer.echo("\n".join(lines))
