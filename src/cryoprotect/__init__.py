"""CryoProtect: an open platform for cryoprotectant research."""

__version__ = "0.1.0"
