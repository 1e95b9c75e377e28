"""fedivoisin: an ActivityPub server for neighbourhood communities."""

__version__ = "0.1.0"
