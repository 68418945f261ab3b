"""Deploy pre-flight's alert-target checks (infra.preflight runs them with its others): the alert configuration a
deploy gives the AlertHandler, checked as the AlertHandler will read it (handlers.alert_registry).

ALERT_TARGETS names only known targets; ALERT_ROUTES parses (a broken one sends everything everywhere) and no rule
sends only to targets that are off; on a deployed stack, each target's secret exists and its module's `problem` takes
its value (a placeholder FAILs for a target ALERT_TARGETS names, WARNs for the default target: its alerts are only
logged; a target that is off is only reported); a secret the stack has no output for yet (a target newer than the
stack), and every secret before the first deploy, the deploy creates; the e-mail target, when on, has a sender and
recipients, and the sender's SES identity (address or domain) is verified in the region.
"""

from __future__ import annotations

from email.utils import parseaddr
from typing import Any

from handlers import env
from handlers.adapters.alert_targets import TargetConfig
from handlers.alert_registry import ALWAYS_ON, BY_NAME, DEFAULT_TARGETS, TARGETS, TargetSpec, target_names
from handlers.domain.alert_routes import RoutesError, parse_routes
from infra.context import StackSettings
from infra.preflight_check import Check, error_code

# The e-mail target and its settings (handlers.alert_registry): SES sends only as a verified identity.
EMAIL_TARGET = "email"
ALERT_EMAIL_FROM, ALERT_EMAIL_TO = "ALERT_EMAIL_FROM", "ALERT_EMAIL_TO"


def alert_targets_on(settings: StackSettings) -> list[str]:
    """The known targets the AlertHandler turns on (ALERT_TARGETS, or its default when unset), the log first."""
    return [ALWAYS_ON, *(n for n in target_names(settings.function_settings.get(env.ALERT_TARGETS)) if n in BY_NAME)]


def alert_targets_named(settings: StackSettings) -> list[str]:
    """The targets ALERT_TARGETS names in the CDK context (none when it is unset: then the default is on)."""
    named = settings.function_settings.get(env.ALERT_TARGETS)
    return target_names(named) if named is not None else []


def check_alert_targets(settings: StackSettings) -> Check:
    """ALERT_TARGETS names only targets of the registry (the AlertHandler would leave an unknown one out)."""
    said = settings.function_settings.get(env.ALERT_TARGETS)
    if unknown := [name for name in target_names(said) if name not in BY_NAME]:
        return Check(
            "alert targets",
            "FAIL",
            f"ALERT_TARGETS names {', '.join(unknown)}, which is no alert target: alerts would not go there",
            f"name targets of handlers/alert_registry.py: {', '.join(BY_NAME)} (context ALERT_TARGETS)",
        )
    default = "" if said is not None else f" (ALERT_TARGETS unset: the default, {DEFAULT_TARGETS})"
    return Check("alert targets", "ok", f"on: {', '.join(alert_targets_on(settings))}{default}")


def check_alert_routes(settings: StackSettings) -> Check:
    """ALERT_ROUTES parses and names known targets (a broken one sends every alert everywhere), and no rule sends
    what it matches only to targets that are off (it would reach the log alone)."""
    fix = "correct context ALERT_ROUTES (its rules: handlers/domain/alert_routes.py)"
    try:
        routes = parse_routes(settings.function_settings.get(env.ALERT_ROUTES), BY_NAME)
    except RoutesError as e:
        return Check("alert routes", "FAIL", f"{e}: the AlertHandler would send every alert everywhere", fix)
    if not routes.rules:
        return Check("alert routes", "ok", "none: every alert goes to every target that is on")
    on = set(alert_targets_on(settings))
    if nowhere := [index + 1 for index, rule in enumerate(routes.rules) if not set(rule.targets) & on]:
        return Check(
            "alert routes",
            "WARN",
            f"ALERT_ROUTES rule {', '.join(map(str, nowhere))} sends only to targets that are off: what it matches "
            "reaches the log alone",
            f"turn its targets on (ALERT_TARGETS), or {fix}",
        )
    return Check("alert routes", "ok", f"{len(routes.rules)} rules, each to a target that is on")


def _target_problem(spec: TargetSpec, secret: str | None, settings: StackSettings) -> str | None:
    """What the target's module finds wrong with this configuration (as the AlertHandler will), or None. Raises
    ImportError when the registry names a module that does not import."""
    problem: str | None = spec.load().problem(TargetConfig(secret=secret, settings=settings.function_settings.get))
    return problem


