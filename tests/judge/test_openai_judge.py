"""The openai judge against a real HTTP server on 127.0.0.1 that serves log-probs and injects faults."""

from __future__ import annotations

import math

import pytest

from tests.judge.fake_openai import FakeOpenAI
from valuedrift.config.schema import JudgeConfig
from valuedrift.errors import ExternalFailure
from valuedrift.judge.base import JudgeItem
from valuedrift.judge.openai_judge import OpenAIJudge, retry_after_seconds, verdict_from_completion


def cfg(url: str, **kw) -> JudgeConfig:
    opts = {"backoff_base_s": 0.01, "backoff_cap_s": 1.0, **kw.pop("options", {})}
    return JudgeConfig(backend="openai", model="judge-model", base_url=url, cache=False, options=opts, **kw)


def item(tag: str, extra: str = "") -> JudgeItem:
    return JudgeItem(
        "Should the death penalty be abolished?", f"ID={tag} {extra} Some answer.", "death_penalty"
    )


def softmax(xs):
    m = max(xs)
    e = [math.exp(x - m) for x in xs]
    return [v / sum(e) for v in e]


def test_logprobs_become_the_softmax_over_the_three_labels_exactly():
    with FakeOpenAI() as srv:
        j = OpenAIJudge(cfg(srv.url))
        lps = (-0.3, -1.7, -2.9)
        [v] = j.judge([item("a", "LP=-0.3,-1.7,-2.9")])
    assert v.status == "ok" and v.source == "logprobs" and v.label == "support"
    for got, want in zip(v.probs, softmax(lps), strict=True):
        assert got == pytest.approx(want, abs=1e-12)
    assert j.usage.prompt_tokens == 100 and j.usage.completion_tokens == 1


def test_label_read_from_alternatives_even_when_another_label_was_sampled():
    with FakeOpenAI() as srv:
        [v] = OpenAIJudge(cfg(srv.url)).judge([item("b", "LP=-3.0,-2.0,-0.2 SAY=oppose")])
    assert v.label == "oppose"
    assert v.p_oppose == pytest.approx(softmax([-3.0, -2.0, -0.2])[2])


def test_no_logprobs_falls_back_to_the_parsed_label_and_marks_it():
    with FakeOpenAI(logprobs=False) as srv:
        j = OpenAIJudge(cfg(srv.url))
        v1, v2 = j.judge([item("c", "LP=-3,-0.1,-3"), item("d", "SAY=gibberish")])
    assert (v1.status, v1.label, v1.source, v1.p_neutral) == ("ok", "neutral", "parsed", 1.0)
    assert v2.status == "unscored" and v2.raw == "gibberish" and math.isnan(v2.p_support)
    assert j.usage.extra["parsed_fallback"] == 1 and j.usage.extra["unscored"] == 1


def test_faults_are_retried_with_bounded_attempts_and_nothing_is_lost_or_duplicated():
    with FakeOpenAI(retry_after="0.3", timeout_sleep=1.0) as srv:
        srv.faults = {
            "r429": ["429", "ok"],
            "r500": ["500", "500", "ok"],
            "slow": ["timeout", "ok"],
            "bad": ["malformed", "ok"],
            "dead": ["500"] * 10,
            "mixed": ["429", "timeout", "malformed", "ok"],
        }
        tags = [*srv.faults, "fine1", "fine2"]
        j = OpenAIJudge(cfg(srv.url, max_retries=3, timeout_s=0.4, concurrency=4))
        verdicts = j.judge([item(t) for t in tags])
        assert len(verdicts) == len(tags)
        by_tag = dict(zip(tags, verdicts, strict=True))
        for t in tags:
            if t == "dead":
                assert by_tag[t].status == "unscored" and by_tag[t].transient
                assert "gave up after 4 attempts" in by_tag[t].raw
            else:
                assert by_tag[t].status == "ok", (t, by_tag[t])
        # every item asked at most max_retries + 1 times; successes stop at their first good answer
        assert srv.per_item["dead"] == 4
        assert srv.per_item["r429"] == 2 and srv.per_item["r500"] == 3 and srv.per_item["mixed"] == 4
        assert srv.per_item["fine1"] == 1 and srv.per_item["fine2"] == 1
        assert srv.chat_requests == sum(srv.per_item.values()) == j.usage.requests
        # Retry-After: the second attempt waited at least the 0.3 s the server asked for
        t0, t1 = srv.times["r429"]
        assert t1 - t0 >= 0.29
    assert j.usage.failures == 1 and j.usage.retries == sum(srv.per_item.values()) - len(tags)


