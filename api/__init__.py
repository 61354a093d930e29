"""The HTTP layer of feedback_nlp: a thin FastAPI app over the library."""
