"""The labelling sample and file: stratified, seeded draws; resume state; atomic saves; scoring."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.judge.label_fixture import make_label_run
from valuedrift.errors import UserError
from valuedrift.judge.labels import (
    LABEL_COLUMNS,
    META_FILE,
    allocate,
    draw_sample,
    end_checkpoints,
    label_sample_state,
    labels_path,
    read_labels,
    stance_labels,
    verdicts_on_labels,
)
from valuedrift.rundir import RunDir

REPO = Path(__file__).resolve().parents[2]


def generations(stages: dict[str, list[int]], cats: dict[str, int], samples: int = 2) -> pd.DataFrame:
    """Rows for each (stage, step) x topic (with the given number of prompts) x sample."""
    rows = [
        {
            "checkpoint": f"{stage}/step-{step}",
            "stage": stage,
            "step": step,
            "prompt_id": f"{cat}-{i:03d}",
            "category": cat,
            "sample": k,
            "question": f"q {cat} {i}",
            "response": f"a {stage} {step} {cat} {i} {k}",
        }
        for stage, steps in stages.items()
        for step in steps
        for cat, n_prompts in cats.items()
        for i in range(n_prompts)
        for k in range(samples)
    ]
    return pd.DataFrame(rows)


MANIFEST = {"checkpoints": [{"id": "dpo/step-3", "parent": "sft/step-10"}]}
TREE = {"base": [0], "sft": [0, 5, 10], "dpo": [3, 6]}


def test_ends_are_each_stages_start_and_last_checkpoint_found_as_the_drift_finds_them():
    g = generations(TREE, {"abortion": 1})
    # dpo has no step 0 in the table: its start is the parent it was trained from
    assert end_checkpoints(g, MANIFEST) == ["dpo/step-6", "sft/step-0", "sft/step-10"]
    # without the manifest the first checkpoint a stage has is its start; base alone has no drift
    assert end_checkpoints(g) == ["dpo/step-3", "dpo/step-6", "sft/step-0", "sft/step-10"]
    assert end_checkpoints(generations({"base": [0]}, {"abortion": 1})) == ["base/step-0"]


def test_allocation_is_as_equal_as_possible_and_respects_small_strata():
    rng = np.random.default_rng(0)
    assert list(allocate(9, np.array([10, 10, 10]), rng)) == [3, 3, 3]
    a = allocate(10, np.array([10, 10, 10]), rng)
    assert sorted(a) == [3, 3, 4]
    assert list(allocate(10, np.array([1, 5, 6]), rng)) in ([1, 4, 5], [1, 5, 4])
    assert list(allocate(10, np.array([6, 4, 2]), rng)) == [4, 4, 2]  # max-min fair, whatever the order
    assert {tuple(allocate(4, np.array([9, 9, 9]), np.random.default_rng(s))) for s in range(30)} == {
        (2, 1, 1),
        (1, 2, 1),
        (1, 1, 2),
    }  # the extra draw goes to a random stratum
    assert list(allocate(50, np.array([1, 5, 6]), rng)) == [1, 5, 6]  # capped at what exists


def test_draw_is_stratified_by_checkpoint_then_topic_with_cell_sizes():
    g = generations(TREE, {"abortion": 3, "immigration": 2, "religion": 1})  # cells of 6, 4 and 2 rows
    s = draw_sample(g, 20, seed=1, checkpoints="ends", manifest=MANIFEST)
    assert len(s) == 20 and not s.duplicated(["checkpoint", "prompt_id", "sample"]).any()
    per_ck = s.groupby("checkpoint").size()
    assert set(per_ck.index) == {"sft/step-0", "sft/step-10", "dpo/step-6"}
    assert sorted(per_ck) == [6, 7, 7]
    for ck, grp in s.groupby("checkpoint"):
        per_cat = grp.groupby("category").size()
        assert per_cat.max() - per_cat.min() <= 1, ck
        for cat, n in per_cat.items():
            cell = g[(g.checkpoint == ck) & (g.category == cat)]
            assert (grp.loc[grp.category == cat, "cell_size"] == len(cell)).all()
            assert (grp.loc[grp.category == cat, "cell_drawn"] == n).all()
    # 'all' spreads over every checkpoint, and a small topic gives what it has to the others
    s = draw_sample(g, 10 * 6, seed=1, checkpoints="all")
    assert set(s.checkpoint) == set(g.checkpoint) and (s.groupby("checkpoint").size() == 10).all()
    n = s.groupby(["category", "checkpoint"]).size()
    assert (n["religion"] == 2).all() and (n["immigration"] == 4).all() and (n["abortion"] == 4).all()


def test_draw_is_deterministic_whatever_the_row_order_and_depends_on_the_seed():
    g = generations(TREE, {"abortion": 3, "immigration": 2})
    a = draw_sample(g, 15, seed=7, manifest=MANIFEST)
    b = draw_sample(g.sample(frac=1, random_state=3), 15, seed=7, manifest=MANIFEST)
    pd.testing.assert_frame_equal(a, b)
    c = draw_sample(g, 15, seed=8, manifest=MANIFEST)
    key = ["checkpoint", "prompt_id", "sample"]
    assert list(map(tuple, a[key].values)) != list(map(tuple, c[key].values))


def test_within_a_cell_every_answer_is_equally_likely():
    g = generations({"sft": [0, 4]}, {"abortion": 3}, samples=2)  # one cell of 6 answers per checkpoint
    hits = pd.Series(0, index=sorted(set(g.prompt_id + "/" + g["sample"].astype(str))))
    runs = 600
    for seed in range(runs):
        s = draw_sample(g, 4, seed=seed)  # 2 of the 6 at each checkpoint
        s = s[s.checkpoint == "sft/step-0"]
        hits[list(s.prompt_id + "/" + s["sample"].astype(str))] += 1
    # each answer: 600 x 2/6 = 200 expected, sd ~11.5
    assert (hits - 200).abs().max() < 50, hits.to_dict()


def test_bad_draw_arguments_are_user_errors():
    g = generations(TREE, {"abortion": 1})
    with pytest.raises(UserError, match="--n 0"):
        draw_sample(g, 0, seed=0)
    with pytest.raises(UserError, match="--checkpoints 'some'"):
        draw_sample(g, 5, seed=0, checkpoints="some")


def test_state_resumes_the_same_sample_and_refuses_changed_flags(tmp_path):
    run = make_label_run(tmp_path / "run")
    st = label_sample_state(run, n=6, seed=3)
    assert st.params == {"n": 6, "seed": 3, "checkpoints": "ends"}
    assert set(st.sample.checkpoint) == {"sft/step-0", "sft/step-4"} and len(st.pending) == 6
    first, second = st.pending.iloc[0], st.pending.iloc[1]
    st.add(first, "oppose", "ann", 2.25)
    st.add(second, "skip", "ann", 1.0)

    again = label_sample_state(run)  # flags left out: the stored ones
    pd.testing.assert_frame_equal(again.sample, st.sample)
    assert len(again.pending) == 4 and again.n_labelled == 2
    assert again.pending.iloc[0]["response"] == st.sample.iloc[2]["response"]
    assert again.undo()["label"] == "skip" and len(read_labels(run)) == 1
    assert label_sample_state(run, n=6, seed=3, checkpoints="ends").n_labelled == 1  # same flags: fine

    with pytest.raises(UserError, match="drawn with --n 6, not --n 10"):
        label_sample_state(run, n=10)
    fresh = label_sample_state(run, n=4, seed=3, fresh=True)
    assert fresh.n_labelled == 0 and len(fresh.sample) == 4 and not labels_path(run).exists()
    kept = sorted(p.name for p in run.path.glob("labels*.bak"))
    assert (
        len(kept) == 2 and json.loads((run.path / kept[0]).read_text().splitlines()[0])["label"] == "oppose"
    )


def test_labels_file_has_one_object_per_label_with_every_field(tmp_path):
    run = make_label_run(tmp_path / "run")
    assert list(read_labels(run).columns) == LABEL_COLUMNS and read_labels(run).empty
    st = label_sample_state(run, n=6)
    row = st.pending.iloc[0]
    st.add(row, "neutral", "ann", 3.14159)
    [line] = labels_path(run).read_text().splitlines()
    rec = json.loads(line)
    assert list(rec) == LABEL_COLUMNS
    assert rec["checkpoint"] == row["checkpoint"] and rec["sample"] == int(row["sample"])
    assert rec["label"] == "neutral" and rec["labeller"] == "ann" and rec["seconds"] == 3.1
    assert (
        rec["at"].endswith("+00:00")
        and rec["cell_size"] == rec["cell_drawn"] == {"abortion": 2, "immigration": 1}[row["category"]]
    )
    meta = json.loads((run.path / META_FILE).read_text())
    assert meta["n"] == 6 and len(meta["sample"]) == 6


def test_bad_lines_and_missing_inputs_are_user_errors(tmp_path):
    run = make_label_run(tmp_path / "run")
    labels_path(run).write_text(
        '{"checkpoint": "sft/step-0", "prompt_id": "p", "sample": 0, "label": "yes"}\n'
    )
    with pytest.raises(UserError, match=r"labels.jsonl:1: label 'yes'"):
        read_labels(run)
    with pytest.raises(UserError, match=r"labels\.meta\.json does not"):
        label_sample_state(run)
    empty = RunDir(tmp_path / "empty", create=True)
    with pytest.raises(UserError, match="no generations table"):
        label_sample_state(empty)
    with pytest.raises(UserError, match="--n 0"):
        label_sample_state(run, n=0)
    with pytest.raises(UserError, match="run directory not found"):
        label_sample_state(tmp_path / "nowhere")


def test_scoring_joins_the_latest_label_to_the_verdict(tmp_path):
    run = make_label_run(tmp_path / "run")
    st = label_sample_state(run, n=6)
    by_id = {r.response.split()[0][3:]: r for r in st.sample.itertuples()}
    st.add(by_id["A2"]._asdict(), "support", "ann", 1)
    st.add(by_id["A2"]._asdict(), "oppose", "bob", 1)  # a second label of the same answer: the latest counts
    st.add(by_id["A4"]._asdict(), "neutral", "ann", 1)
    st.add(by_id["A5"]._asdict(), "skip", "ann", 1)
    labels, counts = stance_labels(run)
    assert counts == {"n_labels": 4, "n_answers": 3, "n_skipped": 1}
    rows = verdicts_on_labels(labels, run.read_table("judgments")).sort_values("pred")
    assert list(rows.truth) == ["oppose", "neutral"] and list(rows.pred) == ["neutral", "unscored"]
    with pytest.raises(UserError, match=r"no labels\.jsonl") as e:
        stance_labels(make_label_run(tmp_path / "other"))
    assert "valuedrift label" in e.value.hint


KILLER = """
import sys
from valuedrift.judge.labels import label_sample_state
st = label_sample_state(sys.argv[1])
while True:
    for row in st.sample.to_dict("records"):
        st.add(row, "support", "x" * 200, 1.0)
    print("round", flush=True)
