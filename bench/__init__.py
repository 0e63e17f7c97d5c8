"""Benchmarks: how close the bot is to its limits, as measured figures (`make bench`).
Not part of the test suite; see README "Performance"."""
