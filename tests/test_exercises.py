import math

import numpy as np
import pytest
import torch

from utils import exercises
from utils.book import LINE_WIDTH, wrap
from utils.exercises import check, check_design, check_fix, check_prediction, selfcheck_html


def test_check_passes_a_correct_function(capsys):
    result = check(lambda a, b: a + b, lambda a, b: a + b, [(1, 2), (3, 4)], name="add")
    assert result and result.passed == result.total == 2
    assert capsys.readouterr().out.strip() == "✓ add: all 2 cases pass"


def test_check_reports_the_first_counterexample(capsys):
    result = check(lambda n: n * 2 if n < 3 else 0, lambda n: n * 2, [1, 2, 3, 4], name="double")
    assert not result and result.passed == 2
    out = capsys.readouterr().out
    assert "✗ double: case 3 of 4 fails" in out
    assert "input:    3" in out and "expected: 6" in out and "got:      0" in out


def test_check_reports_an_exception_from_the_candidate(capsys):
    def broken(x):
        raise ZeroDivisionError("oops")
    assert not check(broken, lambda x: x, [1])
    assert "raised ZeroDivisionError: oops" in capsys.readouterr().out


def test_candidate_must_raise_where_the_reference_raises():
    def ref(n):
        if n < 0:
            raise ValueError("negative")
        return n
    assert check(lambda n: ref(n), ref, [1, -1], quiet=True)
    assert not check(lambda n: n, ref, [1, -1], quiet=True)  # should have raised
    assert not check(lambda n: 1 / 0 if n < 0 else n, ref, [-1], quiet=True)  # wrong type


@pytest.mark.parametrize("expected, got, ok", [
    (torch.ones(3), torch.ones(3) + 1e-9, True),
    (torch.ones(3), torch.ones(3) + 1e-3, False),
    (torch.ones(3), torch.ones(1, 3), False),  # shapes must match, no broadcasting
    (torch.ones(3), [1.0, 1.0, 1.0], False),
    (np.ones(2), [1.0, 1.0], True),
    (0.1 + 0.2, 0.3, True),
    (float("nan"), float("nan"), True),
    (3, 3.0, False),  # an integer answer must not come back as a float
    (3, np.int64(3), True),
    ((1, 2.0), (1, 2.0 + 1e-9), True),
    ((1, 2), (1, 2, 3), False),
    ({"a": 1}, {"a": 1}, True),
    (True, 1, False),
    (None, 0, False),
    ("same", "same", True),
])
def test_check_compares_by_type(expected, got, ok):
    assert bool(check(lambda: got, lambda: expected, [()], quiet=True)) is ok


def test_each_call_gets_fresh_tensors():
    x = torch.ones(3)

    def sneaky(t):  # modifies its input in place, then returns it
        return t.mul_(2)
    assert not check(sneaky, lambda t: t, [(x,)], quiet=True)
    assert torch.equal(x, torch.ones(3))


def test_check_accepts_keyword_cases():
    assert check(lambda x, y=1: x * y, lambda x, y=1: math.prod([x, y]),
                 [{"x": 2, "y": 5}, {"x": 3}], quiet=True)


def test_check_rejects_bad_arguments():
    with pytest.raises(TypeError, match="candidate must be a function, got int"):
        check(3, abs, [1])
    with pytest.raises(ValueError, match="cases is empty"):
        check(abs, abs, [])


# --- an IPython kernel, as in Jupyter and in the book's build --------------------------------

@pytest.fixture
def kernel(monkeypatch):
    """A live IPython shell whose displayed outputs are recorded instead of shown."""
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    shown = []
    monkeypatch.setattr(shell.display_pub, "publish",
                        lambda data, metadata=None, **kwargs: shown.append(data))
    monkeypatch.setattr(exercises, "_SHOWN", set())
    yield shown
    InteractiveShell.clear_instance()


@pytest.fixture
def no_kernel(monkeypatch):
    monkeypatch.setattr(exercises, "_in_ipython", lambda: False)


# --- check_prediction (predict) ---------------------------------------------------------------

WHY = "Padding 3 keeps 224 and stride 4 divides it by 4."


def test_prediction_none_says_no_prediction_yet_and_hides_the_answer(no_kernel, capsys):
    result = check_prediction("pad-ex-out", None, 56, why=WHY)
    out = capsys.readouterr().out
    assert not result and result.total == 1
    assert out == ("○ pad-ex-out: no prediction yet. Write your prediction in place of None and "
                   "run\n  this cell again.\n")  # wrapped to the website's 80 characters
    assert result.message == ("○ pad-ex-out: no prediction yet. Write your prediction in place "
                              "of None and run this cell again.")
    assert "56" not in out and WHY not in out


