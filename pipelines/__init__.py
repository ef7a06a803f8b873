"""OrderLens: analytics and reporting for order management.

Nothing happens at import time: modules connect, parse and write only when called.
"""

__version__ = "0.1.0"
