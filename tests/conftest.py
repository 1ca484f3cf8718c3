import os

import matplotlib
import pytest
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")  # tests draw figures without a screen

# CI runs on a shared 2-core machine, two test workers at once: wall-clock limits on single
# examples would fail for load, not for wrong answers. Tests' own @settings inherit these.
settings.register_profile("book", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("book")


def pytest_configure(config):
    """With several xdist workers, give each worker and each notebook kernel one thread.

    Two workers whose torch uses every core would oversubscribe the machine: OpenMP threads
    spin while they wait for each other, and a notebook that takes 30 s alone took over ten
    minutes of CPU. Kernels started by nbval inherit this environment.
    """
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(name, "1")
        import torch
        torch.set_num_threads(1)


@pytest.fixture
def one_thread():
    """Run a test on one torch thread, restoring the count after it (`utils.num_threads`).

    For test files of tiny tensors, where extra threads only add overhead (the optimizer tests
    ran 50x slower on a busy 2-core machine with two threads): such a file opts in with
    `pytestmark = pytest.mark.usefixtures("one_thread")`.
    """
    from utils.runtime import num_threads
    with num_threads(1):
        yield


# Test files whose tests are independent of each other (one page or one explorer each) and whose
# module fixtures (a browser, a local server) are cheap to start on every worker. Their tests are
# spread over the xdist workers one by one; every other file's tests stay together on one worker,
# as `--dist loadscope` keeps them (a notebook's cells must run in order in one kernel). Kept
# together, the website's tests were one 190 s unit of work on one of CI's two workers.
SPREAD_FILES = frozenset({"tests/test_website.py", "tests/test_explorers.py"})


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, unknown to pytest without it
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadscope`, except that the tests of SPREAD_FILES are scheduled one by one."""
    if config.getoption("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SpreadScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.split("::", 1)[0] in SPREAD_FILES:
                return nodeid
            return super()._split_scope(nodeid)

    return SpreadScheduling(config, log)
