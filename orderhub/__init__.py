"""OrderHub: the order hub for sellers on many platforms at once."""

__version__ = "0.1.0"
