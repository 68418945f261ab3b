"""Operator tools, the same against the running local system and a deployed stack (`targets.connect`):

- targets      where a command acts: the local system's AWS endpoint, or a stack's CloudFormation outputs
- local_names  the local system's deterministic names and ARNs (its outputs; the local runtime provisions by them)
- dlq          what the dead-letter queues hold, and moving it back (`orderflow dlq ...`)
- executions   the newest executions and why they failed (`orderflow executions`)
- rerun        a FAILED order run again after its cause is fixed (`orderflow rerun`)
- order_index  orders stored before the orders-by-time index given their keys (`orderflow console --index-existing`)
- alerts       recent alerts and their deliveries, an incident resolved by hand (`orderflow alerts list|resolve`)
- alert_path   a test alert through the alert path, each target's delivery read back (`orderflow alerts test`)
- update       a scripted workflow update: publish the compiled definition and move the live alias
- versions     pruning a state machine's versions: keep the newest and every one an alias routes to
- history      one paginated execution-history reader and where an order's execution is
- execution_logs  an Express execution's history, read from its state machine's log group (Logs Insights)
- trace        one order's journey as a timeline, with its latency and its cost on AWS (`orderflow trace`)
- trace_model  the trace's types (Entry, Timeline, RecordedExecution, WorkflowShape, OrderCost), its text and document
- trace_entries  the timeline's entries from the records: the order's statuses, each execution's states, the alerts
- trace_cost   what one order cost on AWS, counted from its records and priced by workflow.cost.model

May import: workflow's definition, asl and manifest, workflow.cost.model (trace prices an order with `orderflow
cost`'s pure calculation), handlers' domain and adapters (an order is read as the handlers store it), boto3. Must not
import workflow.local, workflow.emulator or workflow.harness (a local system is reached only through its AWS endpoint,
by the names local_names derives), workflow.cost.run (it runs a local system) or the CLI.
"""
