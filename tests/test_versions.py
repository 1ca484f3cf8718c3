"""The supported versions are written in three places that must agree: `pyproject.toml` (the
bounds pip applies), `requirements.txt` (what a reader installs by hand or on Colab) and
`.ci/constraints-lowest.txt` (CI installs every lower bound exactly and runs the tests and the
notebooks on that stack). Each check is shown failing once on `tests/fixtures/versions`."""

import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
BAD = Path(__file__).resolve().parent / "fixtures" / "versions"
TESTED_PYTHON = "3.11"  # the Python .ci/run tests on (the CI machine's)


def requirement_lines(text: str) -> list[Requirement]:
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [Requirement(line) for line in lines if line]


def project_requirements(pyproject: dict) -> tuple[list[Requirement], list[Requirement]]:
    """(runtime dependencies, every dependency including the optional groups)."""
    project = pyproject["project"]
    runtime = [Requirement(r) for r in project["dependencies"]]
    extras = [Requirement(r) for group in project.get("optional-dependencies", {}).values()
              for r in group]
    return runtime, runtime + extras


def lower_bound(req: Requirement) -> str | None:
    bounds = [s.version for s in req.specifier if s.operator == ">="]
    return bounds[0] if len(bounds) == 1 else None


def requirements_problems(pyproject: dict, requirements_txt: str) -> list[str]:
    """requirements.txt lists every runtime dependency of pyproject.toml with the same bounds,
    and nothing that pyproject.toml does not declare (in `dependencies` or an extra)."""
    runtime, everything = project_requirements(pyproject)
    declared = {canonicalize_name(r.name): r for r in everything}
    listed = {canonicalize_name(r.name): r for r in requirement_lines(requirements_txt)}
    problems = []
    for name, req in listed.items():
        if name not in declared:
            problems.append(f"requirements.txt has {req}, pyproject.toml does not declare {name}")
        elif req.specifier != declared[name].specifier:
            problems.append(f"requirements.txt has {req}, pyproject.toml has {declared[name]}")
    for req in runtime:
        if canonicalize_name(req.name) not in listed:
            problems.append(f"pyproject.toml depends on {req}, requirements.txt lacks it")
    return problems


def lowest_stack_problems(pyproject: dict, constraints_txt: str) -> list[str]:
    """Every dependency has one lower bound, and the lowest stack pins exactly that version."""
    _, everything = project_requirements(pyproject)
    pins = {}
    for req in requirement_lines(constraints_txt):
        (spec,) = req.specifier if len(req.specifier) == 1 else (None,)
        if spec is None or spec.operator != "==":
            return [f"constraints-lowest.txt: {req} is not an exact pin (name==version)"]
        pins[canonicalize_name(req.name)] = spec.version
    problems = []
    for req in everything:
        bound, pin = lower_bound(req), pins.get(canonicalize_name(req.name))
        if bound is None:
            problems.append(f"pyproject.toml: {req} has no single lower bound (>=)")
        elif pin is None or Version(pin) != Version(bound):
            problems.append(f"pyproject.toml has {req}, constraints-lowest.txt pins "
                            f"{req.name}=={pin}" if pin else
                            f"pyproject.toml has {req}, constraints-lowest.txt lacks {req.name}")
    return problems


def python_problems(pyproject: dict, tested: str = TESTED_PYTHON) -> list[str]:
    """requires-python starts at the Python that CI tests, not lower."""
    spec = SpecifierSet(pyproject["project"]["requires-python"])
    lowest = [s.version for s in spec if s.operator == ">="]
    if lowest != [tested]:
        return [f"requires-python = {str(spec)!r}, but CI tests Python {tested} "
                f"(write '>={tested}')"]
    return []


def load(folder: Path) -> tuple[dict, str, str]:
    pyproject = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))
    requirements = (folder / "requirements.txt").read_text(encoding="utf-8")
    constraints_path = folder / ".ci" / "constraints-lowest.txt"
    if not constraints_path.exists():
        constraints_path = folder / "constraints-lowest.txt"
    return pyproject, requirements, constraints_path.read_text(encoding="utf-8")


def test_requirements_txt_agrees_with_pyproject():
    pyproject, requirements, _ = load(ROOT)
    assert requirements_problems(pyproject, requirements) == []


def test_lowest_stack_pins_every_lower_bound():
    pyproject, _, constraints = load(ROOT)
    assert lowest_stack_problems(pyproject, constraints) == []


def test_requires_python_is_the_tested_python():
    pyproject, _, _ = load(ROOT)
    assert python_problems(pyproject) == []
    assert f"{sys.version_info.major}.{sys.version_info.minor}" in SpecifierSet(
        pyproject["project"]["requires-python"])


def test_checks_fail_on_a_disagreeing_fixture():
    pyproject, requirements, constraints = load(BAD)
    assert requirements_problems(pyproject, requirements) == [
        "requirements.txt has numpy>=1.22, pyproject.toml has numpy>=1.23.2",
        "requirements.txt has scipy>=1.10, pyproject.toml does not declare scipy",
        "pyproject.toml depends on tqdm>=4.60, requirements.txt lacks it",
    ]
    assert lowest_stack_problems(pyproject, constraints) == [
        "pyproject.toml has torch>=2.1, constraints-lowest.txt pins torch==2.1.2",
        "pyproject.toml has tqdm>=4.60, constraints-lowest.txt lacks tqdm",
        "pyproject.toml: pytest has no single lower bound (>=)",
    ]
    assert python_problems(pyproject) == [
        "requires-python = '>=3.10', but CI tests Python 3.11 (write '>=3.11')"]
    assert lowest_stack_problems(pyproject, "torch>=2.1\n") == [
        "constraints-lowest.txt: torch>=2.1 is not an exact pin (name==version)"]
