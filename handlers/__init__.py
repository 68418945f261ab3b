"""orderflow's Lambda code: entry points over three layers. Nothing here imports `workflow`: it is the code that ships
to AWS Lambda (infra.constructs.functions.stage_lambda_code copies this folder, subpackages included).

- Entry points, one per function of workflow/manifest.py, which lists them (handler path `handlers.<module>.handler`,
  e.g. start_workflow, create_order, alert_handler). Each is a <= 60-line adapter: parse the event into a frozen
  input model, call one service or domain function, return a dict. They may import `handlers.wiring`,
  observability, clock and the domain/service/adapter types they parse into; they hold no rules of their own.
- domain/: pure rules (no I/O). services/: use cases over injected ports. adapters/: boto3, urllib, API Gateway.
  Each package's docstring says what it may import.
- env.py names the environment variables; wiring.py, the one place that reads them, builds the clients, adapters
  and services once per module (Lambda's init phase). observability.py is the structured logger, the EMF business
  metrics and `entry_point` (which counts declared business errors); clock.py the time; alert_registry.py the alert
  targets there are (their modules, secrets and settings); arns.py Step Functions' ARN grammar (AWS's, not a rule of
  ours: pure string functions the adapters, the domain's alerts and the operator tools share).
"""
