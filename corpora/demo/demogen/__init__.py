"""The demo corpus generator, one job per module; ``corpora/demo/generate.py`` is its entry point.

Data flows one way: ``corpus`` (what the corpus is) and ``planted`` (the planted complaints and
incident) are definitions; ``sampling`` (segments, times, scores), ``themes``, ``phrasebook`` and
``text`` draw the pieces of a row; ``generation`` draws the rows and ``outcomes`` their outcome
fields; ``truth`` and ``manifest`` describe what the rows show; ``files`` writes them and
``cli`` is the command line. The package needs only the standard library.
"""
