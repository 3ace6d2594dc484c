"""Workshops: scheduled announcements, registration with a waitlist, reminders, calendar files."""
