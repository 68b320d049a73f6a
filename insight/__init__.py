"""Citizen satisfaction insight: survey definitions, ingest, store and metrics.

Where things are computed:
- satisfaction (positive share, interval, change): ``insight.metrics``
- who responded against the census: ``insight.representation``
- reading and validating exports: ``insight.ingest``; writing them: ``insight.store``
"""
