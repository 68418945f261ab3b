"""The orderflow stack: every resource of the flow, built from the shared manifest and the ASL compiled by workflow/.

Composition only: the parts are built by infra/constructs/ (in this stack's own scope, so every logical id is the
one CloudFormation already has) in the order their references need. Nothing here names a resource (CloudFormation
does) or lists a resource the manifest does not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constructs import api, functions, messaging, monitoring, state_machine, storage
from infra.constructs.references import References
from infra.context import StackSettings, log_retention
from workflow import asl
from workflow.manifest import MANIFEST, Manifest


class OrderflowStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings | None = None,
        manifest: Manifest = MANIFEST,
        definition: dict[str, Any] | None = None,
        lambda_code_dir: Path | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings = settings or StackSettings()
        self.manifest = manifest
        self.definition = definition if definition is not None else asl.compile_order_workflow(settings.workflow_type)
        asl.check_manifest(self.definition, manifest)
        retention = log_retention(settings.log_retention_days)

        self.key = messaging.add_topic_key(self)
        self.tables = storage.add_tables(self, manifest)
        self.queues = messaging.add_queues(self, manifest)
        self.topics = messaging.add_topics(self, manifest, self.key, self.queues, settings.alert_emails)
        messaging.add_ticks(self, manifest, self.queues)
        self.secrets = storage.add_secrets(self, manifest)
        refs = References(
            self,
            manifest.live_alias,
            self.key,
            self.tables,
            self.queues,
            self.topics,
            self.secrets,
            settings.workflow_type,
            settings.function_settings,
        )

        self.functions = functions.add_functions(
            self,
            manifest,
            refs,
            retention=retention,
            system_log_level=settings.lambda_system_log_level,
            function_settings=settings.function_settings,
            code_dir=lambda_code_dir or functions.REPO / "build" / "lambda",
            powertools_layer_arn=settings.powertools_layer_arn,
        )
        refs = refs.with_functions(self.functions)
        self.state_machine, self.live_alias = state_machine.add_state_machine(
            self,
            self.definition,
            manifest,
            refs,
            state_machine.Logging(settings.express, settings.express_log_level, retention),
        )
        self.refs = refs = refs.with_state_machine(self.state_machine, self.live_alias)
        functions.connect_functions(manifest, refs)

        api_settings = api.ApiSettings(
            oidc_issuer=settings.oidc_issuer,
            oidc_audience=settings.oidc_audience,
            rate_limit=settings.api_rate_limit,
            burst_limit=settings.api_burst_limit,
            retention=retention,
        )
        self.api, self.stage = api.add_api(self, manifest, self.functions, api_settings)
        state_machine_logs = self.node.find_child(state_machine.LOG_GROUP_ID)
        assert isinstance(state_machine_logs, logs.LogGroup)
        watched = monitoring.Watched(self.queues, self.functions, self.state_machine, state_machine_logs, self.api)
        self.alarms = monitoring.add_alarms(self, manifest, watched, self.topics)
        if settings.express and settings.express_log_level == "OFF":
            cdk.Annotations.of(self).add_warning_v2(
                "orderflow:ExpressLogsOff",
                "expressLogLevel=OFF: the AlertNotPublished alarm reads the state machine's logs and sees nothing",
            )
        monitoring.add_dashboard(self, manifest, watched, self.alarms)

        cdk.CfnOutput(self, "ApiUrl", value=self.stage.url, description="POST /orders, GET /orders/{orderId}")
        for key, ref in manifest.all_outputs().items():
            cdk.CfnOutput(self, key, value=refs.value_of(ref))
