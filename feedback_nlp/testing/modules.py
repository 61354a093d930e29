"""Import a Python file that is not in a package (bench scripts, the demo generator) by path."""

from __future__ import annotations

import importlib.util
import sys
import threading
from pathlib import Path
from types import ModuleType

__all__ = ["load_file_module"]

# Held while a file module runs: another thread asking for it then waits for the whole module
# instead of getting it half run from sys.modules (reentrant: a module may load another).
_LOADING = threading.RLock()


def load_file_module(name: str, path: Path) -> ModuleType:
    """The module of ``path`` under ``name``, loaded once per process (kept in ``sys.modules``).

    While it runs, the file's folder comes first on ``sys.path``, as under ``python PATH``: a
    bench script finds ``bench/_common.py`` the same way in both.

    Safe to call from several threads at once: each gets the module once it has fully run.

    Raises:
        ImportError: If ``path`` cannot be loaded as a module.
    """
    with _LOADING:
        return _load(name, path)


def _load(name: str, path: Path) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path} cannot be loaded as a Python module.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    folder = str(Path(path).resolve().parent)
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    finally:
        sys.path.remove(folder)
    return module
