"""Admin classes and hooks of the desk, one module per domain app (learning: course content)."""
