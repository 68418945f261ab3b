# Two commands on a fresh machine: `make run` and `make test`. Both install into .venv as needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The CDK CLI, from the npm registry, only for deploy/diff/destroy (synth is plain Python).
CDK := npx --yes aws-cdk@2.1148.1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION = 20

# (mutation is not part of `make test`.)
.PHONY: run test lambda-tier mutation regen cost-snapshot lint typecheck unit integration infra notebook-tests notebooks golden openapi graph synth preflight deploy diff destroy chaos fuzz bench cost clean

# Graphviz (`dot`) is a system program: state graphs are rendered to SVG/PNG with it, and their tests must run.
$(STAMP): setup.cfg pyproject.toml requirements.lock infra/asl-validator/package-lock.json Makefile
	@command -v dot >/dev/null || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  if command -v apt-get >/dev/null; then \
	    echo "installing Graphviz (apt-get)"; \
	    $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends graphviz >/dev/null; \
	  elif command -v brew >/dev/null; then \
	    brew install graphviz; \
	  else \
	    echo "Graphviz is missing: install the 'graphviz' package (it provides 'dot')" >&2; exit 1; \
	  fi; }
	@# Debian's chromium: the local console's browser tests drive it headless (Playwright, pointed at this browser).
	@command -v chromium >/dev/null || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  if command -v apt-get >/dev/null; then \
	    echo "installing chromium (apt-get)"; \
	    $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	  else \
	    echo "chromium is missing: the console's browser tests will be skipped, saying so"; \
	  fi; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# uv installs the pinned set in seconds where pip takes a minute; the lock is the same either way.
	$(BIN)/python -m pip install --quiet uv==0.13.9
	$(BIN)/uv pip install --python $(BIN)/python --quiet --compile-bytecode -c requirements.lock -e '.[dev,infra]'
	# The npm asl-validator (pinned by its lock) checks every compiled definition in tests/infra. Node is needed
	# only for it and for deploys: without npm that one test is skipped, saying so.
	@if command -v npm >/dev/null; then \
	  mkdir -p $(VENV)/asl-validator && cp infra/asl-validator/package.json infra/asl-validator/package-lock.json $(VENV)/asl-validator/ && \
	  npm ci --prefix $(VENV)/asl-validator --silent --no-audit --no-fund; \
	else echo "npm is missing: the asl-validator test will be skipped (Node.js 20 runs it)"; fi
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/orderflow up

# Two workers (this kind of machine has two cores); a file's tests stay together, so the CDK synth and the local
# runtime start once per worker that needs them. Then the handlers' unit tests again, on Lambda's Python.
test: $(STAMP) lint typecheck
	rm -rf build/edge-coverage
	$(BIN)/pytest -q -n 2 --dist loadfile
	@# Every Next, Retry and Catch rule of the order workflow taken by some test (executions and TestState calls).
	$(BIN)/orderflow coverage --fail-under 100
	$(MAKE) --no-print-directory lambda-tier

# Lambda runs the handlers on workflow/manifest.py's PYTHON_RUNTIME (python3.13: 3.14 cannot be installed on the
# machines that test them), not on the venv's Python: the handlers' unit tests run on that version too, in a venv of
# their own. A machine without that Python says so and skips the tier (these machines have it under pyenv).
LAMBDA_VENV := .venv-lambda
$(LAMBDA_VENV)/.installed-stamp: $(STAMP)
	@interpreter=$$($(BIN)/python -m tests.support.lambda_python) || { echo "$$interpreter"; exit 0; }; \
	  $(BIN)/uv venv -q --allow-existing --python "$$interpreter" $(LAMBDA_VENV) && \
	  $(BIN)/uv pip install --python $(LAMBDA_VENV)/bin/python --quiet -c requirements.lock -e '.[dev]' && \
	  touch $@

lambda-tier: $(LAMBDA_VENV)/.installed-stamp
	@if [ -x $(LAMBDA_VENV)/bin/pytest ]; then \
	  runtime=$$($(BIN)/python -c 'from workflow.manifest import PYTHON_RUNTIME; print(PYTHON_RUNTIME)'); \
	  echo "the handlers' unit tests on $$runtime:"; \
	  ORDERFLOW_LAMBDA_RUNTIME=$$runtime $(LAMBDA_VENV)/bin/pytest -q -p no:cacheprovider tests/unit; \
	else echo "skipped: the handlers' unit tests on Lambda's Python (see above)"; fi

# Mutation testing (not part of `make test`; about ten minutes here): mutmut changes handlers/domain, handlers/services
# and workflow/asl.py one mutant at a time and runs the unit tests that reach it; each module must kill 85 % of its
# mutants, less the equivalent ones its test file lists (EQUIVALENT_MUTANTS). One module: MUTANTS='handlers.domain.money*'.
MUTANTS ?=
mutation: $(STAMP)
	$(BIN)/uv pip install --python $(BIN)/python --quiet -c requirements.lock -e '.[dev,infra,mutation]'
	rm -rf mutants && mkdir -p build
	$(BIN)/mutmut run --max-children 2 $(MUTANTS) > build/mutmut.log 2>&1 || { tail -40 build/mutmut.log; exit 1; }
	$(BIN)/python -m tests.support.mutation_score mutants

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

