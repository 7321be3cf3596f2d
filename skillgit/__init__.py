"""skillgit: governed self-improvement of agent skills, with git history as the journal."""

__version__ = "0.1.0"
