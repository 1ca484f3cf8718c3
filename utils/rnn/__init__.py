"""Recurrent networks from the book's cells: `cells` (RNNCell, LSTMCell, GRUCell, unroll),
`layers` (RNN: stacked, bidirectional, variable lengths), `language` (perplexity) and
`models` (SequenceRegressor, CharModel: small models around any recurrent layer).

Every name is importable from `utils.rnn` itself: `from utils.rnn import RNN, perplexity`.
"""

from .cells import GRUCell, LSTMCell, RNNCell, unroll
from .language import perplexity
from .layers import MODES, RNN
from .models import CharModel, SequenceRegressor

__all__ = ["MODES", "RNN", "CharModel", "GRUCell", "LSTMCell", "RNNCell", "SequenceRegressor",
           "perplexity", "unroll"]
