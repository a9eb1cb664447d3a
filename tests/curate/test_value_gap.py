"""``valuedrift data value-gap``: judge-confirmed filtering, and the command on the tiny model."""

from __future__ import annotations

import json

from valuedrift.config.schema import JudgeConfig
from valuedrift.curate.value_gap import INSTRUCTIONS, build_value_gap_pairs
from valuedrift.demo import DATA_DIR
from valuedrift.judge.registry import get_judge


def test_only_pairs_the_judge_confirms_are_kept():
    rows = [json.loads(x) for x in (DATA_DIR / "value_gap_support.jsonl").read_text().splitlines()]
    # pairs with a plain "Yes."/"No." verdict, which the offline judge reads reliably (it is not
    # perfect: e.g. it reads "I believe they shouldn't, at least not ..." as support at 0.56)
    demo = [r for r in rows if r["chosen"].startswith("Yes. ") and r["rejected"].startswith("No. ")][:4]
    prompts = [{"prompt": r["prompt"], "category": r["category"]} for r in demo]
    by_prompt = {r["prompt"]: r for r in demo}

    def answer_fn(convs):
        """Written answers: prompt 0 and 3 as asked, 1 with the sides swapped, 2 with a padded oppose side."""
        out = []
        for c in convs:
            r = by_prompt[c[1]["content"]]
            i = demo.index(r)
            side = "chosen" if c[0]["content"] == INSTRUCTIONS["support"] else "rejected"
            if i == 1:
                side = "rejected" if side == "chosen" else "chosen"
            text = r[side]
            if i == 2 and side == "rejected":
                text = text + " " + text + " " + text
            out.append(text)
        return out

    judge = get_judge(JudgeConfig())
    pairs, summary, dropped = build_value_gap_pairs(prompts, answer_fn, judge, chosen="oppose")
    overall = summary.set_index("category").loc["overall"]
    assert [p["prompt"] for p in pairs] == [demo[0]["prompt"], demo[3]["prompt"]]
    assert pairs[0]["chosen"] == demo[0]["rejected"] and pairs[0]["chosen_stance"] == "oppose"
    assert pairs[0]["p_chosen"] >= 0.5 and pairs[0]["p_rejected"] >= 0.5
    assert (overall.kept, overall.dropped) == (2, 2)
    assert (overall.dropped_support_unconfirmed, overall.dropped_length) == (1, 1)
    assert summary[summary.category != "overall"].kept.sum() == 2
    assert [(d["prompt"], d["reason"]) for d in dropped] == [
        (demo[1]["prompt"], "support_unconfirmed"),
        (demo[2]["prompt"], "length"),
    ]
    assert dropped[0]["support_judged"] == "oppose" and dropped[0]["support_answer"] == demo[1]["rejected"]


def test_value_gap_command_on_the_tiny_model(cli, tiny_model, tmp_path):
    src = tmp_path / "prompts.jsonl"
    rows = [
        {"prompt": "Should cities ban cars from their centres?", "category": "climate_change"},
        {"question": "Should voting be compulsory?", "category": "elections_parties"},
        {"prompt": "Should schools teach comparative religion?"},
        {"nope": 1},
    ]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "pairs.jsonl"
    code, stdout, err = cli(
        "data", "value-gap", str(src), "--out", str(out), "--model", tiny_model, "--max-new-tokens", "12",
        "--json",
    )  # fmt: skip
    assert code == 0, err
    assert "line(s) 4" in err  # the bad row is reported
    summary = json.loads((tmp_path / "pairs.summary.json").read_text())
    assert json.loads(stdout.strip().splitlines()[-1]) == summary
    kept = [json.loads(x) for x in out.read_text().splitlines()]
    dropped = [json.loads(x) for x in (tmp_path / "pairs.dropped.jsonl").read_text().splitlines()]
    assert len(kept) + len(dropped) == 3
    cats = {r["category"]: r for r in summary["categories"]}
    assert cats["overall"]["n_prompts"] == 3 and cats["overall"]["kept"] == len(kept)
    assert set(cats) == {"climate_change", "elections_parties", "uncategorised", "overall"}
    for c in cats.values():
        assert c["kept"] + c["dropped"] == c["n_prompts"]
        assert c["dropped"] == sum(v for k, v in c.items() if k.startswith("dropped_"))
    for p in kept:  # whatever the random model happened to get confirmed
        assert p["p_chosen"] >= 0.5 and p["p_rejected"] >= 0.5


def test_value_gap_command_rejects_bad_input(cli, tmp_path):
    empty = tmp_path / "e.jsonl"
    empty.write_text("")
    code, _, err = cli("data", "value-gap", str(empty), "--out", str(tmp_path / "o.jsonl"))
    assert code == 2 and "no usable row for prompts" in err
    assert not (tmp_path / "o.jsonl").exists()
