"""How fresh the figures are: GET /data-status."""
