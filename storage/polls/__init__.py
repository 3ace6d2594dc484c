"""Polls, their answers and every vote as it arrived."""
