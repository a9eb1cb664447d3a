"""Checkpoint schedules: every N steps, log-spaced (dense early), and always the final step.

The paper finds SFT sets values within the first ~10% of training, which evenly spaced
checkpoints miss; ``log: K`` puts K checkpoints at geometrically spaced steps (1, 2, 4, ...).
"""

from __future__ import annotations

import math


def save_steps(total: int, every: int | None = None, log: int | None = None) -> list[int]:
    """Sorted steps (1..total) at which to save; ``total`` is always included."""
    steps = {total}
    if every:
        steps.update(range(every, total + 1, every))
    if log and total > 1:
        for k in range(log):
            steps.add(max(1, min(total, round(math.exp(math.log(total) * k / max(1, log - 1))))))
    return sorted(s for s in steps if 1 <= s <= total)
