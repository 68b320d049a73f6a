"""Citizen satisfaction insight: survey definitions, ingest, store and metrics.

Where things are computed:
- satisfaction (positive share, interval, change, suppression): ``insight.metrics``
- who responded against the census: ``insight.representation``
- response rates and margins of error: ``insight.validity``
- free-text themes: ``insight.themes``
- reading and validating exports: ``insight.ingest``; keeping them: ``insight.store``
"""
