"""The poller Lambda: samples IVS viewer counts, stores them and sends them as timed metadata.

Lambda runs `handler.poller.handler`. The package imports nothing beyond the Python standard
library and the boto3 that the Lambda Python runtime ships.
"""
