"""Intake: an uploaded file's bytes -> a table of text -> one tidy frame and a validation report."""
