"""The checkpoint walker: train stages as a tree, saving checkpoints and a manifest.

    valuedrift train examples/exp.yaml --out runs/exp          # train (or resume) every stage
    python -c "from valuedrift.walk.registry import algorithms; print(sorted(algorithms()))"

Layout (one module per algorithm, chosen by name from :mod:`valuedrift.walk.registry`):

- ``base.py``: the interface — :class:`~valuedrift.walk.base.StageContext` (configs, run dir, parent
  checkpoint, ``load_policy()``, ``load_reference()``, ``ordered()``, ``save_checkpoint()``) and the
  :class:`~valuedrift.walk.base.Algorithm` base class (``name``, ``data_kind``, ``Params``,
  ``default_learning_rate``, ``full_learning_rate``, ``train(ctx)``).
- ``registry.py``: ``register(algo)``, ``get(name)``, ``algorithms()``, ``validate_params(name, dict)``.
- ``runner.py``: ``train_run(run, exp) -> manifest``, stages in tree order, resumable.
- ``manifest.py``: ``load_manifest(path)`` / ``validate_manifest(dict)`` against
  ``checkpoints_manifest/schema.json``.
- ``schedule.py`` (``save: {every: N, log: K}``), ``optim_state.py`` (optimizer state as safetensors +
  JSON), ``trl_stage.py`` (TRL arguments, checkpoint callback), ``sft.py``, ``dpo.py``, ``simpo.py``,
  ``kto.py``; PPO / UNA / RAFT / GRPO / RLOO live in their own modules and register themselves.

Default hyperparameters. TRL's defaults (learning rate 1e-6 for DPO/KTO/CPO) barely move the short
runs this tool is used for (tens to hundreds of steps), so each algorithm documents its own; a
stage's ``learning_rate`` overrides them, ``params`` sets the rest (help text on each Params field).

=========  ============  ============  ==================================================================
algorithm  lr (LoRA)     lr (full)     other defaults
=========  ============  ============  ==================================================================
sft        2e-4          2e-5          loss on the assistant reply only (``completion_only: true``)
dpo        5e-5          1e-5          β = 0.1, ``loss_type: sigmoid``
simpo      5e-5          1e-5          β = 2.0, γ = 0.5 (margin), ``cpo_alpha = 0`` (pure SimPO)
kto        5e-5          1e-5          β = 0.1, λ_D = λ_U = 1.0; batch size ≥ 2
=========  ============  ============  ==================================================================

All stages: AdamW, constant learning rate, no warm-up, weight decay 0, gradient clipping 1.0 — so
that a stage resumed at step k continues exactly as an uninterrupted one. LoRA defaults (config
``finetune.lora``): r = 16, α = 32, dropout 0, all linear layers. LoRA rates are ~10x full-fine-tuning
rates, as usual for adapters (the update is low-rank and scaled by α/r).
"""
