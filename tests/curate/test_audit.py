"""``valuedrift data audit``: the value gap of the demo sets, measured with the real offline judge."""

from __future__ import annotations

import json

import pandas as pd


def _audit(cli, *args):
    code, out, err = cli("data", "audit", *args, "--json")
    assert code == 0, err
    return json.loads(out.strip().splitlines()[-1]), out


def test_value_gap_set_shows_a_large_gap_and_stance_matched_a_small_one(cli, tmp_path):
    csv = tmp_path / "audit.csv"
    doc, out = _audit(cli, "demo:value_gap_support.jsonl", "--limit", "88", "--out", str(csv))
    overall = {r["category"]: r for r in doc["categories"]}["overall"]
    assert doc["n_pairs"] == 88 and overall["n_pairs"] + overall["n_unscored"] == 88
    assert overall["chosen_majority"] == "support" and overall["rejected_majority"] == "oppose"
    assert overall["value_gap"] > 0.85 and overall["gap_support"] > 0.85 and overall["gap_oppose"] < -0.85
    assert doc["contamination"]["n_eval_flagged"] == 0
    table = pd.read_csv(csv)
    assert set(table.category) >= {"overall", "immigration"} and len(table) == 12
    assert "value_gap" in out and "contamination: 0 evaluation prompt(s)" in out

    matched, _ = _audit(cli, "demo:stance_matched.jsonl")
    m = {r["category"]: r for r in matched["categories"]}["overall"]
    assert matched["n_pairs"] == 110
    assert m["value_gap"] < 0.15 and m["pair_gap"] < 0.2
    assert overall["value_gap"] - m["value_gap"] > 0.5

    # the oppose orientation: the same size of gap, the other sign
    opp, _ = _audit(cli, "demo:value_gap_oppose.jsonl", "--limit", "88", "--prompts", "none")
    o = {r["category"]: r for r in opp["categories"]}["overall"]
    assert abs(o["gap_support"] + overall["gap_support"]) < 1e-9 and opp["contamination"] is None


def test_audit_flags_contaminated_pairs_and_rejects_non_preference_data(cli, tmp_path):
    from valuedrift.config.schema import PromptsConfig
    from valuedrift.data.loaders import load_prompts

    q = load_prompts(PromptsConfig())["question"].iloc[3]
    path = tmp_path / "p.jsonl"
    path.write_text(
        json.dumps({"prompt": q, "chosen": "Yes, clearly it should.", "rejected": "No, it should not."})
        + "\n"
    )
    doc, _ = _audit(cli, str(path))
    assert doc["contamination"]["n_eval_flagged"] == 1 and doc["contamination"]["pairs"][0]["eval"] == q
    code, _, err = cli("data", "audit", "demo:sft.jsonl")
    assert code == 2 and "preference" in err and "Traceback" not in err
