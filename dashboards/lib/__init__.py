"""Queries, charts, translations and widgets shared by the dashboard pages."""
