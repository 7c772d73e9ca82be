"""fashion-tui's widgets: each knows only the plain values it is given, never the data service."""
