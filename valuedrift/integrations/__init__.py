"""Integrations with training code you already run: :class:`ValueDriftCallback` for any
``transformers.Trainer`` or TRL trainer writes an ordinary run directory as training goes."""

from valuedrift.integrations.callback import ValueDriftCallback

__all__ = ["ValueDriftCallback"]
