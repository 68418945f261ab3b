"""orderflow's Lambda entry points (thin adapters) over pure domain code and boto3 adapters.

Nothing in this package imports `workflow`: it is the code that ships to AWS Lambda.
"""
