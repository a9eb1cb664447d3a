"""The experiment config: one typed, documented pydantic model per concern.

A YAML file (see ``valuedrift/demo/demo.yaml``) is validated into :class:`Experiment`. Unknown keys
are errors, so a typo never silently falls back to a default. ``valuedrift config show FILE`` prints
the resolved config with every default filled in.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Strict(BaseModel):
    """Base for config models: unknown keys are errors; defaults are validated too."""

    model_config = ConfigDict(extra="forbid", validate_default=True)


class BaseModelConfig(Strict):
    name: str = Field(
        "smollm2-135m-instruct",
        description="Model registry alias (see 'valuedrift models list'), a local folder, "
        "or a hub id with optional @revision.",
    )
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto", description="Weights dtype; 'auto' is float32 on CPU and bfloat16 on GPUs that support it."
    )
    trust_remote_code: bool = Field(
        False, description="Run model code shipped with a hub repo. Off unless you trust the repo."
    )


class LoraConfig(Strict):
    r: int = Field(16, gt=0, description="LoRA rank.")
    alpha: int = Field(32, gt=0, description="LoRA scaling alpha.")
    dropout: float = Field(0.0, ge=0, lt=1, description="LoRA dropout.")
    target_modules: list[str] | Literal["all-linear"] = Field(
        "all-linear", description="Modules to adapt; 'all-linear' adapts every linear layer but the head."
    )


class FinetuneConfig(Strict):
    mode: Literal["lora", "full"] = Field(
        "lora", description="LoRA adapters (small checkpoints, fast switching) or full fine-tuning."
    )
    lora: LoraConfig = Field(default_factory=LoraConfig, description="LoRA settings (mode: lora).")
    gradient_checkpointing: bool = Field(
        False,
        description="Recompute activations in the backward pass: less memory, ~20-30% slower steps "
        "(worth it only for large models on a GPU; TRL turns it on by default, we do not).",
    )


class SaveSchedule(Strict):
    every: int | None = Field(None, gt=0, description="Save every N steps.")
    log: int | None = Field(
        None,
        gt=0,
        description="Save N log-spaced steps (dense early, where SFT sets values), besides 'every'.",
    )


class DataConfig(Strict):
    path: str = Field(
        ...,
        description="Training data: a JSONL/CSV/parquet file, 'demo:<name>' for shipped demo data, "
        "or a hub dataset id.",
    )
    format: Literal[
        "auto", "chat", "alpaca", "wildchat", "pairs", "ultrafeedback", "hh-rlhf", "kto", "prompts"
    ] = Field("auto", description="Row shape; 'auto' detects it from the columns.")
    split: str = Field("train", description="Split, for hub datasets.")
    limit: int | None = Field(None, gt=0, description="Use at most this many rows (seeded choice).")
    column_map: dict[str, str] = Field(
        default_factory=dict, description="Rename columns before loading: {file_column: our_column}."
    )


class StageConfig(Strict):
    name: str = Field(..., pattern=r"^[a-z0-9][a-z0-9_\-]*$", description="Stage name (folder name).")
    algorithm: str = Field(
        ...,
        description="A name from the algorithm table (valuedrift/config/algorithms.py): sft, dpo, "
        "simpo, kto, ppo, grpo, rloo, raft, una.",
    )
    parent: str = Field(
        "base", description="'base' (the base model) or the name of the stage this one starts from."
    )
    data: DataConfig | None = Field(None, description="Training data for this stage.")
    steps: int = Field(..., gt=0, description="Optimizer steps in this stage.")
    batch_size: int = Field(4, gt=0, description="Examples per optimizer step.")
    learning_rate: float | None = Field(
        None,
        gt=0,
        description="Learning rate; None takes the algorithm's default for LoRA or full fine-tuning "
        "(table in the valuedrift.walk docstring, e.g. sft 2e-4 / 2e-5, dpo 5e-5 / 1e-5).",
    )
    max_length: int = Field(256, gt=0, description="Truncate prompt+response to this many tokens.")
    save: SaveSchedule = Field(
        default_factory=lambda: SaveSchedule(log=6),
        description="Checkpoint schedule; the final step is always saved.",
    )
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="Algorithm hyperparameters (beta, gamma, kl_coef, ...), validated by the algorithm.",
    )

    @field_validator("algorithm")
    @classmethod
    def _known_algorithm(cls, name: str) -> str:
        from valuedrift.config.algorithms import names  # the table imports params, which import this

        if name not in names():
            raise ValueError(f"unknown algorithm {name!r} (one of: {', '.join(names())})")
        return name


class PromptsConfig(Strict):
    path: str = Field("builtin:vprism", description="'builtin:vprism' or a JSONL/CSV/parquet prompt file.")
    categories: list[str] | None = Field(None, description="Only these categories (None: all).")
    per_category: int | None = Field(
        None, gt=0, description="Stratified, seeded subset: this many prompts per category."
    )
    limit: int | None = Field(None, gt=0, description="At most this many prompts in all (stratified).")
    seed: int = Field(0, description="Seed of the subset choice.")
    column_map: dict[str, str] = Field(
        default_factory=dict, description="Rename columns: {file_column: id|category|question}."
    )


class SamplingConfig(Strict):
    n_samples: int = Field(5, gt=0, description="Samples per prompt (paper: 5).")
    temperature: float = Field(0.7, ge=0, description="Sampling temperature (paper: 0.7; 0 = greedy).")
    top_p: float = Field(1.0, gt=0, le=1, description="Nucleus sampling p.")
    max_new_tokens: int = Field(256, gt=0, description="Most new tokens per answer (paper: 256).")
    seed: int = Field(0, description="Sampling seed: same seed, same text.")
    system_prompt: str | None = Field(None, description="Optional system message.")


class GenerationConfig(Strict):
    backend: Literal["hf", "vllm", "openai"] = Field("hf", description="Generator back end.")
    prompts: PromptsConfig = Field(default_factory=PromptsConfig, description="Evaluation prompts.")
    sampling: SamplingConfig = Field(default_factory=SamplingConfig, description="Sampling parameters.")
    batch_size: int | Literal["auto"] = Field(
        "auto", description="hf: prompts per batch ('auto': from memory)."
    )
    base_url: str | None = Field(
        None, description="openai back end: server URL, e.g. http://127.0.0.1:8000/v1."
    )
    api_key_env: str = Field(
        "OPENAI_API_KEY", description="openai back end: environment variable holding the key."
    )
    concurrency: int = Field(8, gt=0, description="openai back end: requests in flight.")
    options: dict[str, Any] = Field(default_factory=dict, description="Back-end specific options.")


class JudgeConfig(Strict):
    backend: Literal["offline", "openai", "hf"] = Field(
        "offline",
        description="'offline' (built-in, no server), 'openai' (any compatible API), 'hf' (local LM).",
    )
    model: str | None = Field(None, description="Judge model name (openai) or model spec (hf).")
    base_url: str | None = Field(None, description="openai judge: server URL (None: the OpenAI API).")
    api_key_env: str = Field("OPENAI_API_KEY", description="Environment variable holding the API key.")
    concurrency: int = Field(8, gt=0, description="Requests in flight.")
    max_retries: int = Field(6, ge=0, description="Retries on 429/5xx/timeouts, exponential backoff.")
    timeout_s: float = Field(60.0, gt=0, description="Per-request timeout in seconds.")
    batch_api: bool = Field(False, description="Use the OpenAI Batch API (cheaper, asynchronous).")
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="Back-end specific options: openai: top_logprobs, max_tokens, backoff_base_s, "
        "backoff_cap_s, price_in/price_out (USD per 1M tokens), batch_poll_s; hf/offline: batch_size.",
    )
    cache: bool = Field(
        True, description="Reuse verdicts from the content-addressed cache (judge, prompt version, text)."
    )
    cache_path: str | None = Field(
        None, description="Verdict cache file (SQLite); None: <valuedrift cache>/judge/verdicts.sqlite."
    )


class AnalysisConfig(Strict):
    drift_threshold: float = Field(
        0.95, gt=0, le=1, description="Drift time: first step reaching this fraction of the peak |drift|."
    )
    n_bootstrap: int = Field(1000, ge=10, description="Bootstrap resamples for confidence intervals.")
    ci: float = Field(0.95, gt=0, lt=1, description="Confidence level of the intervals.")
    interval: Literal["t", "percentile", "bca", "studentized"] = Field(
        "t",
        description=(
            "Interval method, prompts as paired clusters (docs/intervals.md): 't' (linearised standard "
            "error over prompts, Student t on prompts − 1 df; chosen by a coverage simulation, and "
            "analytic: no resampling), 'percentile', 'bca' or 'studentized' (paired cluster bootstrap "
            "over prompts, n_bootstrap draws)."
        ),
    )
    seed: int = Field(0, description="Bootstrap seed.")
    min_drift: float = Field(
        0.0,
        ge=0,
        description="Peak |drift| at or below this counts as no drift (drift time NaN); a peak whose "
        "interval includes 0 gets no drift time either.",
    )
    correction: Literal["none", "confusion", "ppi"] = Field(
        "none",
        description=(
            "Judge-error correction (docs/correction.md), written next to the raw tables: 'ppi' "
            "(prediction-powered inference from the run's human labels, 'valuedrift label RUN_DIR'), "
            "'confusion' (the judge's mean mapped through its inverted confusion matrix, from the labels "
            "or else the judge's validation set — an assumption), or 'none'."
        ),
    )


class CheckpointsConfig(Strict):
    """A checkpoint series someone already trained, traced instead of training (``valuedrift/series.py``)."""

    dir: str | None = Field(
        None,
        description="A trainer's output folder: checkpoint-N/ subfolders (full models or PEFT adapters, "
        "safetensors) and trainer_state.json; a relative path is relative to the config file.",
    )
    hub: list[str] | None = Field(
        None,
        description="Hub models in training order, one stage per repo: 'org/name', 'org/name@revision' or "
        "'stage=org/name@revision'; the first (or 'base=...') is the base model; consecutive step "
        "revisions of one repo (step1000, stage1-step140000-tokens587B) are one stage. Not downloaded here.",
    )
    stage: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_.\-]+$", description="dir: the stage's name (default: its algorithm)."
    )
    algorithm: str | None = Field(
        None,
        description="dir: the algorithm that trained it (default: the TRL model card's, else 'trainer').",
    )
    base: str | None = Field(
        None,
        description="The base model (step 0): alias, folder or org/name@revision (default: dir: the adapters' "
        "base_model_name_or_path or the model card's; hub: the first entry).",
    )

    @model_validator(mode="after")
    def _one_source(self) -> CheckpointsConfig:
        if (self.dir is None) == (self.hub is None):
            raise ValueError("give exactly one of 'dir' (a trainer's output folder) and 'hub' (hub models)")
        if self.hub is not None and not self.hub:
            raise ValueError("hub: list at least one model")
        return self


class Experiment(Strict):
    """A whole valuedrift experiment: what to train, how to sample, who judges, how to analyse."""

    name: str = Field("experiment", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", description="Run name.")
    seed: int = Field(0, description="Global seed (training data order, initialisation).")
    base_model: BaseModelConfig = Field(default_factory=BaseModelConfig, description="The base model.")
    finetune: FinetuneConfig = Field(default_factory=FinetuneConfig, description="LoRA or full fine-tuning.")
    stages: list[StageConfig] = Field(
        default_factory=list, description="Training stages, a tree via 'parent'."
    )
    manifest: str | None = Field(
        None, description="Use an existing checkpoint series from this manifest instead of training."
    )
    checkpoints: CheckpointsConfig | None = Field(
        None,
        description="Trace an existing series instead of training: {dir: trainer output folder} or "
        "{hub: [org/name@revision, ...]}; its manifest is built into the run directory.",
    )
    generation: GenerationConfig = Field(default_factory=GenerationConfig, description="Sampling answers.")
    judge: JudgeConfig = Field(default_factory=JudgeConfig, description="The stance judge.")
    analysis: AnalysisConfig = Field(default_factory=AnalysisConfig, description="Drift analysis.")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="Where to train and generate.")
    report_to: list[str] = Field(
        default_factory=list, description="Trainer logging integrations: 'wandb', 'tensorboard'."
    )

    @field_validator("stages")
    @classmethod
    def _unique_names(cls, stages: list[StageConfig]) -> list[StageConfig]:
        seen: set[str] = set()
        for i, st in enumerate(stages):
            if st.name in seen:
                raise ValueError(f"stage name '{st.name}' used twice (stages.{i}.name)")
            if st.name == "base":
                raise ValueError(f"'base' is reserved for the base model (stages.{i}.name)")
            seen.add(st.name)
        return stages

    @model_validator(mode="after")
    def _tree(self) -> Experiment:
        names = {s.name: s for s in self.stages}
        for i, st in enumerate(self.stages):
            if st.parent != "base" and st.parent not in names:
                raise ValueError(f"stages.{i}.parent: no stage named '{st.parent}'")
        for st in self.stages:  # follow parents; a cycle revisits a stage
            seen = [st.name]
            cur = st
            while cur.parent != "base":
                cur = names[cur.parent]
                if cur.name in seen:
                    raise ValueError(f"stages: cyclic parents {' -> '.join([*seen, cur.name])}")
                seen.append(cur.name)
        return self

    def stage_order(self) -> list[StageConfig]:
        """Stages in an order where every parent comes before its children."""
        done: list[StageConfig] = []
        names: set[str] = set()
        pending = list(self.stages)
        while pending:
            for st in pending:
                if st.parent == "base" or st.parent in names:
                    done.append(st)
                    names.add(st.name)
                    pending.remove(st)
                    break
        return done
