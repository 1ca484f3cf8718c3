"""Ruff over the whole repository, with the notebooks' own setting (`chapters/ruff.toml`: code
lines of at most 80 characters, the width of the website's code box)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "lint" / "long_line.ipynb"


def ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "concise",
                           *args], cwd=ROOT, capture_output=True, text=True)


def test_ruff_passes():
    result = ruff(".")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_notebook_setting_refuses_a_long_line():
    """The fixture's second line has 86 characters: the notebooks' setting reports it."""
    result = ruff("--config", "chapters/ruff.toml", str(FIXTURE))
    assert result.returncode == 1
    assert "long_line.ipynb:cell 1:2:81: E501 Line too long (86 > 80)" in result.stdout, (
        result.stdout)
