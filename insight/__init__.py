"""Citizen satisfaction insight: survey definitions, ingest, store and metrics.

Where things are computed:
- satisfaction (positive share, interval, change, suppression): ``insight.figures.metrics``
- who responded against the census: ``insight.figures.representation``
- response rates and margins of error: ``insight.figures.validity``
- free-text themes: defined in ``insight.config.themes``, counted in ``insight.figures.comments``
- reading and validating exports: ``insight.intake.tidy``; keeping them: ``insight.store.delta``
"""
