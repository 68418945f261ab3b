from tests.support.fixtures import hook, runtime, runtimes, submit, webhook

__all__ = ["hook", "runtime", "runtimes", "submit", "webhook"]