def test_wrong_prediction_prints_the_answer_and_why(no_kernel, capsys):
    assert not check_prediction("pad-ex-out", 55, 56, why=WHY)
    assert capsys.readouterr().out == (
        "✗ pad-ex-out: the run gives 56, not 55.\n"
        "    Why: Padding 3 keeps 224 and stride 4 divides it by 4.\n")


def test_right_prediction_prints_the_answer_and_why(no_kernel, capsys):
    assert check_prediction("pad-ex-out", 56, 56, why=WHY)
    assert capsys.readouterr().out == (
        "✓ pad-ex-out: right, the run gives 56.\n"
        "    Why: Padding 3 keeps 224 and stride 4 divides it by 4.\n")


def test_float_prediction_has_a_relative_tolerance_that_the_message_states(no_kernel, capsys):
    loss = torch.tensor(2.3051)  # a scalar tensor counts as a number
    why = "Uniform logits give -log(1/10)."
    assert check_prediction("loss-ex-init", 2.3, loss, why=why)
    assert "✓ loss-ex-init: right, the run gives 2.3051 (you predicted 2.3)." in (
        capsys.readouterr().out)
    assert not check_prediction("loss-ex-init", 2.0, loss, why=why)
    assert "✗ loss-ex-init: the run gives 2.3051, not 2 (a prediction within 5% counts)." in (
        capsys.readouterr().out)
    assert check_prediction("loss-ex-init", 2.0, loss, why=why, rtol=0, atol=0.5, quiet=True)
    assert not check_prediction("loss-ex-init", 2.3, loss, why=why, rtol=0, quiet=True)


def test_wrong_kind_of_answer_is_named(no_kernel, capsys):
    result = check_prediction("conv-ex-shape", 56, torch.Size([1, 64, 56, 56]), why="w.")
    assert not result
    assert ("✗ conv-ex-shape: the run gives (1, 64, 56, 56), not 56 "
            "(the answer is a shape, a tuple of 4 entries).") in result.message
    assert capsys.readouterr().out == wrap(result.message) + "\n"


@pytest.mark.parametrize("predicted, actual, ok", [
    ((1, 64, 56, 56), torch.Size([1, 64, 56, 56]), True),
    ([1, 64, 56, 56], (1, 64, 56, 56), True),
    (torch.Size([1, 64, 56, 56]), (1, 64, 56, 56), True),
    ((1, 64, 56), (1, 64, 56, 56), False),
    ((1, 64, 55, 56), (1, 64, 56, 56), False),
    (56, 56, True),
    (56.0, 56, True),  # a whole number typed with a point is still right
    (56.4, 56, False),  # whole numbers are exact unless rtol/atol say otherwise
    (np.int64(56), 56, True),
    (True, True, True),
    (1, True, False),
    (False, np.bool_(False), True),
    (" Adam", "adam", True),
    ("SGD", "adam", False),
    ("56", 56, False),
    (float("nan"), float("nan"), True),
    (float("inf"), float("inf"), True),
    (1e308, float("inf"), False),
])
def test_prediction_compares_by_kind(no_kernel, predicted, actual, ok):
    assert bool(check_prediction("x", predicted, actual, why="w.", quiet=True)) is ok


def test_prediction_rejects_an_author_mistake(no_kernel):
    with pytest.raises(ValueError, match="why must be one sentence"):
        check_prediction("x", 1, 1, why="")
    with pytest.raises(TypeError, match="actual must be a number, True/False, a string or a "
                                        "shape, got Tensor"):
        check_prediction("x", 1, torch.ones(3), why="w.")
    with pytest.raises(ValueError, match="label 'a b' is not allowed"):
        check_prediction("a b", 1, 1, why="w.")


def test_prediction_in_a_kernel_glues_the_answer_and_shows_the_selfcheck_box(kernel, capsys):
    assert not check_prediction("pad-ex-out", None, 56, why="Keeps <224> & 'divides'.")
    message = capsys.readouterr().out.rstrip("\n")
    glued, box = kernel
    assert glued == {"application/papermill.record/text/plain": "56"}  # myst_nb.glue
    assert box == {
        "text/html": ('<div class="dl-selfcheck" data-label="pad-ex-out" data-answer=\'56\' '
                      'data-rtol="0" data-atol="0"><p class="dl-selfcheck-why" hidden>'
                      "Keeps &lt;224&gt; &amp; &#x27;divides&#x27;.</p></div>"),
        # a text frontend shows the printed message once, then this line, not the message again
        "text/plain": "[self-check box for pad-ex-out: on the website]"}
    assert message.startswith("○ pad-ex-out: no prediction yet")


