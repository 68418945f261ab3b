"""The HTTP API: the routes of the functions whose manifest trigger is `HttpRoutes`, IAM (or JWT) authorization on
every route, stage throttling and JSON access logs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from handlers.domain.contract import DEFAULT_ROUTE
from workflow.manifest import HttpRoutes, Manifest

ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "integrationError": "$context.integrationErrorMessage",
    "latency": "$context.responseLatency",
}


@dataclass(frozen=True)
class ApiSettings:
    """The operator's choices for the API (from the CDK context)."""

    oidc_issuer: str | None
    oidc_audience: tuple[str, ...]
    rate_limit: int
    burst_limit: int
    retention: logs.RetentionDays


def add_api(
    scope: Construct, manifest: Manifest, functions: Mapping[str, lambda_.IFunction], settings: ApiSettings
) -> tuple[apigw.HttpApi, apigw.HttpStage]:
    authorizer: apigw.IHttpRouteAuthorizer
    if settings.oidc_issuer:
        authorizer = authorizers.HttpJwtAuthorizer(
            "JwtAuthorizer", settings.oidc_issuer, jwt_audience=list(settings.oidc_audience)
        )
    else:
        authorizer = authorizers.HttpIamAuthorizer()
    api = apigw.HttpApi(
        scope,
        "Api",
        description="orderflow orders API",
        create_default_stage=False,
        default_authorizer=authorizer,
    )
    access_logs = logs.LogGroup(
        scope, "ApiAccessLogs", retention=settings.retention, removal_policy=cdk.RemovalPolicy.DESTROY
    )
    stage = apigw.HttpStage(
        scope,
        "ApiStage",
        http_api=api,
        stage_name="$default",
        auto_deploy=True,
        throttle=apigw.ThrottleSettings(rate_limit=settings.rate_limit, burst_limit=settings.burst_limit),
    )
    cfn_stage = stage.node.default_child
    assert isinstance(cfn_stage, apigw.CfnStage)
    cfn_stage.access_log_settings = apigw.CfnStage.AccessLogSettingsProperty(
        destination_arn=access_logs.log_group_arn, format=json.dumps(ACCESS_LOG_FORMAT)
    )
    for function in manifest.functions:
        if isinstance(function.trigger, HttpRoutes):
            integration = integrations.HttpLambdaIntegration(f"{function.name}Integration", functions[function.name])
            for route in function.trigger.routes:
                if route == DEFAULT_ROUTE:
                    # Whatever matches no route: the function answers it with a problem body (404, or 405 with
                    # Allow), where API Gateway would answer {"message": "Not Found"}.
                    apigw.HttpRoute(
                        scope,
                        f"{function.name}DefaultRoute",
                        http_api=api,
                        route_key=apigw.HttpRouteKey.DEFAULT,
                        integration=integration,
                        authorizer=authorizer,
                    )
                    continue
                method, path = route.split(" ", 1)
                api.add_routes(path=path, methods=[apigw.HttpMethod(method)], integration=integration)
    return api, stage
