"""Offline stand-ins for AWS: DynamoDB Local, the IVS emulator and the local run."""