def test_selfcheck_box_appears_once_per_label(kernel):
    check_prediction("pad-ex-out", None, 56, why=WHY, quiet=True)  # the reader's cell
    check_prediction("pad-ex-out", 56, 56, why=WHY, quiet=True)  # its solution: no second box
    check_prediction("pad-ex-stride", 4, 4, why=WHY, quiet=True)
    assert len(kernel) == 4  # a glue and a box for each of the two labels


@pytest.mark.parametrize("actual, answer, rtol", [
    (torch.Size([1, 3]), "[1, 3]", "0"),
    (0.25, "0.25", "0.05"),
    (True, "true", "0"),
    ("it's", '"it&#x27;s"', "0"),
    (float("nan"), '"NaN"', "0.05"),
    ((float("-inf"), 1), '["-Infinity", 1]', "0.05"),
])
def test_selfcheck_answer_is_json(actual, answer, rtol):
    html = selfcheck_html("x", actual, "w", float(rtol), 0.0)
    assert f"data-answer='{answer}' data-rtol=\"{rtol}\" data-atol=\"0\">" in html


def test_outside_ipython_the_prediction_only_prints(monkeypatch, capsys):
    from IPython.core.interactiveshell import InteractiveShell
    assert not InteractiveShell.initialized()
    monkeypatch.setattr(exercises, "_SHOWN", set())
    result = check_prediction("pad-ex-out", None, 56, why=WHY)
    assert capsys.readouterr().out == wrap(result.message) + "\n" and not exercises._SHOWN


# --- check_fix (diagnose) ---------------------------------------------------------------------

def _buggy_probabilities(logits):
    return torch.softmax(logits, dim=0)  # the bug: normalises over the batch


def _probabilities(logits):
    return torch.softmax(logits, dim=1)


LOGITS = [torch.arange(6.0).reshape(2, 3), torch.zeros(1, 4), torch.eye(3)]
SYMPTOM = "Each row of the output should sum to 1, one distribution per example."


def test_unfixed_function_prints_the_symptom_and_the_first_case_that_differs(capsys):
    result = check_fix(_buggy_probabilities, _probabilities, LOGITS, symptom=SYMPTOM,
                       buggy=_buggy_probabilities, name="probabilities")
    assert not result and result.passed == 0
    out = capsys.readouterr().out
    assert out.startswith("✗ probabilities: not fixed yet. Each row of the output should sum "
                          "to 1, one\n"
                          "  distribution per example.\n"
                          "    still differs on case 1 of 3:\n"
                          "    input:    tensor([[0., 1., 2.],\n")
    assert "    expected: tensor([[0.0900, 0.2447, 0.6652]," in out
    assert "    got:      tensor([[0.0474, 0.0474, 0.0474]," in out


def test_fixed_function_passes_whatever_its_source(capsys):
    def probabilities(logits):  # a different text, the same behaviour
        e = torch.exp(logits - logits.max(dim=1, keepdim=True).values)
        return e / e.sum(dim=1, keepdim=True)
    assert check_fix(probabilities, _probabilities, LOGITS, symptom=SYMPTOM,
                     buggy=_buggy_probabilities)
    assert capsys.readouterr().out == (
        "✓ probabilities: fixed, it behaves like a correct version on all 3 cases\n")


def test_a_bug_the_cases_do_not_show_is_an_authoring_error():
    with pytest.raises(ValueError, match="the buggy version behaves like the reference on all 1 "
                                         "cases, so they cannot tell a fix from the bug"):
        check_fix(_probabilities, _probabilities, [torch.zeros(1, 4)[:, :1].T], symptom=SYMPTOM,
                  buggy=_buggy_probabilities)  # a (1, 1) input: both dims give [[1.]]


def test_check_fix_reports_a_crash_of_the_fix(capsys):
    def probabilities(logits):
        return torch.softmax(logits, dim=2)
    assert not check_fix(probabilities, _probabilities, LOGITS, symptom=SYMPTOM)
    assert "got:      raised IndexError: Dimension out of range" in capsys.readouterr().out


def test_check_fix_rejects_bad_arguments():
    with pytest.raises(TypeError, match="buggy must be a function, got str"):
        check_fix(abs, abs, [1], symptom="s", buggy="abs")
    with pytest.raises(ValueError, match="symptom must be one sentence"):
        check_fix(abs, abs, [1], symptom=" ")
    with pytest.raises(ValueError, match="cases is empty"):
        check_fix(abs, abs, [], symptom="s")


# --- check_design (design) --------------------------------------------------------------------

def _out(design):
    from utils.conv import conv_output_size
    return conv_output_size(224, 7, design["stride"], design["padding"])


MAP_224_TO_56 = {
    "the output is 56x56": lambda d: (_out(d) == 56, f"got {_out(d)}x{_out(d)}"),
    "padding is at most 3 (less than the kernel's half-width + 1)": lambda d: d["padding"] <= 3,
}


