"""data stage of the valuedrift pipeline."""
