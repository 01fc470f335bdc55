"""Command line: ``danvan`` (entry point :func:`danvan.cli.main.main`). Nothing imports it."""
