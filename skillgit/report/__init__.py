"""`skillgit report`: the review surface — one self-contained HTML page, or Markdown for a pull request.

`collect(ws, since)` gathers what the read-side commands show (versions with their metrics, events,
gate decisions, predictions, the inventory, the verify verdict); `skillgit.report.html.render` and
`skillgit.report.markdown.render` draw it.
"""

from skillgit.report.collect import collect

__all__ = ["collect"]
