"""Pure computation on DataFrames: no database, no web framework."""
