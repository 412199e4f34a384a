//! Errors and strings across the C ABI: an error is JSON
//! `{code, message, component?, field?, stack?}` with the `ErrorCode` name
//! (no `ERROR_CODE_` prefix); strings are NUL-terminated, allocated here and
//! freed by `heddle_free_string`.

use std::ffi::{c_char, CStr, CString};

use serde_json::{json, Map, Value};

use crate::core::errors::{code_name, ErrorCode, HeddleError};

/// Moves `text` to the C side (interior NULs, impossible in JSON output,
/// are dropped rather than failing).
pub(crate) fn to_c_string(text: String) -> *mut c_char {
    let text = CString::new(text).unwrap_or_else(|e| {
        let mut bytes = e.into_vec();
        bytes.retain(|&b| b != 0);
        CString::new(bytes).expect("NULs removed")
    });
    text.into_raw()
}

/// Writes `text` into `*out` when `out` is not null.
///
/// # Safety
/// `out` is null or valid for one pointer write.
pub(crate) unsafe fn put(out: *mut *mut c_char, text: String) {
    if !out.is_null() {
        *out = to_c_string(text);
    }
}

/// An error as the ABI's JSON; `default_code` applies to plain errors.
pub(crate) fn error_json(err: &HeddleError, default_code: ErrorCode, component: &str) -> String {
    let p = err.to_proto(default_code, component);
    let code = ErrorCode::try_from(p.code).unwrap_or(default_code);
    let mut obj = Map::new();
    obj.insert("code".into(), json!(code_name(code)));
    obj.insert("message".into(), json!(p.message));
    for (key, value) in [
        ("component", p.component),
        ("field", p.field),
        ("stack", p.stack),
    ] {
        if !value.is_empty() {
            obj.insert(key.into(), Value::String(value));
        }
    }
    Value::Object(obj).to_string()
}

/// Reads a required C string argument. Fails with `INVALID_INPUT` naming
/// `what` when it is null or not UTF-8.
///
/// # Safety
/// `ptr` is null or points at a NUL-terminated string.
pub(crate) unsafe fn arg<'a>(ptr: *const c_char, what: &str) -> Result<&'a str, HeddleError> {
    if ptr.is_null() {
        return Err(HeddleError::new(
            ErrorCode::InvalidInput,
            format!("{what} is null; pass a NUL-terminated UTF-8 string"),
        ));
    }
    CStr::from_ptr(ptr).to_str().map_err(|_| {
        HeddleError::new(
            ErrorCode::InvalidInput,
            format!("{what} is not valid UTF-8"),
        )
    })
}
