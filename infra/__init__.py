"""The AWS CDK v2 app that deploys orderflow: the same ASL and the same handler code as the local system."""
