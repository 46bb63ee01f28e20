"""The one entry point that turns raw input (flags, answers, file rows) into a create model."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

from pydantic import TypeAdapter, ValidationError

from acctctl.errors import FieldError, ValidationFailed
from acctctl.models.inputs import (
    KINDS,
    AccountInput,
    cross_field_problems,
    field_default,
    judged,
)
from acctctl.models.rules import RuleContext


def _message(error: dict) -> str:
    if error["type"] == "missing":
        return "is required"
    message = error["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix):]
    return message


def errors_from(exc: ValidationError) -> list[FieldError]:
    found = []
    for error in exc.errors():
        key = str(error["loc"][0]) if error["loc"] else "row"
        found.append(FieldError(field=key, message=_message(error)))
    return found


def validate_account(kind: str, data: dict, ctx: RuleContext) -> AccountInput:
    """Validate everything at once; raise ValidationFailed listing every broken rule."""
    model = KINDS[kind]
    given = {k: v for k, v in data.items() if v is not None}
    try:
        return model.model_validate(given, context={"rules": ctx})
    except ValidationError as exc:
        problems = errors_from(exc)
    # Some fields failed, so the model's cross-field check did not run: run it on the fields
    # that passed, so that one attempt reports every problem.
    failed = {p.field for p in problems}
    problems = [p for p in problems if judged(p.field, failed)]
    passed = {}
    for key in model.model_fields:
        if key in failed:
            continue
        if key in given:
            ok, result = validate_field(kind, key, given[key], ctx)
            if ok:
                passed[key] = result
        else:
            passed[key] = field_default(model, key, ctx.cfg)
    for key, message in cross_field_problems(model, passed):
        if key not in failed and judged(key, failed):
            problems.append(FieldError(field=key, message=message))
    failure = ValidationFailed(problems)
    failure.partial = passed
    raise failure


@lru_cache(maxsize=256)
def _adapter(kind: str, key: str) -> TypeAdapter:
    info = KINDS[kind].model_fields[key]
    return TypeAdapter(Annotated[(info.annotation, *info.metadata)])


def validate_field(kind: str, key: str, value: Any, ctx: RuleContext) -> tuple[bool, Any]:
    """Check one value against its field's rules: (True, clean value) or (False, message)."""
    try:
        return True, _adapter(kind, key).validate_python(value, context={"rules": ctx})
    except ValidationError as exc:
        return False, _message(exc.errors()[0])
