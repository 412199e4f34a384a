"""Unit: typed errors carry the stable proto code names."""

import pytest

from heddle.core import errors
from heddle.core.errors import ALLOWED_ERROR_CODES, DATA_PLANE_ERROR_CODES, PLUGIN_ERROR_CODES, HeddleError, InvalidConfigError
from heddle.plugin.v1 import errors_pb2


def test_codes_are_the_plugin_half_of_the_proto_table():
    proto = [name.removeprefix("ERROR_CODE_") for name, number in errors_pb2.ErrorCode.items() if 1 <= number <= 99]
    assert sorted(PLUGIN_ERROR_CODES) == sorted(proto)


def test_data_plane_codes_exist_in_the_proto_table():
    names = {name.removeprefix("ERROR_CODE_") for name, _ in errors_pb2.ErrorCode.items()}
    assert set(DATA_PLANE_ERROR_CODES) <= names
    assert errors.SegmentInvalidError("x").code == "SEGMENT_INVALID"


def test_every_code_has_a_typed_subclass():
    by_code = {cls.code: cls for cls in vars(errors).values()
               if isinstance(cls, type) and issubclass(cls, HeddleError) and not cls.__name__.startswith("_") and cls is not HeddleError}
    assert sorted(by_code) == sorted(ALLOWED_ERROR_CODES)
    for code, cls in by_code.items():
        error = cls("what went wrong")
        assert (error.code, error.message, str(error)) == (code, "what went wrong", f"{code}: what went wrong")
        assert isinstance(error, HeddleError)


def test_heddle_error_keeps_field_and_component():
    error = HeddleError("INVALID_CONFIG", "bad", field="/rows", component="generate")
    assert (error.field, error.component, error.stack) == ("/rows", "generate", None)
    assert InvalidConfigError("x", field="/a").field == "/a"


def test_unknown_code_is_refused_where_it_is_written():
    with pytest.raises(ValueError, match="INVALID_INPUT"):
        HeddleError("NOT_A_CODE", "typo")
