"""feedback_nlp: turn free-text customer feedback into recurring complaint themes."""

__version__ = "0.1.0"
