"""danvan: reproducible "Công tác Dân vận Chính quyền" reports for every ward and year.

One sub-package per pipeline stage; a stage imports only the stages below it (import-linter
contracts in pyproject.toml)::

    cli -> run -> export -> report -> indicators -> intake -> store -> reference -> core

See docs/architecture.md.
"""

__version__ = "0.1.0"
