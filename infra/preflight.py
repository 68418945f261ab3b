"""Deploy pre-flight: what `cdk deploy` would otherwise find out halfway through a change set. Run by `make deploy`
before `cdk deploy`, and alone as `make preflight` (`python -m infra.preflight`).

Each check is one line, ok / WARN / FAIL / skip, with how to fix it; the exit status is 1 when one FAILs. It needs
AWS credentials for the target account and region (tests point it at the local AWS endpoint, moto).

  - the Powertools layer: the locked release's public SSM parameter exists in the region, or the pinned
    `powertoolsLayerArn` layer version exists (and is for our runtime);
  - the Lambda Python (PYTHON_RUNTIME) runs in the region: AWS has no API listing a region's Lambda runtimes, so
    this checks what can be checked: the SDK's Lambda model knows it, and the stack's layer is published for it;
  - the account is bootstrapped: `/cdk-bootstrap/<qualifier>/version` is at least what the synthesized template's
    CheckBootstrapVersion rule requires;
  - the alert targets (handlers.alert_registry), as the AlertHandler will read its configuration: ALERT_TARGETS,
    ALERT_ROUTES, each target's secret or settings, the e-mail sender's SES identity (infra.preflight_alerts, whose
    docstring says what each check accepts);
  - the CDK CLI (the Makefile's pin) reads the cloud assembly the library (requirements.lock) wrote: a CLI older
    than the library's cloud assembly schema refuses it.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from infra.constructs.functions import POWERTOOLS_LAYER_PARAMETER
from infra.context import StackSettings
from infra.preflight_alerts import check_alerts
from infra.preflight_check import Check, error_code
from workflow.manifest import PYTHON_RUNTIME, STACK_NAME

REPO = Path(__file__).resolve().parent.parent
BOOTSTRAP_QUALIFIER = "hnb659fds"  # the CDK's default; a custom one is the context's @aws-cdk/core:bootstrapQualifier
Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


def file_context() -> dict[str, Any]:
    """The CDK context as `make deploy` passes it: cdk.json's, then ORDERFLOW_CONTEXT on top (as infra/app.py)."""
    cdk_json = REPO / "cdk.json"
    context: dict[str, Any] = json.loads(cdk_json.read_text()).get("context", {}) if cdk_json.exists() else {}
    context.update(json.loads(os.environ.get("ORDERFLOW_CONTEXT") or "{}"))
    return context


class _Node:
    def __init__(self, context: dict[str, Any]) -> None:
        self._context = context

    def try_get_context(self, key: str) -> Any:
        return self._context.get(key)


def check_layer(session: Any, endpoint: str | None, settings: StackSettings) -> tuple[Check, list[str] | None]:
    """The layer the stack deploys, and the runtimes it is published for (None: unknown)."""
    region = session.region_name
    if settings.powertools_layer_arn:
        try:
            name, _, number = settings.powertools_layer_arn.rpartition(":")
            layer = session.client("lambda", endpoint_url=endpoint).get_layer_version(
                LayerName=name, VersionNumber=int(number)
            )
        except Exception as e:
            return Check(
                "Powertools layer",
                "FAIL",
                f"the pinned layer {settings.powertools_layer_arn} cannot be read in {region} ({error_code(e)})",
                "pin a layer version of this region that exists (context powertoolsLayerArn), or unset it",
            ), None
        return Check("Powertools layer", "ok", f"pinned {settings.powertools_layer_arn}"), list(
            layer.get("CompatibleRuntimes") or []
        )
    try:
        value = session.client("ssm", endpoint_url=endpoint).get_parameter(Name=POWERTOOLS_LAYER_PARAMETER)
    except Exception as e:
        return Check(
            "Powertools layer",
            "FAIL",
            f"{POWERTOOLS_LAYER_PARAMETER} does not exist in {region} ({error_code(e)}): CloudFormation would fail the "
            "change set halfway",
            "deploy to a region Powertools publishes to, or pin a layer ARN: -c powertoolsLayerArn=arn:aws:lambda:…",
        ), None
    return Check("Powertools layer", "ok", f"{POWERTOOLS_LAYER_PARAMETER} = {value['Parameter']['Value']}"), [
        PYTHON_RUNTIME
    ]


def check_runtime(session: Any, runtimes: list[str] | None) -> Check:
    import botocore.session

    model = botocore.session.get_session().get_service_model("lambda")
    known = getattr(model.shape_for("Runtime"), "enum", [])
    if PYTHON_RUNTIME not in known:
        return Check(
            "Lambda runtime",
            "FAIL",
            f"this SDK's Lambda model does not know {PYTHON_RUNTIME}",
            "update boto3/botocore (requirements.lock)",
        )
    if runtimes is None:
        return Check(
            "Lambda runtime",
            "skip",
            f"whether {session.region_name} runs {PYTHON_RUNTIME} is unknown without the layer",
            "fix the Powertools layer check first",
        )
    if runtimes and PYTHON_RUNTIME not in runtimes:
        return Check(
            "Lambda runtime",
            "FAIL",
            f"the Powertools layer is published for {', '.join(runtimes)}, not {PYTHON_RUNTIME}",
            f"pin a layer for {PYTHON_RUNTIME} (powertoolsLayerArn)",
        )
    return Check(
        "Lambda runtime",
        "ok",
        f"{PYTHON_RUNTIME}: the SDK knows it and its Powertools layer is published in {session.region_name} "
        "(AWS lists no region's runtimes)",
    )


