"""Sales Scorecard: balanced scorecards and budget control for sales organizations."""

__version__ = "0.1.0"
