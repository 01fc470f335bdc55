"""Papermill engine ``danvan`` (entry point ``papermill.engine``): in-process execution in a warm
IPython shell (:mod:`danvan.run.engine`). ``papermill --engine danvan in.ipynb out.ipynb`` uses it.

Papermill imports this module itself while it registers its engines: danvan's own code never
imports it (it calls :func:`danvan.run.engine.run_notebook_in_process` through papermill), so
that importing danvan does not import papermill.
"""

from __future__ import annotations

from papermill.engines import Engine

from . import engine

__all__ = ["WarmEngine"]


class WarmEngine(Engine):
    """papermill engine: in-process execution in a warm IPython shell."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
        with engine.LOCK:
            engine.run_notebook_in_process(nb_man)
