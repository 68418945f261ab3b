"""The local AWS endpoint (moto's server, the running system's state) answers this machine's tools, never a web page:
no CORS, loopback Host and Origin only, no moto dashboard."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config

from workflow.local.runtime import LocalRuntime

# A Secrets Manager GetSecretValue as a browser page would send it (JSON protocol, no signature: moto accepts any).
GET_SECRET_HEADERS = {"X-Amz-Target": "secretsmanager.GetSecretValue", "Content-Type": "application/x-amz-json-1.1"}
GET_SECRET_BODY = json.dumps({"SecretId": "orderflow/slack-webhook"})
AUTH = (
    "AWS4-HMAC-SHA256 Credential=test/20261202/us-east-1/secretsmanager/aws4_request, SignedHeaders=host, Signature=x"
)


@pytest.fixture(scope="module")
def endpoint(runtime: LocalRuntime) -> str:
    return runtime.aws_endpoint or runtime.serve_aws(port=0)


def client(endpoint: str, service: str) -> Any:
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


def secret_request(endpoint: str, **headers: str) -> requests.Response:
    return requests.post(
        endpoint,
        headers={**GET_SECRET_HEADERS, "Authorization": AUTH, **headers},
        data=GET_SECRET_BODY,
        timeout=10,
    )


def no_cors(response: requests.Response) -> None:
    assert not [h for h in response.headers if h.lower().startswith("access-control-")], response.headers


def test_boto3_works_through_it(runtime: LocalRuntime, endpoint: str) -> None:
    assert client(endpoint, "stepfunctions").describe_state_machine(stateMachineArn=runtime.state_machine_arn)
    assert client(endpoint, "sqs").get_queue_url(QueueName="orderflow-orders")["QueueUrl"]
    assert client(endpoint, "sns").list_topics()["Topics"]
    assert client(endpoint, "dynamodb").describe_table(TableName=runtime.table_name("orders"))
    assert client(endpoint, "secretsmanager").describe_secret(SecretId="orderflow/slack-webhook")["Name"]


def test_a_loopback_caller_without_origin_is_served(endpoint: str) -> None:
    response = secret_request(endpoint)
    assert response.status_code == 200, response.text
    no_cors(response)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Host": "evil.example"},  # DNS rebinding: the page's own name, resolved to 127.0.0.1
        {"Host": "127.0.0.1.nip.io:4566"},
    ],
)
def test_a_page_in_the_browser_cannot_read_the_secret(endpoint: str, headers: dict[str, str]) -> None:
    response = secret_request(endpoint, **headers)
    assert response.status_code == 403
    assert "SecretString" not in response.text
    no_cors(response)


def test_a_page_served_from_loopback_may_call_it_but_gets_no_cors(endpoint: str) -> None:
    response = secret_request(endpoint, Origin="http://localhost:8888")
    assert response.status_code == 200
    no_cors(response)


def test_cors_preflight_is_refused(endpoint: str) -> None:
    response = requests.options(
        endpoint,
        headers={"Origin": "http://localhost:8888", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert response.status_code == 403
    no_cors(response)


@pytest.mark.parametrize("path", ["/moto-api/data.json", "/moto-api/", "/moto-api/reset"])
def test_the_moto_dashboard_is_off_and_never_500s(endpoint: str, path: str) -> None:
    for method in ("GET", "POST"):
        response = requests.request(method, f"{endpoint}{path}", timeout=10)
        assert response.status_code == 404
        assert response.json()["__type"] == "NotFound"


def test_malformed_requests_get_a_json_error_not_a_traceback(endpoint: str) -> None:
    response = requests.post(
        endpoint, headers={"X-Amz-Target": "nonsense", "Authorization": AUTH}, data=b"{", timeout=10
    )
    assert response.status_code < 500 or response.headers["content-type"].startswith("application/x-amz-json")
    assert "Traceback" not in response.text
    assert secret_request(endpoint).status_code == 200  # still serving
