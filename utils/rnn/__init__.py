"""Recurrent networks from the book's cells: `cells` (RNNCell, LSTMCell, GRUCell, unroll),
`layers` (RNN: stacked, bidirectional, variable lengths) and `language` (perplexity).

Every name is importable from `utils.rnn` itself: `from utils.rnn import RNN, perplexity`.
"""

from .cells import GRUCell, LSTMCell, RNNCell, unroll
from .language import perplexity
from .layers import MODES, RNN

__all__ = ["MODES", "RNN", "GRUCell", "LSTMCell", "RNNCell", "perplexity", "unroll"]
