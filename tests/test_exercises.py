import math

import numpy as np
import pytest
import torch

from utils.exercises import check


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
