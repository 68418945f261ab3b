"""Every tier: the order workflow's edge coverage is heard over the whole suite (tests/support/edge_coverage.py).

A plugin rather than hooks in a tier's conftest: TestState calls and executions happen in several tiers, and each
xdist worker must write what it heard at its session's end whichever modules it ran."""

pytest_plugins = ("tests.support.edge_coverage",)
