"""``valuedrift label`` driven as a person drives it: the real program in a real terminal (tmux).

A person labels three answers (one bad key on the way), undoes the last, quits, comes back, reads the
help and finishes; the labels file, the screen (no verdict, no checkpoint, markup printed literally)
and ``judge-eval --gold RUN_DIR`` are checked against the plan and a hand computation.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from tests.judge.label_fixture import MARKUP, PROBS, RAW_MARK, answer_id, make_label_run

TMUX = shutil.which("tmux")
STRICT = os.environ.get("VALUEDRIFT_STRICT_TESTS") == "1"
PLAN = {"A1": "s", "A2": "o", "A3": "o", "A4": "n", "A5": "k", "A6": "n"}
"""The key the person presses for each answer; the judge said A1 support, A2 neutral, A3 oppose,
A4 unscored, A5 support, A6 neutral (tests/judge/label_fixture.py)."""
LABEL_OF = {"s": "support", "n": "neutral", "o": "oppose", "k": "skip"}
NEVER_ON_SCREEN = ["sft", "base", "step", "ID-B", "ID-C", RAW_MARK, "test-judge", "p_support"] + [
    f"{p:.4f}"[1:] for ps in PROBS.values() for p in ps
]
"""Checkpoint names, answers outside the drawn checkpoints, the judge's name, raw output and
probabilities (as .8173 etc., so 0.8173 and 81.73% are both caught)."""


class Terminal:
    """One tmux session (its own server socket) running a command in a 200 x 50 terminal."""

    def __init__(self, command: str, name: str):
        self.base = [TMUX, "-L", f"vd-label-{os.getpid()}-{name}", "-f", "/dev/null"]
        self.screens: list[str] = []
        subprocess.run(
            [*self.base, "new-session", "-d", "-s", "t", "-x", "200", "-y", "50", command], check=True
        )

    def screen(self) -> str:
        out = subprocess.run(
            [*self.base, "capture-pane", "-p", "-t", "t"], check=True, capture_output=True, text=True
        ).stdout
        self.screens.append(out)
        return out

    def wait_for(self, *patterns: str, timeout: float = 60.0) -> str:
        """The screen once every regex in ``patterns`` is on it (polled); fail with it after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            s = self.screen()
            if all(re.search(p, s) for p in patterns):
                return s
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {patterns} on the screen:\n{s}")
            time.sleep(0.1)

    def keys(self, text: str) -> None:
        """Type ``text`` and press Enter."""
        subprocess.run([*self.base, "send-keys", "-t", "t", "-l", text], check=True)
        subprocess.run([*self.base, "send-keys", "-t", "t", "Enter"], check=True)

    def close(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True)


@pytest.fixture()
def terminal():
    if TMUX is None:
        if STRICT:
            pytest.fail("tmux is not installed (the label test drives the program in a terminal)")
        pytest.skip("tmux not installed")
    opened: list[Terminal] = []

    def open_(command: str) -> Terminal:
        t = Terminal(command, str(len(opened)))
        opened.append(t)
        return t

    yield open_
    for t in opened:
        t.close()


def shown_id(screen: str) -> str:
    [aid] = set(re.findall(r"ID-(A\d)", screen))
    return aid


def progress(k: int) -> str:
    return rf"valuedrift label\s+{k}/6\s"


def label_command(run: Path) -> str:
    cmd = [sys.executable, "-m", "valuedrift", "label", str(run), "--n", "6", "--labeller", "tester"]
    return f"OMP_NUM_THREADS=1 {shlex.join(cmd)}; echo EXIT=$?; sleep 600"


