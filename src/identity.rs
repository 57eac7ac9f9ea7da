//! Identity extraction from the `X-Remote-*` headers (spec §1.2–§1.5): the per-request work
//! of the request-header authenticator, once its proxy chain verified.
//!
//! The result borrows: names, UIDs, groups and values are slices of the caller's headers;
//! an extra key is copied only when it must change (uppercase letters to lowercase, or a
//! percent-escape to decode). A value that is used for the identity must be UTF-8, otherwise
//! the request is rejected with `invalid_header` (Go would carry the raw bytes; frontproxy
//! refuses to guess — a deliberate, documented stricter rule).

use std::borrow::Cow;

use crate::config::{HeaderName, RequestHeaderConfig};
use crate::error::{AuthError, Reason};
use crate::headers::RequestHeaders;
use crate::http_syntax::{has_prefix_ignore_case, trim_ows};
use crate::user::UserRef;

/// Reads the user from the headers. `Ok(None)` is Go's NO-OPINION: no username header had a
/// non-empty first value.
pub(crate) fn extract_identity<'r>(
    config: &RequestHeaderConfig,
    headers: &RequestHeaders<'r>,
) -> Result<Option<UserRef<'r>>, AuthError> {
    let Some(name) = first_non_empty(&config.username_headers, headers)? else {
        return Ok(None);
    };
    let uid = first_non_empty(&config.uid_headers, headers)?.unwrap_or(Cow::Borrowed(""));
    let mut user = UserRef {
        name,
        uid,
        groups: Default::default(),
        extra: Default::default(),
    };
    // Groups (spec §1.4): every non-empty value of every group header, in configured order.
    for header in &config.group_headers {
        let Some(lower) = header.lower() else {
            continue;
        };
        for value in headers.values(lower) {
            if !value.is_empty() {
                user.groups.push(utf8(value, header.as_str())?);
            }
        }
    }
    // Extra (spec §1.5): for each prefix in order, every header whose name starts with it
    // contributes all its values (empty ones included) under the decoded, lowercased remainder.
    for prefix in &config.extra_prefixes {
        let Some(lower) = prefix.lower() else {
            continue;
        };
        for &(name, value) in headers.pairs() {
            if !has_prefix_ignore_case(name, lower) {
                continue;
            }
            let key = extra_key(&name[lower.len()..]).ok_or_else(|| {
                AuthError::new(
                    Reason::InvalidHeader,
                    format!(
                        "header {:?} percent-decodes to an extra key that is not UTF-8",
                        String::from_utf8_lossy(name)
                    ),
                )
            })?;
            let value = match std::str::from_utf8(trim_ows(value)) {
                Ok(v) => Cow::Borrowed(v),
                Err(_) => return Err(not_utf8(&String::from_utf8_lossy(name))),
            };
            user.extra.push((key, value));
        }
    }
    user.sort_extra();
    Ok(Some(user))
}

/// Username/UID rule (spec §1.2 rule 4): for each configured name in order, only the first
/// value of that header counts; an empty first value moves on to the next name.
fn first_non_empty<'r>(
    names: &[HeaderName],
    headers: &RequestHeaders<'r>,
) -> Result<Option<Cow<'r, str>>, AuthError> {
    for header in names {
        let Some(lower) = header.lower() else {
            continue;
        };
        if let Some(first) = headers.values(lower).next() {
            if !first.is_empty() {
                return utf8(first, header.as_str()).map(Some);
            }
        }
    }
    Ok(None)
}

/// The extra key for a header-name remainder, borrowed when it is already what the key
/// derivation would give; `None` when it decodes to bytes that are not UTF-8.
fn extra_key(raw: &[u8]) -> Option<Cow<'_, str>> {
    if !raw.iter().any(|&b| b == b'%' || b.is_ascii_uppercase()) {
        return std::str::from_utf8(raw).ok().map(Cow::Borrowed);
    }
    String::from_utf8(decode_extra_key(raw))
        .ok()
        .map(Cow::Owned)
}

/// Extra key derivation (spec §1.5 rule 12): ASCII-lowercase, then percent-decode once with
/// URL path-segment rules. `+` stays `+`. If any escape is malformed, the whole key stays
/// lowercased and undecoded.
pub fn decode_extra_key(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%' {
            match (raw.get(i + 1).and_then(hex), raw.get(i + 2).and_then(hex)) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                }
                _ => {
                    // All or nothing: one malformed escape keeps the whole key undecoded.
                    out.clear();
                    out.extend(raw.iter().map(u8::to_ascii_lowercase));
                    return out;
                }
            }
        } else {
            out.push(raw[i].to_ascii_lowercase());
            i += 1;
        }
    }
    out
}

fn hex(b: &u8) -> Option<u8> {
    (*b as char).to_digit(16).map(|d| d as u8)
}

fn utf8<'r>(value: &'r [u8], header: &str) -> Result<Cow<'r, str>, AuthError> {
    std::str::from_utf8(value)
        .map(Cow::Borrowed)
        .map_err(|_| not_utf8(header))
}

fn not_utf8(header: &str) -> AuthError {
    AuthError::new(
        Reason::InvalidHeader,
        format!("the value of header {header:?} is not valid UTF-8"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_keys_are_borrowed_unless_they_change() {
        assert!(matches!(
            extra_key(b"scopes"),
            Some(Cow::Borrowed("scopes"))
        ));
        assert_eq!(extra_key(b"Scopes").as_deref(), Some("scopes"));
        assert_eq!(extra_key(b"a%2Fb").as_deref(), Some("a/b"));
        assert_eq!(extra_key(b"a%zz").as_deref(), Some("a%zz"));
        assert_eq!(extra_key(b"%ff"), None);
    }
}
