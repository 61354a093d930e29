"""The splitter loads spaCy without PyTorch (~190 MB a process); torch still imports afterwards."""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import sys
from feedback_nlp.text.units import OpinionUnitSplitter
texts = ["Great app. It crashes at checkout, and refunds are slow."]
units = OpinionUnitSplitter().split_many(texts, ["en"])
assert len(units) >= 2, units
assert "torch" not in sys.modules, "spaCy pulled in torch"
import thinc.compat
assert thinc.compat.has_torch is False
try:
    import torch
except ImportError:
    print("no torch installed")
else:
    assert float(torch.ones(3).sum()) == 3.0
    print("torch imports afterwards")
"""


def test_splitter_keeps_torch_out_of_the_process() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=False, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() in {"torch imports afterwards", "no torch installed"}


def test_splitter_works_when_torch_is_already_loaded() -> None:
    torch = pytest.importorskip("torch")
    from feedback_nlp.text.units import OpinionUnitSplitter

    units = OpinionUnitSplitter().split_many(["Slow delivery. Great support."], ["en"])
    assert len(units) == 2
    assert sys.modules["torch"] is torch


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc", reason="glibc only"
)
def test_return_free_memory_gives_freed_heap_pages_back_on_glibc() -> None:
    from feedback_nlp.memory import return_free_memory

    def resident_kb() -> int:
        status = Path("/proc/self/status").read_text(encoding="utf-8")
        return int(status.split("VmRSS:")[1].split()[0])

    blocks = [bytearray(64 * 1024 - 64) for _ in range(3000)]  # ~190 MB below mmap's threshold
    for block in blocks[:-1]:
        block[::4096] = b"x" * len(block[::4096])  # touch every page
    grown = resident_kb()
    del blocks[:-1]  # freed, but kept by the allocator (the last block pins the heap top)
    assert return_free_memory() is True
    assert resident_kb() < grown - 100_000  # at least ~100 MB went back
