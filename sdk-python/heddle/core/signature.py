"""Reads a registered function's parameters to know what to pass it.

A step is called with keyword arguments chosen from its own signature, so
plugin code declares only what it needs, in any order:

- the config: a parameter annotated with a config type (StepConfig subclass,
  TypedDict, dataclass) or named `config`;
- the input table: a parameter annotated with `Table` (or a subclass, possibly
  Optional) or named `input`/`input_table`/`table`; a default of None or an
  Optional annotation makes the input optional;
- the context: a parameter named `ctx` or annotated with StepContext.
"""

from __future__ import annotations

import inspect
import typing
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Type

from .context import StepContext
from .schema import is_config_type
from .table import Table

_INPUT_NAMES = ("input", "input_table", "table", "data")
_NoneType = type(None)


@dataclass
class Parameters:
    """Where each value goes when calling a registered function (None: not wanted)."""

    config: Optional[str] = None
    config_type: Any = None
    input: Optional[str] = None
    input_class: Type[Table] = Table
    input_optional: bool = False
    ctx: Optional[str] = None
    context_class: type = StepContext


def _hints(fn: Callable[..., Any]) -> Dict[str, Any]:
    try:
        return typing.get_type_hints(fn)
    except Exception:  # unresolvable forward references: fall back to the raw annotations
        return dict(getattr(fn, "__annotations__", {}))


def _unwrap_optional(hint: Any) -> "tuple[Any, bool]":
    origin = typing.get_origin(hint)
    if origin is typing.Union or type(hint).__name__ == "UnionType":
        args = [a for a in typing.get_args(hint) if a is not _NoneType]
        if len(args) == 1 and len(args) < len(typing.get_args(hint)):
            return args[0], True
    return hint, False


def _is_table_class(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, Table)


def read_parameters(
    fn: Callable[..., Any], what: str, context_base: type = StepContext, skip_self: bool = False
) -> Parameters:
    """Classifies `fn`'s parameters. `what` names the component for error messages.

    `skip_self` ignores the first parameter (a class's `__init__`).

    Raises TypeError when a parameter cannot be placed (two configs, an
    unknown extra parameter without a default, *args-only functions).
    """
    hints = _hints(fn)
    result = Parameters(context_class=context_base)
    parameters = list(inspect.signature(fn).parameters.items())
    for name, param in parameters[1:] if skip_self else parameters:
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        hint = hints.get(name, param.annotation)
        bare, optional = _unwrap_optional(hint)
        if name == "ctx" or (isinstance(bare, type) and issubclass(bare, StepContext)):
            result.ctx = name
            if isinstance(bare, type) and issubclass(bare, StepContext):
                result.context_class = bare
        elif _is_table_class(bare) or (name in _INPUT_NAMES and result.input is None and not is_config_type(bare)):
            if result.input is not None:
                raise TypeError(f"{what}: parameters {result.input!r} and {name!r} both look like the input table")
            result.input = name
            result.input_class = bare if _is_table_class(bare) else Table
            result.input_optional = optional or param.default is None
        elif result.config is None and (is_config_type(bare) or _is_free_form(bare)):
            result.config = name
            result.config_type = bare
        elif result.config is None and name == "config" and bare is inspect.Parameter.empty:
            result.config = name
            result.config_type = dict  # an unannotated config takes any JSON object
        elif param.default is not inspect.Parameter.empty:
            continue  # an extra parameter with a default: leave it to its default
        else:
            shown = "unannotated" if bare is inspect.Parameter.empty else f"annotated {bare!r}"
            raise TypeError(
                f"{what}: cannot tell what to pass as parameter {name!r} ({shown}); declare a config "
                "(a StepConfig subclass, TypedDict or dataclass), an input Table and/or `ctx`"
            )
        if param.kind is inspect.Parameter.POSITIONAL_ONLY:
            raise TypeError(f"{what}: parameter {name!r} is positional-only; the SDK passes arguments by name")
    return result


def _is_free_form(hint: Any) -> bool:
    return hint is dict or typing.get_origin(hint) is dict


def build_arguments(params: Parameters, config: Any, table: Optional[Table], ctx: StepContext) -> Dict[str, Any]:
    """The keyword arguments for one call, following `params`."""
    kwargs: Dict[str, Any] = {}
    if params.config is not None:
        kwargs[params.config] = config
    if params.input is not None:
        kwargs[params.input] = table
    if params.ctx is not None:
        kwargs[params.ctx] = ctx
    return kwargs
