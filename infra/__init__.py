"""The AWS CDK v2 app that deploys orderflow: the same ASL and the same handler code as the local system.

May import aws-cdk-lib, cdk-nag, the workflow's asl and manifest, and the handlers' route constants. Must not import
workflow.emulator, workflow.local, workflow.harness, workflow.ops or workflow.cli: what is deployed does not depend
on how it is run or operated locally.
"""
