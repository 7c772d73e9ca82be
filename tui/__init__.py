"""fashion-tui: a keyboard-driven terminal playground for Fashion-MNIST."""

__version__ = "0.1.0"
