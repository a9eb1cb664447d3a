"""report stage of the valuedrift pipeline."""
