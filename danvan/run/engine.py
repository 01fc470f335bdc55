"""The warm in-process execution behind the papermill engine ``danvan``
(:mod:`danvan.run.papermill_engine`): notebooks run in a long-lived IPython shell.

Kernel start-up (~0.5-1.5 s) and heavy imports (pandas, matplotlib, danvan) are paid once per
process instead of once per report: the engine keeps one IPython ``InteractiveShell`` per process
and runs each notebook in a fresh user namespace. What a notebook may change outside its namespace
is restored after every run: matplotlib rcParams, environment variables, working directory,
``sys.path``, warning filters and the IPython ``display``/``execution_count`` state. Tests render the
same reports with this engine and with fresh kernels (papermill's default engine) and require
byte-identical HTML.

Use it from papermill (``papermill --engine danvan in.ipynb out.ipynb``) or through danvan's runner.
It cannot run inside a Jupyter kernel (which owns the process's IPython shell): use a real kernel
there.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import json
import os
import sys
import threading
import warnings

__all__ = ["run_notebook_in_process", "get_shell", "shell_available", "ENGINE_NAME", "LOCK"]

ENGINE_NAME = "danvan"
_SHELL = None
# One notebook at a time per process (Dask workers may run several tasks in threads).
LOCK = threading.RLock()


def _shell_classes():
    from IPython.core.displayhook import DisplayHook
    from nbformat.v4 import new_output
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell

    class CapturingPublisher(DisplayPublisher):
        """``display()`` calls become ``display_data`` outputs of the running cell."""

        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
            self.shell._danvan_sink.append(
                new_output("display_data", data=_clean(data), metadata=_clean(metadata or {}))
            )

        def clear_output(self, wait=False):
            self.shell._danvan_sink.clear()

    class CapturingDisplayHook(DisplayHook):
        """The value of a cell's last expression becomes its ``execute_result``."""

        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            self.shell._danvan_sink.append(
                new_output(
                    "execute_result",
                    data=_clean(format_dict),
                    metadata=_clean(md_dict or {}),
                    execution_count=self.shell._danvan_count,
                )
            )

        def finish_displayhook(self):
            pass

        def flush(self):
            # IPython's flush ends with gc.collect() (~0.3 s on a warm heap): clear the output
            # cache without it; the fresh namespace below drops the references anyway.
            for n in range(1, self.prompt_count + 1):
                self.shell.user_ns_hidden.pop(f"_{n}", None)
                self.shell.user_ns.pop(f"_{n}", None)
            oh = self.shell.user_ns.get("_oh")
            if oh is not None:
                oh.clear()
            self._, self.__, self.___ = "", "", ""

    class DanvanShell(InteractiveShell):
        displayhook_class = CapturingDisplayHook
        display_pub_class = CapturingPublisher

        def _showtraceback(self, etype, evalue, stb):
            self._danvan_sink.append(
                new_output(
                    "error", ename=etype.__name__, evalue=str(evalue), traceback=list(stb)
                )
            )

        def enable_gui(self, gui=None):  # no event loops in a batch worker
            pass

    return DanvanShell


def _clean(d: dict) -> dict:
    """JSON round trip: outputs hold exactly what a kernel would have sent over the wire."""
    return json.loads(json.dumps(d, default=str))


def shell_available() -> bool:
    """False when this process already hosts a foreign IPython shell (e.g. inside JupyterLab)."""
    from IPython.core.interactiveshell import InteractiveShell

    return _SHELL is not None or not InteractiveShell.initialized()


def get_shell():
    """The process's warm shell (created on first use)."""
    global _SHELL
    if _SHELL is None:
        if not shell_available():
            raise RuntimeError(
                "the 'danvan' engine cannot run inside a Jupyter kernel; use engine 'nbclient' "
                "(danvan render --kernel fresh)"
            )
        from traitlets.config import Config

        cls = _shell_classes()
        cfg = Config()
        cfg.HistoryManager.enabled = False  # no sqlite history file shared by parallel workers
        host_main = sys.modules.get("__main__")
        shell = cls.instance(config=cfg, colors="nocolor")
        # IPython installs its user module as sys.modules["__main__"]; the host process keeps its
        # own (multiprocessing's spawn reads __main__.__spec__ when this process starts workers)
        sys.modules["__main__"] = host_main
        shell._danvan_sink = []
        shell._danvan_count = 0
        _SHELL = shell
    return _SHELL


@contextlib.contextmanager
def _process_state_restored():
    """Undo what one notebook may change in the process outside its own namespace."""
    import matplotlib

    rc = dict(matplotlib.rcParams)
    env = dict(os.environ)
    cwd = os.getcwd()
    path = list(sys.path)
    filters = list(warnings.filters)
    builtin_names = dict(vars(builtins))
    try:
        yield
    finally:
        for name in set(vars(builtins)) - set(builtin_names):  # `builtins.X = ...` in a notebook
            delattr(builtins, name)
        for name, value in builtin_names.items():
            if vars(builtins).get(name, builtin_names) is not value:
                setattr(builtins, name, value)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dict.update(matplotlib.rcParams, rc)
        os.environ.clear()
        os.environ.update(env)
        os.chdir(cwd)
        sys.path[:] = path
        warnings.filters[:] = filters


def run_notebook_in_process(nb_man) -> None:
    """Execute ``nb_man.nb`` cell by cell in the warm shell, reporting to papermill's manager."""
    host_main = sys.modules.get("__main__")
    try:
        _run(nb_man)
    finally:
        sys.modules["__main__"] = host_main


def _run(nb_man) -> None:
    from nbformat.v4 import new_output

    shell = get_shell()
    shell.reset(new_session=True)
    shell.execution_count = 1
    nb = nb_man.nb
    host_cwd, host_filters = os.getcwd(), list(warnings.filters)

    @contextlib.contextmanager
    def host_view():
        """papermill's bookkeeping (saving between cells) runs in the host's cwd and warning filters,
        not the notebook's (a real kernel's chdir or simplefilter cannot reach papermill either)."""
        nb_cwd, nb_filters = os.getcwd(), list(warnings.filters)
        os.chdir(host_cwd)
        warnings.filters[:] = host_filters
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.chdir(nb_cwd)
            warnings.filters[:] = nb_filters

    with _process_state_restored():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            with host_view():
                nb_man.cell_start(cell, index)
            shell._danvan_count = shell.execution_count
            sink: list = []
            shell._danvan_sink = sink
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                result = shell.run_cell(cell.source, store_history=True, silent=False)
            streams = [
                new_output("stream", name=name, text=buf.getvalue())
                for name, buf in (("stdout", out), ("stderr", err))
                if buf.getvalue()
            ]
            cell.outputs = streams + sink
            cell.execution_count = shell._danvan_count
            if not result.success:
                if not any(o.output_type == "error" for o in sink):
                    exc = result.error_in_exec or result.error_before_exec
                    cell.outputs.append(
                        new_output(
                            "error", ename=type(exc).__name__, evalue=str(exc), traceback=[repr(exc)]
                        )
                    )
                with host_view():
                    nb_man.cell_exception(cell, index)
                    nb_man.cell_complete(cell, index)
                break
            with host_view():
                nb_man.cell_complete(cell, index)
    shell.user_ns.clear()  # drop the report's objects now; the next run starts with reset()
    shell._danvan_sink = []
