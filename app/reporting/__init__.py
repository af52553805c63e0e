"""The I/O edge of reporting: load frames for what the user may see, call analytics, return frames and plain results."""
