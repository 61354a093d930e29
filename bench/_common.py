"""What every bench script shares: the machine line, percentiles, RESULTS.md, real servers.

A bench script runs as ``python bench/NAME.py``, so this folder is first on ``sys.path`` and
``from _common import ...`` finds this module; the library comes from the installed package
(``pip install -e .``), never from a patched ``sys.path``. What the benches share with the tests
(servers, databases, load and chaos drivers) is the library's harness, :mod:`feedback_nlp.testing`.
"""

from __future__ import annotations

import contextlib
import os
import platform
from pathlib import Path

from feedback_nlp.testing.backends import percentile
from feedback_nlp.testing.servers import REPO_ROOT, Server, running_server, server_env

__all__ = [
    "CPU_FLAGS",
    "REPO_ROOT",
    "RESULTS",
    "Server",
    "append_results",
    "append_section",
    "cpu_flags",
    "cpu_model",
    "load_average",
    "machine",
    "percentile",
    "running_server",
    "server_env",
    "total_memory",
]

RESULTS = REPO_ROOT / "bench" / "RESULTS.md"
"""The dated measurements every bench appends to."""

CPU_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8")
"""The vector-instruction flags that matter for int8 and float products."""


def _cpuinfo() -> str:
    try:
        return Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return ""


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), or what ``platform`` knows."""
    for line in _cpuinfo().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown CPU"


def cpu_flags() -> str:
    """Which of :data:`CPU_FLAGS` this CPU has, space-separated."""
    line = next((row for row in _cpuinfo().splitlines() if row.startswith("flags")), "")
    flags = set(line.split(":", 1)[-1].split())
    return " ".join(flag for flag in CPU_FLAGS if flag in flags) or "none of " + " ".join(CPU_FLAGS)


def total_memory() -> str:
    """The machine's RAM, as ``"16 GiB RAM"``."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024**2:.0f} GiB RAM"
    return "RAM unknown"


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages now."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine() -> str:
    """One line on the machine: cores, CPU and its flags, RAM, Python, kernel, load average now."""
    return (
        f"nproc {os.cpu_count()}, {cpu_model()} ({cpu_flags()}), {total_memory()}, Python "
        f"{platform.python_version()}, {platform.system()} {platform.release()}, load average "
        f"{load_average()} (the machine is shared: times are upper bounds)"
    )


def append_results(text: str) -> None:
    """Append ``text`` to bench/RESULTS.md, after a blank line."""
    if not RESULTS.is_file():
        RESULTS.write_text("# Benchmark results\n", encoding="utf-8")
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write("\n" + text.strip("\n") + "\n")


def append_section(title: str, body: list[str]) -> None:
    """Append a ``## title`` section with ``body``'s lines to bench/RESULTS.md."""
    append_results("\n".join([f"## {title}", "", *body]))
