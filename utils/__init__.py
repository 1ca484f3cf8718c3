"""The tested helper package behind the executable deep-learning book.

Topic modules mirror the chapters: `conv`, `activations`, `losses`, `optim`, `nets`, `rnn`,
`data`, plus `train` (training loops), `summary` (parameter and MAC counts), `plot` and the
figure modules, `exercises` (the checkers) and `runtime` (seed, device, timing, threads).
Importing `utils` has no side effects: it seeds nothing, downloads nothing and leaves
matplotlib's settings alone.

`utils.summary` is the module; its function is `utils.summary.summary(model, input_size)`
(or `from utils.summary import summary`), so the name never hides the module.
"""

from . import summary
from .book import glue
from .runtime import describe_device, get_device, set_seed
from .summary import count_params

__all__ = ["count_params", "describe_device", "get_device", "glue", "set_seed", "summary"]
__version__ = "0.1.0"