def test_design_passes_every_answer_that_meets_the_requirements(capsys):
    assert check_design("pad-ex-design", {"stride": 4, "padding": 3}, MAP_224_TO_56)
    assert capsys.readouterr().out == (
        "✓ pad-ex-design: all 2 requirements hold\n"
        "    ✓ the output is 56x56 (got 56x56)\n"
        "    ✓ padding is at most 3 (less than the kernel's half-width + 1)\n")
    assert check_design("pad-ex-design", {"stride": 4, "padding": 2}, MAP_224_TO_56, quiet=True)


def test_design_prints_each_failing_requirement(capsys):
    result = check_design("pad-ex-design", {"stride": 4, "padding": 5}, MAP_224_TO_56)
    assert not result and (result.passed, result.total) == (0, 2)
    assert capsys.readouterr().out == (
        "✗ pad-ex-design: 2 of 2 requirements fail\n"
        "    ✗ the output is 56x56 (got 57x57)\n"
        "    ✗ padding is at most 3 (less than the kernel's half-width + 1)\n")


def test_design_reports_a_requirement_that_raises(capsys):
    result = check_design("pad-ex-design", {"stride": 4}, MAP_224_TO_56)
    assert not result
    out = capsys.readouterr().out
    assert "✗ the output is 56x56 (raised KeyError: 'padding')" in out


def test_design_measures_once(capsys):
    runs = []

    def measure(design):
        runs.append(design)
        return _out(design)
    requirements = {"the output is 56x56": lambda n: n == 56,
                    "the output is even": lambda n: n % 2 == 0}
    assert check_design("pad-ex-design", {"stride": 4, "padding": 3}, requirements, measure=measure)
    assert len(runs) == 1
    assert not check_design("pad-ex-design", {"stride": 0, "padding": 3}, requirements,
                            measure=measure)
    assert "✗ pad-ex-design: your design could not be tried: ValueError: stride=0" in (
        capsys.readouterr().out)


def test_design_none_says_no_design_yet(capsys):
    assert not check_design("pad-ex-design", None, MAP_224_TO_56)
    assert capsys.readouterr().out.startswith("○ pad-ex-design: no design yet.")


def test_check_design_rejects_bad_requirements():
    with pytest.raises(ValueError, match="requirements must be a non-empty dict"):
        check_design("x", 1, {})
    with pytest.raises(TypeError, match="requirement 'big' must map to a function, got bool"):
        check_design("x", 1, {"big": True})


def test_a_cell_ending_in_a_checker_shows_its_message_once(kernel, capsys):
    from IPython.core.interactiveshell import InteractiveShell
    result = check(abs, abs, [1, -2], name="abs")
    assert capsys.readouterr().out == "✓ abs: all 2 cases pass\n"
    # as a cell's last value it formats to nothing, so Jupyter shows no second copy
    assert InteractiveShell.instance().display_formatter.format(result) == ({}, {})
    assert repr(result) == "✓ abs: all 2 cases pass"


# --- printed lines fit the website's output box ------------------------------------------------

def test_wrap_breaks_long_lines_at_spaces_and_indents_their_continuations():
    why = ("The convolution gives floor((224 + 6 - 7) / 2) + 1 = 112 and the pooling "
           "floor((112 + 2 - 3) / 2) + 1 = 56; pooling keeps the 64 channels.")
    message = f"✗ pad-stride-ex-stem: the run gives (1, 64, 56, 56), not 1.\n    Why: {why}"
    assert wrap(message) == (
        "✗ pad-stride-ex-stem: the run gives (1, 64, 56, 56), not 1.\n"
        "    Why: The convolution gives floor((224 + 6 - 7) / 2) + 1 = 112 and the\n"
        "      pooling floor((112 + 2 - 3) / 2) + 1 = 56; pooling keeps the 64 channels.")
    assert wrap("short\n\n    lines   stay as they are") == "short\n\n    lines   stay as they are"
    word = "x" * 100  # a word longer than a line is not cut
    assert wrap(f"a {word} b", width=20) == f"a\n  {word}\n  b"


def test_every_checker_prints_lines_that_fit_the_output_box(no_kernel, capsys):
    long_why = " ".join(["Each word of this explanation is short but there are many."] * 4)
    check_prediction("a-rather-long-exercise-label", None, 56, why=long_why)
    check_prediction("a-rather-long-exercise-label", 55, 56, why=long_why)
    check_fix(_buggy_probabilities, _probabilities, LOGITS, symptom=long_why)
    check_design("a-design", 3, {long_why: lambda a: (False, long_why)})
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= LINE_WIDTH
    assert out.count("Each word") == 16  # why, symptom, requirement, detail: 4 times each
