"""Loading a file module by path: once per process, whole, from any number of threads."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from types import ModuleType

from feedback_nlp.testing.modules import load_file_module


def test_threads_loading_one_file_module_each_get_it_fully_run(tmp_path: Path) -> None:
    path = tmp_path / "slow_module.py"
    path.write_text("import time\ntime.sleep(0.3)\nVALUE = 42\n", encoding="utf-8")
    name = f"slow_module_{id(path)}"
    seen: list[ModuleType] = []
    values: list[object] = []

    def load() -> None:
        module = load_file_module(name, path)
        values.append(getattr(module, "VALUE", None))  # as the caller gets it, not later
        seen.append(module)

    threads = [threading.Thread(target=load) for _ in range(4)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(seen) == 4
        assert all(module is seen[0] for module in seen)  # run once
        assert values == [42] * 4  # never half run
    finally:
        sys.modules.pop(name, None)
