"""judge stage of the valuedrift pipeline."""
