"""The `utils` package as a whole (utils/__init__.py): what it exports and what pip installs."""

import tomllib
import types
from pathlib import Path

import utils

ROOT = Path(__file__).resolve().parents[1]


def test_pip_installs_every_package_under_utils():
    """Colab installs utils with pip: a subpackage missing from pyproject.toml is not shipped."""
    from setuptools import find_packages
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(find_packages(str(ROOT), **config["tool"]["setuptools"]["packages"]["find"]))
    on_disk = {".".join(p.parent.relative_to(ROOT).parts)
               for p in (ROOT / "utils").rglob("__init__.py") if "__pycache__" not in p.parts}
    assert listed == on_disk


def test_top_level_exports():
    assert set(utils.__all__) == {"count_params", "describe_device", "get_device", "glue",
                                  "set_seed", "summary"}
    assert all(hasattr(utils, name) for name in utils.__all__)
    assert isinstance(utils.summary, types.ModuleType)  # the module, not a function hiding it
    assert callable(utils.count_params) and callable(utils.summary.summary)
