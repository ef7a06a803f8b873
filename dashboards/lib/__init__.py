"""Queries, charts, filters and widgets shared by the pages (strings: pipelines/i18n.py)."""
