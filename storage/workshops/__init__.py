"""Workshops, registrations and the scheduled effects that happened."""
