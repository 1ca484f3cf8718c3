"""Text that every reader has offline, and the batches a character-level language model reads.

The corpus is the documentation that ships inside Python itself: the docstrings of a fixed list
of standard-library modules, collected with `inspect` (English prose with code examples, under
the Python Software Foundation License, like the rest of CPython). Nothing is downloaded. The
text depends on the Python version (docstrings change between releases), never on the machine
or the run: the same Python gives the same characters.

- `stdlib_docstrings(modules)`: {module name: its text}, in the order of `modules`;
- `split_documents(documents, every)`: train / validation / test by whole document;
- `CharVocab`: characters <-> integer ids over a fixed alphabet (`ALPHABET`);
- `stream_batches(ids, batch_size)` and `chunks(streams, seq_len)`: the layout of truncated
  backpropagation through time, where chunk k of row b continues chunk k - 1 of row b.
"""

from __future__ import annotations

import importlib
import inspect
import warnings
from collections.abc import Iterator, Sequence

import torch

from ._checks import check_int, check_sequence, check_tensor

__all__ = ["ALPHABET", "STDLIB_MODULES", "CharVocab", "chunks", "clean_text",
           "split_documents", "stdlib_docstrings", "stream_batches"]

# Modules written mostly in Python, with documented public classes and functions, and present
# on every platform CPython supports.
STDLIB_MODULES = (
    "argparse", "calendar", "collections", "configparser", "contextlib", "copy", "csv",
    "dataclasses", "datetime", "decimal", "difflib", "email.message", "enum", "fractions",
    "functools", "gzip", "heapq", "inspect", "ipaddress", "json", "logging", "optparse", "os",
    "pathlib", "pickle", "queue", "random", "re", "shutil", "statistics", "string",
    "subprocess", "tarfile", "tempfile", "textwrap", "threading", "timeit", "traceback",
    "typing", "unittest", "urllib.parse", "uuid", "warnings", "zipfile",
)

# newline, then the 95 printable ASCII characters from space to '~'
ALPHABET = "\n" + "".join(chr(code) for code in range(32, 127))
_REPLACEMENT = "?"


def clean_text(text: str) -> str:
    """`text` over `ALPHABET`: tabs become 4 spaces, '\\r' is dropped, every other character
    outside the alphabet (a box-drawing line, an accented letter) becomes '?'."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    text = text.replace("\r\n", "\n").replace("\r", "").replace("\t", "    ")
    allowed = set(ALPHABET)
    return "".join(c if c in allowed else _REPLACEMENT for c in text)


def _module_text(module) -> str:
    """The module's docstring, then each public class's and function's that it defines (in
    name order; methods of a class after the class), blank lines between."""
    with warnings.catch_warnings():   # reading a deprecated alias (typing.re) warns
        warnings.simplefilter("ignore", DeprecationWarning)
        return _module_parts(module)


def _module_parts(module) -> str:
    parts = [inspect.getdoc(module)]
    for name in sorted(vars(module)):
        obj = vars(module)[name]
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isclass(obj):
            parts.append(inspect.getdoc(obj) if obj.__doc__ else None)
            for method_name in sorted(vars(obj)):
                method = vars(obj)[method_name]
                if not method_name.startswith("_") and inspect.isfunction(method):
                    parts.append(inspect.getdoc(method))
        elif inspect.isfunction(obj):
            parts.append(inspect.getdoc(obj))
    return "\n\n".join(p for p in parts if p)


def stdlib_docstrings(modules: Sequence[str] = STDLIB_MODULES) -> dict[str, str]:
    """{module name: the cleaned text of its docstrings}, in the order of `modules`.

    Deterministic for a given Python version: members are visited in name order and
    `inspect.getdoc` removes the indentation. Imports the modules (all in the standard library).
    """
    modules = check_sequence("modules", modules, what="a sequence of module names")
    if not modules:
        raise ValueError("modules is empty; give at least one module name")
    documents = {}
    for name in modules:
        if not isinstance(name, str):
            raise TypeError(f"modules must hold module names (str), got {name!r}")
        if name in documents:
            raise ValueError(f"modules names {name!r} twice; each module is one document")
        try:
            module = importlib.import_module(name)
        except ImportError as error:
            raise ValueError(f"modules holds {name!r}, which cannot be imported here: "
                             f"{error}") from None
        documents[name] = clean_text(_module_text(module))
    return documents


def split_documents(documents: dict[str, str], *, every: int = 5
                    ) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Split whole documents into (train, validation, test) dicts, keeping their order.

    Among each run of `every` documents, the second goes to validation, the fourth to test and
    the rest to training (every=5: 3/5, 1/5, 1/5). A document never straddles two parts, so a
    model cannot have read a test paragraph's first half in training.
    """
    if not isinstance(documents, dict):
        raise TypeError(f"documents must be a dict of name -> text, got "
                        f"{type(documents).__name__}")
    every = check_int("every", every, minimum=4)
    if len(documents) < every:
        raise ValueError(f"documents has {len(documents)} entries; split_documents(every="
                         f"{every}) needs at least {every} to fill all three parts")
    parts: tuple[dict, dict, dict] = ({}, {}, {})
    for i, (name, text) in enumerate(documents.items()):
        part = {1: 1, 3: 2}.get(i % every, 0)
        parts[part][name] = text
    return parts


