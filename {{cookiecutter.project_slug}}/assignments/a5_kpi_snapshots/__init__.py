"""One course assignment: its README, its public checks and (instructor edition) its hidden checks."""
