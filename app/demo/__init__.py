"""The demo company: a deterministic generator of every dataset (generate.py) and `scorecard demo` (command.py)."""
