"""The sales floor (PRODUCT.md §5): stretch targets' achievements, recorded once when an import makes
them so, and the wallboard of a unit on the office TV, opened with a display token."""
