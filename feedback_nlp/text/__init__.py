"""Text stages: PII redaction, language identification, opinion units.

Each implements :class:`~feedback_nlp.text.stage.Stage` (it declares the batch fields it
requires and provides); :func:`~feedback_nlp.text.stage.run_stages` checks an order and runs it.
"""
