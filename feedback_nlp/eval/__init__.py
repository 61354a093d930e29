"""Evaluation harnesses behind ``feedback-nlp eval``: labelled data in, scores out.

Runtime modules never import this package; it reads labelled CSV files and runs the pipeline's
public parts (embedders, the theme miner, the sentiment classifier) on them.
"""
