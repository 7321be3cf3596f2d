"""The version of skillgit, stated here only: `skillgit.__version__`, the package's metadata (pyproject.toml
reads it from this file) and what caches of skillgit's own results are kept with."""

__version__ = "0.1.0"
