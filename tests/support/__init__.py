"""What the test tiers share: API Gateway events as the local API and AWS build them, and the integration tier's
fixtures (a loopback webhook per alert target, a running local runtime, a submit helper).

The sample order (workflow.local.samples), the loopback webhook receiver (workflow.local.receiver) and the bounded
wait (workflow.local.waiting) live in workflow.local, because the notebooks and chaos use the same ones.
"""
