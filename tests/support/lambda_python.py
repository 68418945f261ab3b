"""The interpreter the handler tier runs on: the Python that Lambda runs the handlers on (workflow.manifest's
PYTHON_RUNTIME). `python -m tests.support.lambda_python` prints its path, or exits 1 saying what is missing.

It is looked for as `pythonX.Y` on the PATH, then among pyenv's versions (these machines carry 3.13 under pyenv,
whose shim answers only for the selected version); each candidate is run once to be sure it is that version.
"""

from __future__ import annotations

import glob
import shutil
import subprocess
import sys

from workflow.manifest import PYTHON_RUNTIME

VERSION = PYTHON_RUNTIME.removeprefix("python")


def _is_version(interpreter: str) -> bool:
    try:
        answer = subprocess.run(
            [interpreter, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except OSError:
        return False
    return answer.returncode == 0 and answer.stdout.strip() == VERSION


def find() -> str | None:
    candidates = [shutil.which(f"python{VERSION}")]
    if pyenv := shutil.which("pyenv"):
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False).stdout.strip()
        if root:
            candidates += sorted(glob.glob(f"{root}/versions/{VERSION}.*/bin/python{VERSION}"), reverse=True)
    return next((c for c in candidates if c and _is_version(c)), None)


if __name__ == "__main__":
    found = find()
    if found is None:
        print(f"no Python {VERSION} (Lambda's {PYTHON_RUNTIME}) on this machine: install it to test the handlers on it")
        sys.exit(1)
    print(found)
