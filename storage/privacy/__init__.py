"""Erasure requests, retention bookkeeping and what every capability's personal data shares."""
