"""generate stage of the valuedrift pipeline."""
