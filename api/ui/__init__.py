"""The web dashboard at ``/ui``: browser sign-in (:mod:`.auth`) and pages (:mod:`.routes`)."""
