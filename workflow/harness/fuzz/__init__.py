"""`orderflow fuzz`: schemathesis drives the orders API over real HTTP from its OpenAPI document and holds every
answer to it.

Cases come from schemathesis' own generators, driven here through its Python API (not the `st` CLI nor its
engine, whose event stream is internal and counts distinct failures rather than cases):

- coverage: schemathesis' deterministic enumeration of boundary and unusual inputs (lengths at and past the limits,
  wrong types, missing required fields and headers, unexpected properties, undeclared methods, wrong and malformed
  Content-Types);
- examples: the document's own examples, when it has any;
- positive / negative: Hypothesis draws from `APIOperation.as_strategy` in both generation modes;
- replay / conflict: after a 202, the same key and body again (the first answer replayed, `Idempotent-Replayed`)
  or the same key with another body (422);
- known-order: GETs of orders the run created, so 200 bodies are checked too (a drawn id is almost never an order).

Valid requests get a fresh Idempotency-Key most of the time (a drawn key such as "0" would otherwise replay or
conflict on nearly every request); the rest keep the drawn key, so collisions are exercised as well. Every answer
runs the checks in CHECKS. Counted per case: `server_errors` (a 5xx), `nonconforming` (any other failed check),
`unanswered` (no answer within the request timeout). The run is bounded: a timeout per request and a deadline for
the whole run; a run the deadline cut short is not a pass.

`positive_data_acceptance` is deliberately off: the API's rules are stricter than JSON Schema can say (identifiers
without invisible characters, totals below a bound, JSON numbers where a draw has 195.0 for an integer, a drawn key
already used with another body), so schema-valid requests are rightly refused with documented 4xx answers.

What lives where (each module imports only those above it):

    checks   CHECKS and our own check names; Problem; the Idempotency-Key contract checks (replay, conflict)
    report   Outcome, Finding, OperationStats, FuzzReport: the counting, the text and the JSON line
    cases    load_schema, operations_of; split and spread_sample, which share a budget of cases out
    fuzzer   Fuzzer: the phases, sending, checking, following up on 202s; the shares that steer the draws
    run      run_fuzz (any base URL), run_local_fuzz (a local system it starts), load_document
"""

from workflow.harness.fuzz.cases import APIOperation, Case, load_schema, operations_of, split, spread_sample
from workflow.harness.fuzz.checks import CHECKS, CONFLICT_CHECK, REPLAY_CHECK, TRANSPORT_CHECK, Problem
from workflow.harness.fuzz.report import Finding, FuzzReport, OperationStats, Outcome
from workflow.harness.fuzz.run import DEADLINE_SECONDS, REQUEST_TIMEOUT_SECONDS, load_document, run_fuzz, run_local_fuzz

__all__ = [
    "CHECKS",
    "CONFLICT_CHECK",
    "DEADLINE_SECONDS",
    "REPLAY_CHECK",
    "REQUEST_TIMEOUT_SECONDS",
    "TRANSPORT_CHECK",
    "APIOperation",
    "Case",
    "Finding",
    "FuzzReport",
    "OperationStats",
    "Outcome",
    "Problem",
    "load_document",
    "load_schema",
    "operations_of",
    "run_fuzz",
    "run_local_fuzz",
    "split",
    "spread_sample",
]
