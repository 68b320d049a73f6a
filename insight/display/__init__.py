"""Figures as people read them: charts, tables and sentences."""