class CharVocab:
    """Characters <-> integer ids: id i is `alphabet[i]`.

    `encode(text)` -> a long tensor `(len(text),)`; `decode(ids)` -> the string. A character
    outside the alphabet is refused (pass the text through `clean_text` first).
    """

    def __init__(self, alphabet: str = ALPHABET) -> None:
        if not isinstance(alphabet, str) or not alphabet:
            raise ValueError(f"alphabet must be a non-empty str, got {alphabet!r}")
        if len(set(alphabet)) != len(alphabet):
            twice = next(c for c in alphabet if alphabet.count(c) > 1)
            raise ValueError(f"alphabet holds {twice!r} twice; each character needs one id")
        self.chars = alphabet
        self.index = {c: i for i, c in enumerate(alphabet)}

    def __len__(self) -> int:
        return len(self.chars)

    def __repr__(self) -> str:
        return f"CharVocab({len(self)} characters)"

    def encode(self, text: str) -> torch.Tensor:
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        try:
            return torch.tensor([self.index[c] for c in text], dtype=torch.long)
        except KeyError as error:
            char = error.args[0]
            raise ValueError(f"text holds {char!r} at position {text.index(char)}, which is "
                             "not in the vocabulary's alphabet; clean_text(text) replaces "
                             "such characters") from None

    def decode(self, ids) -> str:
        if isinstance(ids, torch.Tensor):
            if ids.is_floating_point() or ids.dim() > 1:
                raise ValueError(f"ids must be a 1-D integer tensor, got dtype {ids.dtype} "
                                 f"and shape {tuple(ids.shape)}")
            ids = ids.tolist()
        ids = [ids] if isinstance(ids, int) else list(ids)
        bad = [i for i in ids if not isinstance(i, int) or not 0 <= i < len(self)]
        if bad:
            raise ValueError(f"ids holds {bad[0]!r}; every id must be an integer in "
                             f"[0, {len(self)})")
        return "".join(self.chars[i] for i in ids)


def stream_batches(ids: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Cut one long sequence of ids into `batch_size` contiguous streams, `(batch_size, L)`.

    Row b is `ids[b*L : (b+1)*L]` with `L = len(ids) // batch_size` (the remainder is dropped),
    so reading the columns left to right, each row continues its own text: the layout in which
    a hidden state can be carried from one chunk to the next.
    """
    check_tensor("ids", ids, ndim=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    length = len(ids) // batch_size
    if length < 2:
        raise ValueError(f"ids has {len(ids)} entries, too few for batch_size={batch_size} "
                         "(each stream needs at least 2: an input and its next character)")
    return ids[: batch_size * length].reshape(batch_size, length)   # (B, L)


def chunks(streams: torch.Tensor, seq_len: int
           ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Consecutive `(x, y)` chunks of `streams` `(B, L)`: x = streams[:, i : i + seq_len],
    y the same window one step later (the next characters). `(B, <= seq_len)` each; the last
    chunk may be shorter; chunk k + 1 starts where chunk k ended."""
    check_tensor("streams", streams, ndim=2)
    seq_len = check_int("seq_len", seq_len, minimum=1)
    if streams.shape[1] < 2:
        raise ValueError(f"streams has shape {tuple(streams.shape)}; each row needs at least "
                         "2 entries")
    return _chunks(streams, seq_len)


def _chunks(streams, seq_len):
    for start in range(0, streams.shape[1] - 1, seq_len):
        stop = min(start + seq_len, streams.shape[1] - 1)
        yield streams[:, start:stop], streams[:, start + 1 : stop + 1]   # (B, T) each
