"""Build Chinese PDF whitepapers from YAML chapters and CSV data.

The stages, one module each: load → validate → resolve → charts → typeset,
run in order by :func:`pipeline.build.build`.
"""
__version__ = "0.1.0"
