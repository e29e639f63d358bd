"""Pulumi entry point: read and check the stack settings, declare the stack, export its outputs."""

import pulumi

from infra.settings import NAMESPACE, load_settings
from infra.stack import ViewerCount

settings = load_settings(pulumi.Config(NAMESPACE))
stack = ViewerCount("viewer-count", settings)

for key, value in stack.outputs().items():
    pulumi.export(key, value)
