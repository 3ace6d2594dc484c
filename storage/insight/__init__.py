"""The staff digest's figures (counts only) and its record of which weeks were sent."""
