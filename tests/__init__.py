"""The test tiers: unit (pure, no network: a fixture refuses sockets), integration (a local runtime with the real
handlers, one per xdist worker), infra (CDK synth, assertions, cdk-nag, cfn-lint), chaos (bounded chaos and fuzz
runs in their own processes), notebooks (executed headless). support/ holds what the tiers share."""
