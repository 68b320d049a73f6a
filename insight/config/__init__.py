"""Configuration: every file under config/, read safely, checked, and loaded once (``load_config``)."""
