"""Import a Python file that is not in a package by path (the harness's, for the tests)."""

from __future__ import annotations

from feedback_nlp.testing.modules import load_file_module

__all__ = ["load_file_module"]