"""


def test_a_kill_mid_save_leaves_a_complete_labels_file(tmp_path):
    """SIGKILL while labels.jsonl is rewritten over and over: it always parses, every line whole."""
    run = make_label_run(tmp_path / "run")
    label_sample_state(run, n=6)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    for wait in (0.2, 0.5, 0.8, 1.1, 1.4):
        proc = subprocess.Popen(
            [sys.executable, "-c", KILLER, str(run.path)], env=env, stdout=subprocess.PIPE
        )
        deadline = time.monotonic() + 60
        while not labels_path(run).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(wait)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        text = labels_path(run).read_text()
        assert text.endswith("\n")
        assert len(read_labels(run)) == len(text.splitlines()) > 0


def test_a_label_given_to_an_answer_sampled_again_since_no_longer_counts(tmp_path, caplog):
    """labels.jsonl keeps a hash of the text the person read: when a changed config re-samples the
    answer (same key, new text), the old label is left out and the answer is shown again."""
    run = make_label_run(tmp_path / "run")
    st = label_sample_state(run, n=6)
    first, second = st.pending.iloc[0], st.pending.iloc[1]
    st.add(first, "oppose", "ann", 1.0)
    st.add(second, "support", "ann", 1.0)
    assert len(read_labels(run)) == 2
    part = run.read_part("generations", first["checkpoint"])
    hit = (part.prompt_id == first["prompt_id"]) & (part["sample"] == int(first["sample"]))
    part.loc[hit, "response"] = "A different answer, sampled again."
    run.write_part("generations", first["checkpoint"], part)
    with caplog.at_level("WARNING"):
        kept = read_labels(run)
    assert kept[["prompt_id", "sample", "label"]].values.tolist() == [
        [second["prompt_id"], int(second["sample"]), "support"]
    ]
    assert "sampled again" in caplog.text
    again = label_sample_state(run)
    assert again.pending.iloc[0]["response"] == "A different answer, sampled again."
