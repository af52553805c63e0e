"""Chart endpoints: figure JSON from the reporting services and the pure figures of app.charts."""
