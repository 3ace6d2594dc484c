"""Quick polls staff start by command, native where the platform allows, counted exactly once."""
