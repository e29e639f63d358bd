"""Input validation against botocore's "ivs" service model, the contract boto3 clients follow.

boto3 checks only required members, types and minimum lengths before it sends a request, so the
emulator checks the rest as the service does: maximum lengths and sizes, patterns and enums.
"""

import logging
import re
import threading
from functools import cache

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape

from . import errors

logger = logging.getLogger(__name__)

_model: ServiceModel | None = None
_model_lock = threading.Lock()


def service_model() -> ServiceModel:
    """Return the "ivs" service model, loaded once per process on first use (about 0.2 s)."""
    global _model
    with _model_lock:
        if _model is None:
            _model = botocore.session.get_session().get_service_model("ivs")
        return _model


def operation_model(name: str) -> OperationModel:
    return service_model().operation_model(name)


@cache
def compile_pattern(pattern: str) -> re.Pattern | None:
    """Compile a model pattern, or return None for syntax Python's re lacks (such as \\p{L})."""
    try:
        return re.compile(pattern)
    except re.error:
        logger.debug("pattern %r is not checked: Python's re cannot compile it", pattern)
        return None


def validate_input(operation: str, params: object) -> None:
    """Raise a ValidationException that names the first member breaking the operation's model."""
    shape = operation_model(operation).input_shape
    if shape is None:
        return
    problem = check_value(params, shape, "")
    if problem:
        raise errors.validation(f"1 validation error detected: {problem}")


def check_value(value: object, shape: Shape, path: str) -> str | None:
    """Return a description of the first constraint that `value` breaks, or None."""
    checker = CHECKERS.get(shape.type_name)
    return checker(value, shape, path) if checker else None


def check_structure(value: object, shape: Shape, path: str) -> str | None:
    if not isinstance(value, dict):
        return f"Value at '{path or 'body'}' must be a JSON object"
    for name in shape.required_members:
        if value.get(name) is None:
            return constraint(join(path, name), "Member must not be null")
    for name, member in shape.members.items():
        # Members bound to headers or the URI never appear in the JSON body.
        if member.serialization.get("location") or value.get(name) is None:
            continue
        problem = check_value(value[name], member, join(path, name))
        if problem:
            return problem
    return None


def check_string(value: object, shape: Shape, path: str) -> str | None:
    if not isinstance(value, str):
        return f"Value at '{path}' must be a string"
    problem = check_length(len(value), shape, path)
    if problem:
        return problem
    if shape.enum and value not in shape.enum:
        allowed = ", ".join(shape.enum)
        return constraint(path, f"Member must satisfy enum value set: [{allowed}]", value)

    # Model patterns are unanchored, and a search for "[a-zA-Z0-9-_]*" accepts any string, so
    # the value must match as a whole.
    # NOTE: this assumes the service rejects what a full match rejects; it was not compared.
    pattern = shape.metadata.get("pattern")
    compiled = compile_pattern(pattern) if pattern else None
    if compiled and not compiled.fullmatch(value):
        return constraint(path, f"Member must satisfy regular expression pattern: {pattern}", value)
    return None


def check_integer(value: object, shape: Shape, path: str) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return f"Value at '{path}' must be an integer"
    minimum = shape.metadata.get("min")
    maximum = shape.metadata.get("max")
    if minimum is not None and value < minimum:
        return constraint(path, f"Member must have value greater than or equal to {minimum}", value)
    if maximum is not None and value > maximum:
        return constraint(path, f"Member must have value less than or equal to {maximum}", value)
    return None


def check_boolean(value: object, shape: Shape, path: str) -> str | None:
    return None if isinstance(value, bool) else f"Value at '{path}' must be a boolean"


def check_list(value: object, shape: Shape, path: str) -> str | None:
    if not isinstance(value, list):
        return f"Value at '{path}' must be a list"
    problem = check_length(len(value), shape, path)
    if problem:
        return problem
    for index, item in enumerate(value):
        problem = check_value(item, shape.member, f"{path}.{index + 1}.member")
        if problem:
            return problem
    return None


def check_map(value: object, shape: Shape, path: str) -> str | None:
    if not isinstance(value, dict):
        return f"Value at '{path}' must be a JSON object"
    problem = check_length(len(value), shape, path)
    if problem:
        return problem
    for key, item in value.items():
        problem = check_value(key, shape.key, f"{path}.key") or check_value(
            item, shape.value, f"{path}.value"
        )
        if problem:
            return problem
    return None


def check_length(length: int, shape: Shape, path: str) -> str | None:
    minimum = shape.metadata.get("min")
    maximum = shape.metadata.get("max")
    if minimum is not None and length < minimum:
        return constraint(path, f"Member must have length greater than or equal to {minimum}")
    if maximum is not None and length > maximum:
        return constraint(path, f"Member must have length less than or equal to {maximum}")
    return None


def constraint(path: str, rule: str, value: object = None) -> str:
    """Describe a broken constraint in the wording of AWS validation errors."""
    quoted_value = "" if value is None else f" '{value}'"
    return f"Value{quoted_value} at '{path}' failed to satisfy constraint: {rule}"


def join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


CHECKERS = {
    "structure": check_structure,
    "string": check_string,
    "integer": check_integer,
    "long": check_integer,
    "boolean": check_boolean,
    "list": check_list,
    "map": check_map,
}
