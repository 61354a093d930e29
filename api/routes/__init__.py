"""One router per resource: feedback, jobs, themes, and the service routes (health, metrics)."""
