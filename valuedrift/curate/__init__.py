"""Curating and checking training data, with the generator and the stance judge.

These tools sit above :mod:`valuedrift.generate` and :mod:`valuedrift.judge`; the loaders they read
with live below, in :mod:`valuedrift.data`, which never imports this package.

- :mod:`~valuedrift.curate.audit`: the value gap of a preference set (``valuedrift data audit``).
- :mod:`~valuedrift.curate.value_gap`: build value-gap pairs, a generator arguing each side and the
  judge confirming the stances (``valuedrift data value-gap``).
- :mod:`~valuedrift.curate.contamination`: evaluation prompts found in training data
  (``valuedrift data contamination``).
"""
