"""Budget control API: variance and forecast, as JSON or exports."""
