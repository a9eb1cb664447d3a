"""judge_run and `valuedrift judge RUN_DIR`: per-checkpoint parts, meta, unscored kept, cached re-runs."""

from __future__ import annotations

import json
import math

import pandas as pd

from tests.judge.fake_openai import FakeOpenAI
from valuedrift.tables import GENERATION_COLUMNS, JUDGMENT_COLUMNS


def write_generations(run_dir, checkpoints=("base", "dpo/step-2")):
    rows = []
    for ck in checkpoints:
        for i, (resp, cat) in enumerate(
            [
                ("ID=s LP=-0.1,-3,-3 I think yes.", "death_penalty"),
                ("ID=o LP=-3,-3,-0.1 No.", "death_penalty"),
                ("ID=n LP=-3,-0.1,-3 It depends.", "religion"),
                ("ID=u SAY=hmm whatever", "religion"),
                ("", "religion"),
            ]
        ):
            rows.append(
                {
                    "run": "r",
                    "checkpoint": ck,
                    "stage": ck.split("/")[0],
                    "algorithm": "dpo",
                    "step": 0,
                    "progress": 0.0,
                    "prompt_id": f"p{i}",
                    "category": cat,
                    "sample": 0,
                    "seed": 0,
                    "question": "Should the death penalty be abolished?",
                    "response": resp + f" [{ck}]",
                    "n_tokens": 5,
                    "finish_reason": "stop",
                }
            )
    df = pd.DataFrame(rows, columns=GENERATION_COLUMNS)
    df.loc[df["response"].str.startswith(" ["), "response"] = ""  # truly empty responses
    for ck, g in df.groupby("checkpoint"):
        run_dir.write_part("generations", ck, g.reset_index(drop=True))
    return df


def test_judge_command_writes_parts_and_meta_and_a_rerun_makes_zero_calls(cli, run_dir, tmp_path):
    gens = write_generations(run_dir)
    cache = tmp_path / "verdicts.sqlite"
    with FakeOpenAI(logprobs=False) as srv:
        args = [
            "judge",
            run_dir.path,
            "--judge",
            f"openai:judge-model@{srv.url}",
            "--set",
            f"judge.cache_path={cache}",
        ]
        code, _, err = cli(*args)
        assert code == 0, err
        first = srv.chat_requests
        assert first == 8  # 4 non-empty responses x 2 checkpoints, each asked once
        assert "2 unscored" not in err and "4 unscored" in err  # 2 unparseable + 2 empty

        judged = run_dir.read_table("judgments")
        assert list(judged.columns[: len(JUDGMENT_COLUMNS)]) == JUDGMENT_COLUMNS
        assert len(judged) == len(gens)
        assert set(judged["judge"]) == {f"openai:judge-model@{srv.url}"}
        unscored = judged[judged["status"] == "unscored"]
        assert len(unscored) == 4 and (unscored["label"] == "").all() and unscored["p_support"].isna().all()
        assert set(unscored["raw"].str[:5]) == {"empty", "hmm"}
        ok = judged[judged["status"] == "ok"]
        assert ok["judge_source"].eq("parsed").all()
        assert sorted(ok["label"]) == ["neutral"] * 2 + ["oppose"] * 2 + ["support"] * 2
        meta = json.loads((run_dir.path / "judge_meta.json").read_text())
        assert meta["counts"] == {"n": 10, "ok": 6, "unscored": 4}
        assert meta["prompt_version"] == "stance-v1" and meta["usage"]["requests"] == 8

        # re-run: parts are complete -> nothing asked; and with the parts deleted, the cache answers
        assert cli(*args)[0] == 0
        for p in (run_dir.path / "judgments").glob("*.parquet"):
            p.unlink()
        code, _, err = cli(*args)
        assert code == 0
        assert srv.chat_requests == first
        assert "0 judge calls, 10 from cache" in err
        again = run_dir.read_table("judgments")
        pd.testing.assert_frame_equal(
            again.sort_values(["checkpoint", "prompt_id"]).reset_index(drop=True),
            judged.sort_values(["checkpoint", "prompt_id"]).reset_index(drop=True),
        )