def required_bootstrap_version(template: dict[str, Any]) -> int | None:
    """The version CheckBootstrapVersion asks for: one above the highest it refuses."""
    rule = (template.get("Rules") or {}).get("CheckBootstrapVersion")
    if not rule:
        return None
    refused: list[int] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "Fn::Contains" in node:
                refused.extend(int(v) for v in node["Fn::Contains"][0] if str(v).isdigit())
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(rule)
    return max(refused) + 1 if refused else None


def check_bootstrap(session: Any, endpoint: str | None, template: dict[str, Any] | None) -> Check:
    name = f"/cdk-bootstrap/{BOOTSTRAP_QUALIFIER}/version"
    fix = f"npx aws-cdk bootstrap aws://<account>/{session.region_name} (the Makefile's CDK CLI)"
    try:
        value = session.client("ssm", endpoint_url=endpoint).get_parameter(Name=name)["Parameter"]["Value"]
    except Exception as e:
        return Check("CDK bootstrap", "FAIL", f"{name} is missing in {session.region_name} ({error_code(e)})", fix)
    required = required_bootstrap_version(template) if template else None
    if required is not None and int(value) < required:
        return Check("CDK bootstrap", "FAIL", f"version {value}; the template requires {required}", fix)
    return Check("CDK bootstrap", "ok", f"version {value}" + (f" (template requires {required})" if required else ""))


def check_cli(cdk: Sequence[str], assembly: Path, run: Runner) -> Check:
    manifest = assembly / "manifest.json"
    if not manifest.exists():
        return Check("CDK CLI", "FAIL", f"no cloud assembly at {assembly}", "make synth first")
    schema = json.loads(manifest.read_text()).get("version", "?")
    try:
        result = run([*cdk, "ls", "--app", str(assembly)])
    except (OSError, subprocess.SubprocessError) as e:
        return Check("CDK CLI", "skip", f"{' '.join(cdk)} did not run ({e})", "install Node 20 and npx")
    if result.returncode != 0:
        said = (result.stderr or result.stdout).strip().splitlines()
        reason = next((line for line in said if "schema" in line.lower() or "compatible" in line.lower()), None)
        return Check(
            "CDK CLI",
            "FAIL",
            f"{' '.join(cdk)} cannot read the assembly (schema {schema}): {reason or (said[-1] if said else '?')}",
            "raise the CLI pin in the Makefile (CDK := npx --yes aws-cdk@<version>) to one that reads it",
        )
    return Check("CDK CLI", "ok", f"{' '.join(cdk)} reads the library's cloud assembly (schema {schema})")


def preflight(
    session: Any,
    *,
    endpoint: str | None = None,
    stack: str = STACK_NAME,
    settings: StackSettings | None = None,
    assembly: Path | None = None,
    cdk: Sequence[str] = (),
    run: Runner | None = None,
) -> list[Check]:
    settings = settings or StackSettings.from_context(_Node(file_context()))
    assembly = assembly or REPO / "cdk.out"
    template_path = assembly / f"{stack}.template.json"
    template = json.loads(template_path.read_text()) if template_path.exists() else None
    layer, runtimes = check_layer(session, endpoint, settings)
    checks = [layer, check_runtime(session, runtimes), check_bootstrap(session, endpoint, template)]
    checks += check_alerts(session, endpoint, stack, settings)
    if cdk:
        checks.append(check_cli(cdk, assembly, run or _run))
    else:
        checks.append(Check("CDK CLI", "skip", "no CLI given (--cdk)", "make preflight passes the Makefile's pin"))
    return checks


def _run(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    # The Makefile's own CDK CLI command, as make passes it.
    return subprocess.run(list(command), capture_output=True, text=True, timeout=300, check=False, cwd=REPO)  # noqa: S603


def main(argv: list[str] | None = None) -> int:
    import boto3

    parser = argparse.ArgumentParser(prog="python -m infra.preflight", description=__doc__.split("\n\n")[0])
    parser.add_argument("--region", help="the target region (default: your AWS configuration's)")
    parser.add_argument("--stack", default=os.environ.get("ORDERFLOW_STACK", STACK_NAME))
    parser.add_argument("--endpoint-url", help="an AWS endpoint (tests: the local system's)")
    parser.add_argument("--assembly", type=Path, default=REPO / "cdk.out", help="the synthesized cloud assembly")
    parser.add_argument("--cdk", default="", help="the CDK CLI command, e.g. 'npx --yes aws-cdk@2.1148.1'")
    args = parser.parse_args(argv)
    session = boto3.Session(region_name=args.region)
    if session.region_name is None:
        print("[FAIL] region: none configured  -> pass --region or set AWS_REGION", file=sys.stderr)
        return 1
    if session.get_credentials() is None:
        print("[FAIL] credentials: none found  -> aws configure, AWS_PROFILE or AWS_ACCESS_KEY_ID", file=sys.stderr)
        return 1
    checks = preflight(
        session, endpoint=args.endpoint_url, stack=args.stack, assembly=args.assembly, cdk=shlex.split(args.cdk)
    )
    for check in checks:
        print(check.line())
    failed = [c for c in checks if c.status == "FAIL"]
    print(f"pre-flight for {args.stack} in {session.region_name}: " + (f"{len(failed)} failed" if failed else "ready"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