integration: $(STAMP)
	$(BIN)/pytest -q tests/integration

infra: $(STAMP)
	$(BIN)/pytest -q tests/infra

notebook-tests: $(STAMP)
	$(BIN)/pytest -q tests/notebooks

# Executed copies of the notebooks, as HTML for reading (build/ is git-ignored; the notebooks stay without outputs).
# The kernel is the venv's own: ipykernel installs its "python3" spec into the venv, which Jupyter prefers there.
notebooks: $(STAMP)
	mkdir -p build/notebooks
	$(BIN)/jupyter-nbconvert --execute --to html --ExecutePreprocessor.timeout=120 --output-dir build/notebooks \
	  notebooks/*.ipynb
	@echo "open build/notebooks/*.html"

# The CloudFormation template, offline: no AWS credentials, no network. Context: ORDERFLOW_CONTEXT='{"workflowType":"EXPRESS"}'.
synth: $(STAMP)
	$(BIN)/python infra/app.py
	@echo "wrote cdk.out/orderflow.template.json"

# These need AWS credentials (and `cdk bootstrap` once per account/region); see infra/README.md.
# What cdk deploy would otherwise find out halfway through a change set: the Powertools layer and the Lambda Python in the
# region, the bootstrap version, the secrets, and whether this CLI reads the library's cloud assembly.
preflight: synth
	$(BIN)/python -m infra.preflight --cdk "$(CDK)"

# Each deploy publishes a state machine version (RETAINed, so `live` can move back); AWS allows 1,000. After the
# deploy, all but the newest KEEP_VERSIONS and those an alias routes to are deleted.
KEEP_VERSIONS ?= 10
deploy: preflight
	$(CDK) deploy orderflow --require-approval broadening
	$(BIN)/orderflow workflow prune --target aws --keep-versions $(KEEP_VERSIONS)

# Warns (without failing) when live runs a scripted update that the deploy would revert.
diff: $(STAMP)
	-$(BIN)/orderflow workflow status --target aws
	$(CDK) diff orderflow

destroy: $(STAMP)
	$(CDK) destroy orderflow

# Rewrite the golden ASL after an intended change to the workflow; review the diff before committing it.
golden: $(STAMP)
	$(BIN)/orderflow asl > workflow/golden/order_workflow.asl.json
	$(BIN)/orderflow asl --workflow-type EXPRESS > workflow/golden/order_workflow.express.asl.json

# Everything generated that is committed, after an intended change (a new state, a new route): the goldens, the
# graph and the OpenAPI document. Review the diff before committing it; the tests fail while any is stale.
regen: golden openapi graph cost-snapshot
	@git --no-pager diff --stat -- workflow/golden docs/openapi.json docs/order_workflow.md docs/order_workflow.svg workflow/cost/snapshot.json 2>/dev/null || true

# Rewrite docs/openapi.json from workflow/openapi.py after an intended change to the API; a test fails when stale.
openapi: $(STAMP)
	$(BIN)/orderflow openapi > docs/openapi.json

# Redraw the workflow's state graph for the README (SVG) and for reading on GitHub (Mermaid); a test fails when the
# Mermaid copy is stale.
graph: $(STAMP)
	mkdir -p docs
	$(BIN)/orderflow graph --out docs/order_workflow.svg
	$(BIN)/orderflow graph --out docs/order_workflow.md

clean:
	rm -rf $(VENV) $(LAMBDA_VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info cdk.out build

# What an order costs on AWS, per 1M orders and per service, for both workflow types (workflow/cost/).
cost: $(STAMP)
	$(BIN)/orderflow cost --orders 40

# The committed cost snapshot the cost test holds a measured run to (workflow/cost/snapshot.py): review its diff.
cost-snapshot: $(STAMP)
	$(BIN)/orderflow cost --orders 40 --snapshot workflow/cost/snapshot.json

# Throughput and latency through the local HTTP API against the bare engine in the same run, cold imports, memory
# growth and a 500-order chaos run: one JSON document, also written to build/bench.json (bench/run.py).
bench: $(STAMP)
	$(BIN)/python bench/run.py

# 500 orders under injected faults (see workflow/harness/chaos.py): prints the figures and fails if an invariant breaks.
chaos: $(STAMP)
	$(BIN)/orderflow chaos --orders 500 --seed 1 --concurrency 8 --json

# 1,000 schemathesis cases (valid, invalid and unusual) against a local system, every answer checked against
# docs/openapi.json; the last line is one JSON object, and any 5xx or nonconforming answer fails it.
fuzz: $(STAMP)
	$(BIN)/orderflow fuzz --cases 1000 --seed 1 --json
