from tests.support.fixtures import hook, runtime, submit, webhook

__all__ = ["hook", "runtime", "submit", "webhook"]
