"""The checkpoint walker: train stages as a tree, saving checkpoints and a manifest.

    valuedrift train examples/exp.yaml --out runs/exp          # train (or resume) every stage
    valuedrift config algorithms                               # the algorithm table

Layout (one module per algorithm; which module trains which name is the algorithm table,
:mod:`valuedrift.config.algorithms`, where each row also names the params model, the data kind and
the default learning rates — the table in ``docs/design.md`` is checked against it by a test):

- ``base.py``: the interface — :class:`~valuedrift.walk.base.StageContext` (configs, run dir, parent
  checkpoint, ``load_policy()``, ``load_reference()``, ``ordered()``, ``save_checkpoint()``) and the
  :class:`~valuedrift.walk.base.Algorithm` base class (``train(ctx)``).
- ``registry.py``: ``get(name)`` imports and returns a stage's trainer, lazily.
- ``runner.py``: ``train_run(run, exp) -> manifest``, stages in tree order, resumable.
- ``schedule.py`` (``save: {every: N, log: K}``), ``optim_state.py`` (optimizer state as safetensors +
  JSON), ``trl_stage.py`` (TRL arguments, checkpoint callback), ``reward.py`` (reward models and
  programmatic rewards), ``rollout.py`` (sampling from the policy);
- the trainers: ``sft.py``, ``dpo.py``, ``simpo.py``, ``kto.py`` (TRL), ``grpo.py``, ``rloo.py`` (TRL
  online), ``ppo.py`` (+ ``ppo_core.py``), ``raft.py``, ``una.py`` (+ ``una_losses.py``) — our own.

Default hyperparameters. TRL's defaults (learning rate 1e-6 for DPO/KTO/CPO) barely move the short
runs this tool is used for (tens to hundreds of steps), so each algorithm's row gives its own; a
stage's ``learning_rate`` overrides them, ``params`` sets the rest (help text on each field of
:mod:`valuedrift.config.params`). All stages: AdamW, constant learning rate, no warm-up, weight decay
0, gradient clipping 1.0 — so that a stage resumed at step k continues exactly as an uninterrupted
one. LoRA defaults (config ``finetune.lora``): r = 16, α = 32, dropout 0, all linear layers; LoRA
rates are ~10x full-fine-tuning rates, as usual for adapters (the update is low-rank, scaled by α/r).
"""