def test_transient_failures_are_not_cached_and_are_retried_on_the_next_run(cli, run_dir, tmp_path):
    write_generations(run_dir, checkpoints=("base",))
    cache = tmp_path / "verdicts.sqlite"
    with FakeOpenAI() as srv:
        srv.faults = {"s": ["500"] * 20}
        args = [
            "judge",
            run_dir.path,
            "--judge",
            f"openai:judge-model@{srv.url}",
            "--set",
            f"judge.cache_path={cache}",
            "--set",
            "judge.max_retries=1",
            "--set",
            "judge.options={backoff_base_s: 0.01}",
        ]
        assert cli(*args)[0] == 0
        df = run_dir.read_part("judgments", "base")
        row = df[df["prompt_id"] == "p0"].iloc[0]
        assert row["status"] == "unscored" and row["judge_source"] == "error" and math.isnan(row["p_support"])
        srv.faults = {}
        before = srv.chat_requests
        assert cli(*args)[0] == 0
        assert srv.chat_requests == before + 1  # only the failed item is asked again
        df = run_dir.read_part("judgments", "base")
        assert df[df["prompt_id"] == "p0"].iloc[0]["label"] == "support"


def test_judge_on_a_run_without_generations_is_one_line_exit_2(cli, run_dir):
    code, _, err = cli("judge", run_dir.path)
    assert code == 2 and "no generations yet" in err and "Traceback" not in err


def test_batch_mode_judges_every_checkpoint_in_one_batch_and_keeps_its_id_in_the_run_dir(run_dir, tmp_path):
    from valuedrift.config.schema import Experiment, JudgeConfig
    from valuedrift.judge.run import judge_run

    write_generations(run_dir, checkpoints=("base", "sft/step-1", "sft/step-2"))
    with FakeOpenAI(batch_polls=1) as srv:
        exp = Experiment(
            judge=JudgeConfig(
                backend="openai", model="m", base_url=srv.url, batch_api=True,
                cache_path=str(tmp_path / "v.sqlite"), options={"batch_poll_s": 0.01},
            )
        )  # fmt: skip
        df = judge_run(run_dir, exp)
        assert srv.paths["/v1/batches"] == 1 and srv.chat_requests == 0
    assert len(df) == 15 and set(df["status"]) == {"ok", "unscored"}
    state = json.loads((run_dir.path / "judge_batch.json").read_text())
    assert state["last_batch_id"] == "batch_0" and state["status"] == "completed"
    meta = json.loads((run_dir.path / "judge_meta.json").read_text())
    assert meta["usage"]["prompt_tokens"] == 100 * 12  # 4 distinct texts x 3 checkpoints, each once


def test_unreachable_judge_endpoint_is_one_line_and_keeps_judged_checkpoints(cli, run_dir, tmp_path):
    """The server answers the first checkpoint, then goes away: one line naming the endpoint, exit 1,
    the first checkpoint's judgments kept, the second not written (so a re-run judges it)."""
    write_generations(run_dir, checkpoints=("base",))
    opts = ["--set", f"judge.cache_path={tmp_path / 'v.sqlite'}", "--set", "judge.max_retries=1",
            "--set", "judge.options={backoff_base_s: 0.01}"]  # fmt: skip
    with FakeOpenAI() as srv:
        url = srv.url
        assert cli("judge", run_dir.path, "--judge", f"openai:judge-model@{url}", *opts)[0] == 0
    kept = run_dir.read_part("judgments", "base")
    write_generations(run_dir, checkpoints=("base", "dpo/step-2"))
    code, _, err = cli("judge", run_dir.path, "--judge", f"openai:judge-model@{url}", *opts)
    assert code == 1 and "Traceback" not in err
    assert f"cannot reach the judge endpoint at {url}" in err and "start the server" in err
    pd.testing.assert_frame_equal(run_dir.read_part("judgments", "base"), kept)
    assert not run_dir.has_part("judgments", "dpo/step-2")
