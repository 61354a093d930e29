"""Text stages: language identification, PII redaction, opinion units, normalisation."""
