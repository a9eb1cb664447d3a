"""walk stage of the valuedrift pipeline."""
