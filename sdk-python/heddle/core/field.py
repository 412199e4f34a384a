"""Field: optional constraints and documentation for one config field.

Use it either as the default value or inside `typing.Annotated`:

    class GenerateConfig(StepConfig):
        rows: int = Field(ge=0, description="how many rows to make")
        mode: Annotated[str, Field(pattern="^[ab]$")] = "a"

A Field with a `default` makes the field optional, like a plain default does.
"""

from __future__ import annotations

from typing import Any, Dict, Optional


class _Missing:
    """Sentinel for "no default" (None is a valid default)."""

    _instance: Optional["_Missing"] = None

    def __new__(cls) -> "_Missing":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()
"""Marks a field without a default (so it is required)."""


class Field:
    """Constraints of one config field; each maps to the JSON Schema keyword in the comment.

    Raises TypeError at class-registration time when a constraint does not fit
    the field's type (e.g. `ge` on a string).
    """

    __slots__ = ("default", "description", "bounds", "min_length", "max_length", "pattern", "min_items", "max_items")

    def __init__(
        self,
        default: Any = MISSING,
        *,
        description: Optional[str] = None,
        ge: Optional[float] = None,  # minimum
        gt: Optional[float] = None,  # exclusiveMinimum
        le: Optional[float] = None,  # maximum
        lt: Optional[float] = None,  # exclusiveMaximum
        min_length: Optional[int] = None,  # minLength
        max_length: Optional[int] = None,  # maxLength
        pattern: Optional[str] = None,  # pattern
        min_items: Optional[int] = None,  # minItems
        max_items: Optional[int] = None,  # maxItems
    ) -> None:
        self.default = default
        self.description = description
        self.bounds: Dict[str, float] = {
            key: value
            for key, value in (("minimum", ge), ("exclusiveMinimum", gt), ("maximum", le), ("exclusiveMaximum", lt))
            if value is not None
        }
        self.min_length = min_length
        self.max_length = max_length
        self.pattern = pattern
        self.min_items = min_items
        self.max_items = max_items

    def merged(self, other: "Field") -> "Field":
        """A Field with `other`'s settings over this one's (Annotated metadata plus a default Field)."""
        result = Field(self.default if other.default is MISSING else other.default)
        result.description = other.description or self.description
        result.bounds = {**self.bounds, **other.bounds}
        for name in ("min_length", "max_length", "pattern", "min_items", "max_items"):
            value = getattr(other, name)
            setattr(result, name, getattr(self, name) if value is None else value)
        return result

    def __repr__(self) -> str:
        parts = [f"default={self.default!r}"] if self.default is not MISSING else []
        parts += [f"{k}={v!r}" for k, v in self.bounds.items()]
        for name in ("description", "min_length", "max_length", "pattern", "min_items", "max_items"):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name}={value!r}")
        return f"Field({', '.join(parts)})"
