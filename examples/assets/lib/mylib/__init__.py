"""Sample application package shipped in /rom/lib."""
from .helpers import scale

__version__ = "1.0"