def check_secrets(session: Any, endpoint: str | None, stack: str, settings: StackSettings) -> list[Check]:
    """Each alert target's secret (the registry says which have one; the stack's outputs name them): it exists and
    its target's module takes its value. A target ALERT_TARGETS names FAILs without one (its alerts would only be
    logged); the default target WARNs; a target that is off only says so."""
    cloudformation = session.client("cloudformation", endpoint_url=endpoint)
    try:
        described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    except Exception as e:
        if error_code(e) == "ValidationError":  # "Stack with id ... does not exist"
            return [Check("secrets", "skip", f"stack {stack} is not deployed yet: the deploy creates its secrets",
                          "after the deploy, put each target's value in its secret (infra/README.md)")]  # fmt: skip
        return [Check("secrets", "FAIL", f"cannot read stack {stack} ({error_code(e)})", "check the credentials")]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    secrets = session.client("secretsmanager", endpoint_url=endpoint)
    on, named = alert_targets_on(settings), alert_targets_named(settings)
    checks = []
    for spec in TARGETS:
        if spec.secret is None:
            continue
        label = f"secret {spec.secret.name}"
        holds = f"it holds {spec.secret.holds}"
        secret_id = outputs.get(spec.secret.output)
        if secret_id is None:  # a stack deployed before this target existed: this deploy adds the secret
            said = f"stack {stack} has no output {spec.secret.output} yet: the deploy creates it"
            fix = f"after the deploy, put its value in the secret output {spec.secret.output} names ({holds})"
            checks.append(Check(label, "skip", said, fix))
            continue
        try:
            value = str(secrets.get_secret_value(SecretId=secret_id).get("SecretString", "")).strip()
        except Exception as e:
            fix = "redeploy to recreate it, or restore it (it may be scheduled for deletion)"
            checks.append(Check(label, "FAIL", f"{secret_id} cannot be read ({error_code(e)})", fix))
            continue
        try:
            problem = _target_problem(spec, value, settings)
        except ImportError as e:
            status = "FAIL" if spec.name in on else "skip"
            checks.append(Check(label, status, f"{spec.name}'s module cannot be imported ({e})", "fix the code"))
            continue
        off = "" if spec.name in on else f"; {spec.label} is off (ALERT_TARGETS does not name {spec.name})"
        if problem is None:
            checks.append(Check(label, "ok", f"{secret_id} holds a value {spec.label} takes{off}"))
            continue
        fix = f"aws secretsmanager put-secret-value --secret-id {secret_id} --secret-string … ({holds})"
        if spec.name in named:
            said = f"{problem}; ALERT_TARGETS names {spec.name}, whose alerts would only be logged"
            checks.append(Check(label, "FAIL", said, fix))
        elif spec.name in on:
            said = f"{problem}: alerts to that target are only logged"
            checks.append(Check(label, "WARN", said, fix))
        else:
            turn_on = f"to turn it on, put its value ({holds}) in {secret_id} and add {spec.name} to ALERT_TARGETS"
            checks.append(Check(label, "skip", f"{problem}{off}", turn_on))
    return checks


def check_target_settings(session: Any, endpoint: str | None, settings: StackSettings) -> list[Check]:
    """Each target that is on and has no secret, by its settings (its module's `problem`); the e-mail target also
    by its sender's SES identity."""
    checks = []
    for spec in TARGETS:
        if spec.secret is not None or spec.name == ALWAYS_ON or spec.name not in alert_targets_on(settings):
            continue
        label = f"alert target {spec.name}"
        if spec.name == EMAIL_TARGET:
            checks.append(check_email(session, endpoint, settings, spec))
            continue
        try:
            problem = _target_problem(spec, None, settings)
        except ImportError as e:
            checks.append(Check(label, "FAIL", f"its module cannot be imported ({e})", "fix the code"))
            continue
        settings_fix = f"set {', '.join(spec.settings)} in the CDK context"
        status, said = ("FAIL", problem) if problem is not None else ("ok", f"{spec.label} is configured")
        checks.append(Check(label, status, said, settings_fix))
    return checks


def check_email(session: Any, endpoint: str | None, settings: StackSettings, spec: TargetSpec) -> Check:
    """The e-mail target: a sender and recipients, and the sender's SES identity (its address, or its domain)
    verified in the region, or SES refuses every message."""
    label = f"alert target {spec.name}"
    values = settings.function_settings
    if missing := [name for name in (ALERT_EMAIL_FROM, ALERT_EMAIL_TO) if not values.get(name)]:
        return Check(
            label,
            "FAIL",
            f"ALERT_TARGETS names {spec.name}, but {' and '.join(missing)} is not set: no alert would be e-mailed",
            f"-c {ALERT_EMAIL_FROM}=alerts@your-domain -c {ALERT_EMAIL_TO}=oncall@your-domain (or ORDERFLOW_CONTEXT)",
        )
    try:
        problem = _target_problem(spec, None, settings)
    except ImportError as e:
        return Check(label, "FAIL", f"its module cannot be imported ({e})", "fix the code")
    if problem is not None:
        return Check(label, "FAIL", problem, f"correct {ALERT_EMAIL_FROM} / {ALERT_EMAIL_TO} in the CDK context")
    _, address = parseaddr(values[ALERT_EMAIL_FROM])
    domain = address.rpartition("@")[2].lower()  # domain names are case-insensitive
    region = session.region_name
    try:
        found = session.client("ses", endpoint_url=endpoint).get_identity_verification_attributes(
            Identities=[address, domain]
        )["VerificationAttributes"]
    except Exception as e:
        return Check(
            label, "FAIL", f"cannot read SES identities in {region} ({error_code(e)})", "check the credentials"
        )
    statuses = {identity: found.get(identity, {}).get("VerificationStatus", "absent") for identity in (address, domain)}
    if verified := [identity for identity, status in statuses.items() if status == "Success"]:
        return Check(
            label,
            "ok",
            f"sends as {address} (SES identity {verified[0]} verified in {region}) to {values[ALERT_EMAIL_TO]}",
        )
    return Check(
        label,
        "FAIL",
        f"SES in {region} has no verified identity for {address} ({statuses[address]}) or {domain} "
        f"({statuses[domain]}): SES refuses to send as it",
        f"aws sesv2 create-email-identity --email-identity {address} --region {region} (then open the link SES "
        f"e-mails), or verify the domain {domain}",
    )


def check_alerts(session: Any, endpoint: str | None, stack: str, settings: StackSettings) -> list[Check]:
    """The alert configuration a deploy gives the AlertHandler, checked as the AlertHandler will read it."""
    return [
        check_alert_targets(settings),
        check_alert_routes(settings),
        *check_secrets(session, endpoint, stack, settings),
        *check_target_settings(session, endpoint, settings),
    ]
