"""Lesson content as data: one TOML file per lesson under `lessons/`, with every locale's text.
See `schema.py` for the shape and limits, `loader.py` for loading and checking."""
