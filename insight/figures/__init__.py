"""Figures: pure statistics, frames in and frames out (satisfaction, changes, trends, weighting...)."""
