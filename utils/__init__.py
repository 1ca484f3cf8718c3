"""The tested helper package behind the executable deep-learning book.

Topic modules mirror the chapters: `conv`, `activations`, `losses`, `optim`, `nets`, `rnn`,
`data`, plus `train` (the training loop), `plot`, `exercises` (the checker) and `runtime`.
Importing `utils` has no side effects: it seeds nothing, downloads nothing and leaves
matplotlib's settings alone.
"""

from .book import glue
from .runtime import describe_device, get_device, set_seed
from .summary import summary

__all__ = ["describe_device", "get_device", "glue", "set_seed", "summary"]
__version__ = "0.1.0"
