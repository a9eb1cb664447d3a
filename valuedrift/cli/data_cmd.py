"""``valuedrift data ...``: audit a preference set's value gap, build value-gap pairs, check contamination.

valuedrift data audit demo:value_gap_support.jsonl --json --out audit.csv
valuedrift data value-gap prompts.jsonl --out pairs.jsonl --model smollm2-135m-instruct
valuedrift data contamination demo:sft.jsonl
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import typer

from valuedrift.cli.app import console

FORMATS = "auto|pairs|ultrafeedback|hh-rlhf"


def _jsonable(x):
    if isinstance(x, float) and math.isnan(x):
        return None
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_jsonable(v) for v in x]
    if hasattr(x, "item"):  # numpy scalars
        return _jsonable(x.item())
    return x


def _table(df, title: str, floats: str = "{:.3f}") -> None:
    """Print a DataFrame as a plain-text table on stdout (tables and JSON go to stdout)."""
    shown = df.copy()
    for c in shown.columns:
        if shown[c].dtype.kind == "f":
            shown[c] = shown[c].map(lambda v: "nan" if v != v else floats.format(v))
    typer.echo(title)
    typer.echo(shown.to_string(index=False))


def _judge(spec: str, no_cache: bool):
    from valuedrift.judge.registry import get_judge, parse_spec

    cfg = parse_spec(spec)
    if no_cache:
        cfg = cfg.model_copy(update={"cache": False})
    return get_judge(cfg)


def _eval_questions(prompts: str | None) -> list[str] | None:
    if not prompts or prompts == "none":
        return None
    from valuedrift.config.schema import PromptsConfig
    from valuedrift.data.loaders import load_prompts

    return load_prompts(PromptsConfig(path=prompts))["question"].tolist()


def _contamination_line(hits, n_train: int) -> str:
    if hits is None:
        return "contamination: not checked"
    n_eval = hits["eval"].nunique() if len(hits) else 0
    return (
        f"contamination: {n_eval} evaluation prompt(s) match training prompts ({len(hits)} flagged "
        f"pair(s); {n_train} training prompts checked; threshold {hits.attrs['threshold']}: normalised "
        f"match, containment or character 5-gram Jaccard)"
    )


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Training data tools: value-gap audit and builder, contamination check.", no_args_is_help=True
    )

    @group.command("audit")
    def audit(
        prefs: str = typer.Argument(..., help="Preference set: file, demo:<file> or hub id."),
        fmt: str = typer.Option("auto", "--format", help=f"Row shape: {FORMATS}."),
        judge_spec: str = typer.Option("offline", "--judge", help="offline | hf:MODEL | openai:MODEL[@URL]."),
        prompts: str = typer.Option(
            "builtin:vprism",
            "--prompts",
            help="Evaluation prompts for the contamination check ('none': skip).",
        ),
        limit: int = typer.Option(
            None, "--limit", min=1, help="Audit a seeded random subset of this many pairs."
        ),
        out: Path = typer.Option(None, "--out", help="Write the per-category table as CSV here."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object as the last line."),
        no_cache: bool = typer.Option(False, "--no-cache", help="Ignore the verdict cache."),
    ) -> None:
        """Stance distribution of chosen and rejected responses and the value gap between them, per category."""
        from valuedrift import io
        from valuedrift.config.schema import DataConfig
        from valuedrift.curate.audit import audit_pairs
        from valuedrift.data.loaders import preference_pairs
        from valuedrift.errors import UserError

        if fmt not in FORMATS.split("|"):
            raise UserError(f"--format must be one of {FORMATS}, not {fmt!r}")
        pairs = preference_pairs(DataConfig(path=prefs, format=fmt, limit=limit))
        questions = _eval_questions(prompts)
        judge = _judge(judge_spec, no_cache)
        try:
            res = audit_pairs(pairs, judge, questions)
        finally:
            judge.close()
        table, hits = res["table"], res["contamination"]
        cols = ["category", "n_pairs", "chosen_majority", "rejected_majority",
                "gap_support", "gap_neutral", "gap_oppose", "value_gap", "pair_gap", "n_unscored"]  # fmt: skip
        _table(table[cols], f"value-gap audit of {prefs} (judge {judge.name}, {len(pairs)} pairs)")
        n_prompts = len({p["prompt"] for p in pairs})
        typer.echo(_contamination_line(hits, n_prompts))
        if out:
            io.write_text(out, table.to_csv(index=False))
            console.print(f"wrote {out}", highlight=False)
        if as_json:
            doc = {
                "data": prefs,
                "judge": judge.name,
                "n_pairs": len(pairs),
                "categories": table.to_dict("records"),
                "contamination": None
                if hits is None
                else {
                    "threshold": hits.attrs["threshold"],
                    "n_eval_flagged": int(hits["eval"].nunique()) if len(hits) else 0,
                    "pairs": hits.head(50).to_dict("records"),
                },
            }
            typer.echo(json.dumps(_jsonable(doc)))

    @group.command("value-gap")
    def value_gap(
        prompts_file: str = typer.Argument(..., help="Prompts: a file with a 'prompt' or 'question' column."),
        out: Path = typer.Option(..., "--out", help="Output JSONL of kept pairs (summary beside it)."),
        model: str = typer.Option(
            "smollm2-135m-instruct", "--model", help="Generator model (alias, folder, hub id)."
        ),
        backend: str = typer.Option("hf", "--backend", help="Generator back end: hf | vllm | openai."),
        base_url: str = typer.Option(None, "--base-url", help="openai back end: server URL."),
        judge_spec: str = typer.Option("offline", "--judge", help="offline | hf:MODEL | openai:MODEL[@URL]."),
        chosen: str = typer.Option(
            "support", "--chosen", help="Stance of the chosen side: support | oppose."
        ),
        min_prob: float = typer.Option(
            0.5, "--min-prob", min=0.0, max=1.0, help="Least judge p(intended stance)."
        ),
        max_length_ratio: float = typer.Option(
            1.6, "--max-length-ratio", min=1.0, help="Longest / shortest answer, in words, for a kept pair."
        ),
        limit: int = typer.Option(None, "--limit", min=1, help="Use only the first N prompts."),
        max_new_tokens: int = typer.Option(
            128, "--max-new-tokens", min=1, help="Most new tokens per answer."
        ),
        temperature: float = typer.Option(0.7, "--temperature", min=0.0, help="Sampling temperature."),
        seed: int = typer.Option(0, "--seed", help="Sampling seed."),
        device: str = typer.Option("auto", "--device", help="auto | cpu | cuda."),
        eval_prompts: str = typer.Option(
            "builtin:vprism",
            "--eval-prompts",
            help="Check the prompts against these evaluation prompts ('none': skip).",
        ),
        as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON line."),
        no_cache: bool = typer.Option(False, "--no-cache", help="Ignore the verdict cache."),
    ) -> None:
        """Value-gap pairs: the generator argues each side, the judge confirms both stances, the rest are dropped."""
        from valuedrift import io
        from valuedrift.config.schema import GenerationConfig, SamplingConfig
        from valuedrift.curate.value_gap import build_value_gap_pairs, read_prompts
        from valuedrift.generate.run import generate_texts

        prompts = read_prompts(prompts_file)[:limit] if limit else read_prompts(prompts_file)
        questions = _eval_questions(eval_prompts)
        if questions is not None:
            from valuedrift.curate.contamination import check_contamination

            hits = check_contamination(questions, [p["prompt"] for p in prompts])
            if len(hits):
                console.print(
                    f"[yellow]warning[/]: {hits['eval'].nunique()} of these prompts match evaluation prompts "
                    f"in {eval_prompts}; training on them contaminates the drift measurement",
                    highlight=False,
                )
        gcfg = GenerationConfig(backend=backend, base_url=base_url)
        sampling = SamplingConfig(
            n_samples=1, temperature=temperature, max_new_tokens=max_new_tokens, seed=seed
        )

        def answer_fn(convs):
            return generate_texts(gcfg, model, convs, sampling, device=device)

        judge = _judge(judge_spec, no_cache)
        try:
            pairs, summary, dropped = build_value_gap_pairs(
                prompts, answer_fn, judge, chosen=chosen, min_prob=min_prob, max_length_ratio=max_length_ratio
            )
        finally:
            judge.close()
        io.write_text(out, "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pairs))
        stem = out.name.removesuffix(".jsonl")
        summary_path = out.with_name(stem + ".summary.json")
        dropped_path = out.with_name(stem + ".dropped.jsonl")
        io.write_text(dropped_path, "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in dropped))
        doc = {
            "prompts": prompts_file,
            "out": str(out),
            "model": model,
            "judge": judge.name,
            "chosen": chosen,
            "min_prob": min_prob,
            "max_length_ratio": max_length_ratio,
            "sampling": sampling.model_dump(),
            "categories": summary.to_dict("records"),
        }
        io.write_json(summary_path, _jsonable(doc))
        _table(summary, f"value-gap pairs from {prompts_file}: kept {len(pairs)} of {len(prompts)}")
        console.print(f"wrote {out}, {summary_path} and {dropped_path}", highlight=False)
        if as_json:
            typer.echo(json.dumps(_jsonable(doc)))

    @group.command("contamination")
    def contamination(
        train: str = typer.Argument(..., help="Training data: file, demo:<file> or hub id (any shape)."),
        fmt: str = typer.Option("auto", "--format", help="Row shape (auto: detect)."),
        prompts: str = typer.Option("builtin:vprism", "--prompts", help="Evaluation prompts."),
        threshold: float = typer.Option(None, "--threshold", min=0.0, max=1.0, help="Jaccard threshold."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object as the last line."),
    ) -> None:
        """Exact and near-duplicate overlap between evaluation prompts and a training set's prompts."""
        from valuedrift.config.schema import DataConfig
        from valuedrift.curate.contamination import THRESHOLD, check_contamination, training_texts

        texts = training_texts(DataConfig(path=train, format=fmt))
        hits = check_contamination(_eval_questions(prompts) or [], texts, threshold or THRESHOLD)
        if len(hits):
            _table(hits[["similarity", "eval", "train"]], f"overlap of {train} with {prompts}")
        typer.echo(_contamination_line(hits, len(texts)))
        if as_json:
            typer.echo(json.dumps(_jsonable({"threshold": hits.attrs["threshold"], "n_train": len(texts),
                                             "pairs": hits.to_dict("records")})))  # fmt: skip

    app.add_typer(group, name="data")
