"""utils.text: the offline corpus (deterministic, by document), the vocabulary and the TBPTT
layout of batches."""

from __future__ import annotations

import inspect
import json

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from utils.text import (
    ALPHABET,
    STDLIB_MODULES,
    CharVocab,
    chunks,
    clean_text,
    split_documents,
    stdlib_docstrings,
    stream_batches,
)


def test_corpus_is_deterministic_and_over_the_alphabet():
    first, second = stdlib_docstrings(), stdlib_docstrings()
    assert json.dumps(first) == json.dumps(second)
    assert list(first) == list(STDLIB_MODULES)
    text = "".join(first.values())
    assert set(text) <= set(ALPHABET)
    assert len(text) > 200_000                  # enough text for the lesson's language model
    assert all(len(doc) > 300 for doc in first.values())


def test_corpus_holds_the_docstrings_it_says():
    import heapq
    import textwrap

    docs = stdlib_docstrings(["heapq", "textwrap"])
    assert docs["heapq"].startswith(clean_text(inspect.getdoc(heapq)))
    assert clean_text(inspect.getdoc(heapq.nlargest)) in docs["heapq"]
    assert clean_text(inspect.getdoc(textwrap.TextWrapper.wrap)) in docs["textwrap"]
    # heappush is imported from the C module _heapq: not a function heapq defines
    assert clean_text(inspect.getdoc(heapq.heappush)) not in docs["heapq"]


def test_corpus_bad_input():
    with pytest.raises(ValueError, match="modules is empty"):
        stdlib_docstrings([])
    with pytest.raises(ValueError, match=r"modules names 'json' twice"):
        stdlib_docstrings(["json", "json"])
    with pytest.raises(ValueError, match=r"modules holds 'no_such_module_here', which cannot be "
                                         r"imported"):
        stdlib_docstrings(["no_such_module_here"])
    with pytest.raises(TypeError, match=r"modules must hold module names \(str\), got 3"):
        stdlib_docstrings(["json", 3])
    with pytest.raises(TypeError, match="modules must be a sequence of module names"):
        stdlib_docstrings("json")


def test_clean_text():
    assert clean_text("a\tb\r\nc") == "a    b\nc"
    assert clean_text("├── naïve") == "??? na?ve"
    assert clean_text(ALPHABET) == ALPHABET
    with pytest.raises(TypeError, match="text must be a str, got bytes"):
        clean_text(b"abc")


def test_split_by_whole_documents():
    docs = {f"d{i}": f"text {i}" for i in range(12)}
    train, val, test = split_documents(docs, every=5)
    assert list(val) == ["d1", "d6", "d11"] and list(test) == ["d3", "d8"]
    assert list(train) == ["d0", "d2", "d4", "d5", "d7", "d9", "d10"]
    assert {**train, **val, **test} == docs
    with pytest.raises(ValueError, match=r"documents has 3 entries; split_documents\(every=5\) "
                                         r"needs at least 5"):
        split_documents({"a": "", "b": "", "c": ""})
    with pytest.raises(ValueError, match="every=3 is not allowed; every must be an integer >= 4"):
        split_documents(docs, every=3)
    with pytest.raises(TypeError, match="documents must be a dict of name -> text, got list"):
        split_documents(["a"] * 6)


@given(st.text(alphabet=st.sampled_from(ALPHABET), max_size=200))
def test_vocab_round_trip(text):
    vocab = CharVocab()
    ids = vocab.encode(text)
    assert ids.dtype == torch.long and ids.shape == (len(text),)
    assert vocab.decode(ids) == text
    assert vocab.decode(ids.tolist()) == text


def test_vocab_ids_and_errors():
    vocab = CharVocab()
    assert len(vocab) == 96 and vocab.encode("\n").item() == 0 and vocab.decode(1) == " "
    assert repr(vocab) == "CharVocab(96 characters)"
    with pytest.raises(ValueError, match=r"text holds 'é' at position 2, which is not in the "
                                         r"vocabulary's alphabet; clean_text"):
        vocab.encode("caé")
    with pytest.raises(ValueError, match=r"ids holds 96; every id must be an integer in \[0, 96\)"):
        vocab.decode([3, 96])
    with pytest.raises(ValueError, match=r"ids must be a 1-D integer tensor, got dtype "
                                         r"torch.float32"):
        vocab.decode(torch.tensor([1.0]))
    with pytest.raises(ValueError, match=r"alphabet holds 'a' twice"):
        CharVocab("abca")
    with pytest.raises(ValueError, match="alphabet must be a non-empty str"):
        CharVocab("")


def test_streams_continue_their_text_chunk_after_chunk():
    ids = torch.arange(103)
    streams = stream_batches(ids, 4)                       # (4, 25), 3 ids dropped
    assert streams.shape == (4, 25)
    assert streams[1, 0] == 25 and streams[3, -1] == 99
    pieces = list(chunks(streams, 10))
    assert [x.shape[1] for x, _ in pieces] == [10, 10, 4]  # 24 inputs, each with a next id
    for x, y in pieces:
        assert torch.equal(y, x + 1)                       # y is the next character of x
    rejoined = torch.cat([x for x, _ in pieces], dim=1)
    assert torch.equal(rejoined, streams[:, :-1])          # chunk k+1 starts where k ended


def test_stream_errors():
    with pytest.raises(ValueError, match=r"ids has 5 entries, too few for batch_size=3"):
        stream_batches(torch.arange(5), 3)
    with pytest.raises(ValueError, match=r"ids must have 1 dimensions, got shape \(2, 3\)"):
        stream_batches(torch.zeros(2, 3, dtype=torch.long), 1)
    with pytest.raises(ValueError, match="seq_len=0 is not allowed"):
        chunks(torch.zeros(2, 5, dtype=torch.long), 0)
    with pytest.raises(ValueError, match=r"streams has shape \(2, 1\)"):
        chunks(torch.zeros(2, 1, dtype=torch.long), 3)