def test_a_person_labels_undoes_quits_resumes_and_judge_eval_scores_the_labels(tmp_path, terminal):
    run = make_label_run(tmp_path / "run").path
    t = terminal(label_command(run))
    seen = []
    for k in (1, 2, 3):
        s = t.wait_for(progress(k), "label>")
        seen.append(shown_id(s))
        if k == 1:
            t.keys("x")
            t.wait_for(r"'x' is not a key")
        t.keys(PLAN[seen[-1]])
    t.wait_for(progress(4), "label>")
    t.keys("u")  # undo the third label: the third answer comes back
    s = t.wait_for(progress(3), "undone: your label", "label>")
    assert shown_id(s) == seen[2]
    t.keys("q")
    s = t.wait_for("EXIT=0")
    assert "saved: 2 of 6 answers labelled" in s and "resume with: valuedrift label" in s
    first = [json.loads(x) for x in (run / "labels.jsonl").read_text().splitlines()]
    assert [r["label"] for r in first] == [LABEL_OF[PLAN[a]] for a in seen[:2]]

    t2 = terminal(label_command(run))  # a new session resumes where the first stopped
    s = t2.wait_for(progress(3), "resuming: 2 of 6 answers labelled already", "label>")
    assert shown_id(s) == seen[2]
    t2.keys("?")
    t2.wait_for("this help", "s support: the response agrees")
    for k in (3, 4, 5, 6):
        s = t2.wait_for(progress(k), "label>")
        seen.append(shown_id(s))
        if seen[-1] == "A2":
            assert "answer (cut off at the token limit)" in s
        t2.keys(PLAN[seen[-1]])
    s = t2.wait_for("EXIT=0")
    assert "done: 6 of 6 answers labelled (support 1, neutral 2, oppose 2, skip 1)" in s
    assert "next: valuedrift judge-eval --gold" in s

    # the file: one line per answer, the planned label, in labelling order
    recs = [json.loads(x) for x in (run / "labels.jsonl").read_text().splitlines()]
    order = seen[:2] + seen[3:]
    assert sorted(order) == sorted(PLAN) and len(recs) == 6
    for rec, aid in zip(recs, order, strict=True):
        assert answer_id(rec["checkpoint"], _cell(rec)) == aid
        assert rec["label"] == LABEL_OF[PLAN[aid]] and rec["labeller"] == "tester"
        assert rec["seconds"] >= 0 and datetime.fromisoformat(rec["at"]).utcoffset().total_seconds() == 0
        assert rec["checkpoint"] in ("sft/step-0", "sft/step-4")

    # the screen: blind and literal
    screens = t.screens + t2.screens
    assert any(MARKUP in s for s in screens)
    for word in NEVER_ON_SCREEN:
        assert not any(word in s for s in screens), word

    # judge-eval on the run's own answers, against a hand computation over the five non-skipped
    # labels: truth/judge A1 s/s, A2 o/n, A3 o/o, A4 n/unscored, A6 n/n
    out = subprocess.run(
        [sys.executable, "-m", "valuedrift", "judge-eval", "--gold", str(run), "--json"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    m = json.loads(out.stdout.strip().splitlines()[-1])
    assert m["n"] == 5 and m["n_skipped"] == 1 and m["n_unscored"] == 1
    assert m["accuracy"] == pytest.approx(3 / 5)
    # kappa on the 4 scored pairs: p_o = 3/4, p_e = (1*1 + 1*2 + 2*1) / 16 = 5/16 -> (3/4 - 5/16) / (11/16)
    assert m["kappa"] == pytest.approx(7 / 11)
    # F1: support 1, neutral P 1/2 R 1/2 -> 1/2, oppose P 1 R 1/2 -> 2/3
    assert m["macro_f1"] == pytest.approx((1 + 1 / 2 + 2 / 3) / 3)
    assert m["recall"] == pytest.approx({"support": 1.0, "neutral": 0.5, "oppose": 0.5})
    assert m["confusion"]["oppose"] == {"support": 0, "neutral": 1, "oppose": 1, "unscored": 0}
    assert m["confusion"]["neutral"] == {"support": 0, "neutral": 1, "oppose": 0, "unscored": 1}
    assert m["judge"] == "test-judge" and m["labellers"] == ["tester"]
    saved = json.loads((run / "judge_eval_labels.json").read_text())
    assert saved["accuracy"] == m["accuracy"] and saved["recall"] == m["recall"]


def _cell(rec: dict) -> int:
    """The fixture's index of an answer within its checkpoint (0..2)."""
    return {("abortion-000", 0): 0, ("abortion-000", 1): 1, ("immigration-000", 0): 2}[
        (rec["prompt_id"], rec["sample"])
    ]


def test_keys_piped_without_a_terminal_label_and_end_of_input_saves(tmp_path):
    run = make_label_run(tmp_path / "run").path
    cmd = [sys.executable, "-m", "valuedrift", "label", str(run), "--n", "6", "--labeller", "pipe"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    p = subprocess.run(cmd, input="o\nwhat\nk\n", capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "'what' is not a key" in p.stderr and "saved: 2 of 6 answers labelled" in p.stderr
    assert [json.loads(x)["label"] for x in (run / "labels.jsonl").read_text().splitlines()] == [
        "oppose",
        "skip",
    ]
    p = subprocess.run(cmd, input="u\nu\nu\nq\n", capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0 and "nothing to undo yet" in p.stderr
    assert (run / "labels.jsonl").read_text() == ""


def test_bad_input_is_one_line_before_anything_is_shown(tmp_path, cli):
    from valuedrift.rundir import RunDir

    code, _, err = cli("label", tmp_path / "nowhere")
    assert code == 2 and "run directory not found" in err and "label>" not in err
    RunDir(tmp_path / "empty", create=True)
    code, _, err = cli("label", tmp_path / "empty")
    assert code == 2 and "no generations table" in err and "valuedrift generate" in err
    run = make_label_run(tmp_path / "run").path
    code, _, err = cli("label", run, "--n", "0")
    assert code == 2 and "--n 0" in err and "label>" not in err
    code, _, err = cli("judge-eval", "--gold", run)
    assert code == 2 and "no labels.jsonl" in err and "valuedrift label" in err


def labelled_run(path: Path):
    """The fixture run with every drawn answer labelled as PLAN says (through the library)."""
    from valuedrift.judge.labels import label_sample_state

    run = make_label_run(path)
    state = label_sample_state(run, n=6)
    for row in state.sample.to_dict("records"):
        aid = row["response"].split()[0][3:]
        state.add(row, LABEL_OF[PLAN[aid]], "ann", 1.0)
    return run


def test_the_report_shows_the_judge_on_the_runs_own_labels(tmp_path, cli):
    from valuedrift.analysis.drift import analyze_run
    from valuedrift.report.build import build_report

    run = labelled_run(tmp_path / "run")
    assert cli("judge-eval", "--gold", run.path)[0] == 0
    analyze_run(run)
    html = build_report(run).read_text()
    assert "On 5 of this run's own answers, labelled by a person" in html
    assert "accuracy 0.600" in html and "oppose recall 0.500" in html and "1 unscored" in html


def test_judge_eval_re_judges_the_labelled_answers_with_another_judge(tmp_path, cli):
    from tests.judge.fake_openai import FakeOpenAI

    run = labelled_run(tmp_path / "run")
    with FakeOpenAI() as srv:  # a real HTTP server; it answers 'support' to every answer here
        code, out, err = cli(
            "judge-eval",
            "--gold",
            run.path,
            "--judge",
            f"openai:judge-model@{srv.url}",
            "--no-cache",
            "--json",
        )
        assert code == 0, err
        assert srv.chat_requests == 5  # the five labelled, non-skipped answers, judged afresh
    m = json.loads(out.strip().splitlines()[-1])
    assert m["verdicts"] == "re-judged" and m["n"] == 5 and m["n_unscored"] == 0
    assert m["accuracy"] == pytest.approx(1 / 5)  # only A1 (labelled support) agrees
    assert m["recall"] == pytest.approx({"support": 1.0, "neutral": 0.0, "oppose": 0.0})
    assert not (run.path / "judge_eval_labels.json").exists()  # the report's figure is the run's own judge
    code, _, err = cli("judge-eval", "--gold", run.path, "--against", "offline")
    assert code == 2 and "--against" in err
