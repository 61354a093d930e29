"""Sentence embedders: accurate (transformer) and fast (static), behind one protocol."""
