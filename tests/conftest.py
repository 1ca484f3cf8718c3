import matplotlib
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")  # tests draw figures without a screen

# CI runs on a shared 2-core machine, two test workers at once: wall-clock limits on single
# examples would fail for load, not for wrong answers. Tests' own @settings inherit these.
settings.register_profile("book", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("book")
