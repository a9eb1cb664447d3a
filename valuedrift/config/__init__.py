"""Experiment configuration: typed pydantic models, YAML loading, ``--set`` overrides."""

from valuedrift.config.loader import apply_overrides, dump_config, load_config, read_yaml, validate_config
from valuedrift.config.schema import (
    AnalysisConfig,
    BaseModelConfig,
    DataConfig,
    Experiment,
    FinetuneConfig,
    GenerationConfig,
    JudgeConfig,
    LoraConfig,
    PromptsConfig,
    SamplingConfig,
    SaveSchedule,
    StageConfig,
)

__all__ = [
    "AnalysisConfig",
    "BaseModelConfig",
    "DataConfig",
    "Experiment",
    "FinetuneConfig",
    "GenerationConfig",
    "JudgeConfig",
    "LoraConfig",
    "PromptsConfig",
    "SamplingConfig",
    "SaveSchedule",
    "StageConfig",
    "apply_overrides",
    "dump_config",
    "load_config",
    "read_yaml",
    "validate_config",
]
