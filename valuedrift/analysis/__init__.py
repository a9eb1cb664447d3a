"""analysis stage of the valuedrift pipeline."""