def test_empty_response_is_unscored_without_a_request():
    with FakeOpenAI() as srv:
        [v] = OpenAIJudge(cfg(srv.url)).judge([JudgeItem("Q?", "   ", None)])
        assert srv.chat_requests == 0
    assert v.status == "unscored" and v.raw == "empty response"


def test_api_key_comes_from_the_environment_and_is_sent_not_stored(monkeypatch, tmp_path):
    monkeypatch.setenv("VD_TEST_KEY", "sk-secret-123")
    with FakeOpenAI() as srv:
        j = OpenAIJudge(cfg(srv.url, api_key_env="VD_TEST_KEY"))
        j.judge([item("k")])
        assert srv.auth[-1] == "Bearer sk-secret-123"
    assert "sk-secret" not in repr(j.identity) and "sk-secret" not in repr(j.usage.to_json())


def test_refused_model_is_one_clear_external_failure():
    with FakeOpenAI() as srv:
        j = OpenAIJudge(cfg(srv.url.replace("/v1", "/nope")))
        with pytest.raises(ExternalFailure, match="refused model judge-model: HTTP 404"):
            j.judge([item("x")])


def test_retry_after_parsing():
    assert retry_after_seconds({"retry-after": "2"}) == 2.0
    assert retry_after_seconds({"retry-after-ms": "250"}) == 0.25
    assert retry_after_seconds({}) is None
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0


def test_completion_style_logprobs_from_other_servers():
    body = {
        "choices": [
            {
                "text": " oppose",
                "logprobs": {
                    "tokens": [" ", "opp", "ose"],
                    "token_logprobs": [-0.01, -0.5, -0.01],
                    "top_logprobs": [{" ": -0.01}, {"opp": -0.5, " support": -1.5, "neut": -2.0}, {}],
                },
            }
        ]
    }
    v = verdict_from_completion(body)
    assert v.source == "logprobs" and v.label == "oppose"
    assert v.p_support == pytest.approx(softmax([-1.5, -2.0, -0.5])[0])


def test_batch_api_submits_polls_ingests_and_resumes_after_a_restart(tmp_path):
    items = [item("b1", "LP=-0.1,-3,-3"), item("b2", "LP=-3,-3,-0.1"), item("b1", "LP=-0.1,-3,-3")]
    with FakeOpenAI(batch_polls=3) as srv:
        opts = {"batch_poll_s": 0.01, "batch_max_wait_s": 0.0}
        first = OpenAIJudge(cfg(srv.url, batch_api=True, options=opts), state_dir=tmp_path)
        with pytest.raises(ExternalFailure, match="still 'in_progress'"):
            first.judge(items)  # "restart" while the batch is in flight
        state = (tmp_path / "judge_batch.json").read_text()
        assert '"batch_id": "batch_0"' in state
        second = OpenAIJudge(
            cfg(srv.url, batch_api=True, options={**opts, "batch_max_wait_s": 60}), state_dir=tmp_path
        )
        verdicts = second.judge(items)
        assert srv.paths["/v1/batches"] == 1 and srv.paths["/v1/files"] == 1  # resumed, not resubmitted
        assert srv.chat_requests == 0
    assert [v.label for v in verdicts] == ["support", "oppose", "support"]
    assert all(v.source == "logprobs" for v in verdicts)
    lines = (tmp_path / "judge_batch_input.jsonl").read_text().splitlines()
    assert len(lines) == 2  # the duplicate item is asked once
    assert second.usage.prompt_tokens == 200
