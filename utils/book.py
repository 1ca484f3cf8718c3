"""Glue a number the run computed into the book's prose, on the website and on Colab alike.

In a lesson's code cell, `utils.glue("conv-speedup", speedup)`; in its markdown,
``{glue:text}`conv-speedup:.1f` ``. The text then shows the value of this run and can never
disagree with it.

Where it runs decides what it does:
- in an IPython kernel with MyST-NB installed (the book's build, a local Jupyter from
  `pip install -e ".[dev]"`): `myst_nb.glue(name, value, display=False)`, which stores the value
  in the cell's outputs for the website and shows nothing;
- elsewhere (Colab, which installs only `utils`; a plain Python script): it prints
  `name = value`. There the markdown shows the role itself, ``{glue:text}`conv-speedup:.1f` ``,
  not the number, so printing the value under the cell that computed it, by the name the prose
  uses, is the only way such a reader sees the number the sentence talks about.

Scalar tensors and NumPy scalars are stored as plain Python numbers: the roles' format specs
(`:.1f`) need a number, and NumPy 2 shows `np.float64(0.5)`, which they cannot read.

`wrap` breaks what `utils` prints for the reader (a checker's message, a data notice) into
lines that fit the website's output box.
"""

from __future__ import annotations

import re
import textwrap

import numpy as np
import torch

GLUE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")

# A printed line longer than this runs out of the website's output box at a 1280 px window: the
# code box holds 80 characters (tests/test_website.py measures it), and with the site's output
# wrapping turned off no output line of 80 characters or fewer overflowed its box on any page
# (measured once in Chromium on 2026-12-03; the site wraps longer lines, `_static/book.css`).
LINE_WIDTH = 80


def wrap(message: str, width: int = LINE_WIDTH) -> str:
    """`message` with each line longer than `width` broken at spaces, its continuations
    indented two spaces more than the line. A word longer than `width` stays whole."""
    lines = []
    for line in message.splitlines():
        indent = line[:len(line) - len(line.lstrip(" "))]
        lines += textwrap.wrap(line, width, subsequent_indent=indent + "  ",
                               break_long_words=False, break_on_hyphens=False) or [line]
    return "\n".join(lines)


def plain(value):
    """A one-element tensor or array, or a NumPy scalar, as a Python number; others unchanged."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.item()
    if isinstance(value, np.ndarray) and value.size == 1:
        return value.item()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _in_ipython() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


def glue(name: str, value, *, echo: bool = True) -> None:
    """Store `value` under `name` for MyST-NB's `{glue:...}` roles, or print `name = value`.

    `name` is letters, digits, `-`, `_` and `.` (a `:` would end the name inside the role);
    glue names must be unique within a page, so prefix them with the page's tag.
    `echo=False` prints nothing where MyST-NB cannot store the value (for an answer the reader
    should not see yet).
    """
    if not isinstance(name, str) or not GLUE_NAME.fullmatch(name):
        raise ValueError(f"glue name {name!r} is not allowed: use letters, digits, '-', '_' "
                         "and '.', starting with a letter or digit")
    value = plain(value)
    if _in_ipython():
        try:
            from myst_nb import glue as myst_glue
        except ImportError:
            pass
        else:
            myst_glue(name, value, display=False)
            return
    if echo:
        print(f"{name} = {value!r}")
