//! Identity extraction from the `X-Remote-*` headers (spec §1.2–§1.5).
//!
//! Only ever called after the proxy chain verified. Values are bytes on the wire; a value that
//! is used for the identity must be UTF-8, otherwise the request is rejected with
//! `invalid_header` (Go would carry the raw bytes; frontproxy refuses to guess — a deliberate,
//! documented stricter rule).

use std::collections::BTreeMap;

use crate::config::{HeaderName, RequestHeaderConfig};
use crate::headers::{trim_ows, RequestHeaders};
use crate::reason::{AuthError, Reason};
use crate::user::UserInfo;

/// Reads the user from the headers. `Ok(None)` is Go's NO-OPINION: no username header had a
/// non-empty first value.
pub fn extract_identity(
    config: &RequestHeaderConfig,
    headers: &RequestHeaders<'_>,
) -> Result<Option<UserInfo>, AuthError> {
    let Some(name) = first_non_empty(&config.username_headers, headers)? else {
        return Ok(None);
    };
    let uid = first_non_empty(&config.uid_headers, headers)?.unwrap_or_default();
    let mut groups = Vec::new();
    for header in &config.group_headers {
        let Some(lower) = header.lower() else {
            continue;
        };
        for value in headers.values(lower) {
            if !value.is_empty() {
                groups.push(utf8(value, header.as_str())?);
            }
        }
    }
    Ok(Some(UserInfo {
        name,
        uid,
        groups,
        extra: extract_extra(&config.extra_prefixes, headers)?,
    }))
}

/// Username/UID rule (spec §1.2 rule 4): for each configured name in order, only the first
/// value of that header counts; an empty first value moves on to the next name.
fn first_non_empty(
    names: &[HeaderName],
    headers: &RequestHeaders<'_>,
) -> Result<Option<String>, AuthError> {
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

/// Extra rule (spec §1.5): for each prefix in order, every header whose name starts with it
/// contributes all its values (empty ones included) under the decoded, lowercased remainder.
fn extract_extra(
    prefixes: &[HeaderName],
    headers: &RequestHeaders<'_>,
) -> Result<BTreeMap<String, Vec<String>>, AuthError> {
    let mut extra: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for prefix in prefixes {
        let Some(lower) = prefix.lower() else {
            continue;
        };
        for (name, value) in headers.pairs() {
            if name.len() < lower.len() || !name[..lower.len()].eq_ignore_ascii_case(lower) {
                continue;
            }
            let key_bytes = decode_extra_key(&name[lower.len()..]);
            let key = String::from_utf8(key_bytes).map_err(|_| {
                AuthError::new(
                    Reason::InvalidHeader,
                    format!(
                        "header {:?} percent-decodes to an extra key that is not UTF-8",
                        String::from_utf8_lossy(name)
                    ),
                )
            })?;
            let value = utf8(trim_ows(value), &String::from_utf8_lossy(name))?;
            extra.entry(key).or_default().push(value);
        }
    }
    Ok(extra)
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

fn utf8(value: &[u8], header: &str) -> Result<String, AuthError> {
    String::from_utf8(value.to_vec()).map_err(|_| {
        AuthError::new(
            Reason::InvalidHeader,
            format!("the value of header {header:?} is not valid UTF-8"),
        )
    })
}

/// For `--explain`: what the request-header authenticator does with each header line.
pub fn describe_header_use(
    config: &RequestHeaderConfig,
    headers: &RequestHeaders<'_>,
) -> Vec<String> {
    let role_of = |list: &[HeaderName], name: &[u8]| {
        list.iter()
            .position(|h| h.lower().is_some_and(|l| name.eq_ignore_ascii_case(l)))
    };
    let mut seen: Vec<Vec<u8>> = Vec::new();
    let mut lines = Vec::new();
    for (i, (name, value)) in headers.pairs().iter().enumerate() {
        let lower = name.to_ascii_lowercase();
        let first_line = !seen.contains(&lower);
        if first_line {
            seen.push(lower.clone());
        }
        let shown = format!(
            "#{} {}: {:?}",
            i + 1,
            String::from_utf8_lossy(name),
            String::from_utf8_lossy(trim_ows(value))
        );
        let mut uses = Vec::new();
        for (list, what) in [
            (&config.username_headers, "username"),
            (&config.uid_headers, "uid"),
        ] {
            if let Some(pos) = role_of(list, name) {
                uses.push(if !first_line {
                    format!("{what} header #{}: ignored, only the first value counts", pos + 1)
                } else if trim_ows(value).is_empty() {
                    format!("{what} header #{}: empty first value, skipped", pos + 1)
                } else {
                    format!("{what} header #{}: candidate (the first configured name with a non-empty first value wins)", pos + 1)
                });
            }
        }
        if role_of(&config.group_headers, name).is_some() {
            uses.push(if trim_ows(value).is_empty() {
                "group: empty value dropped".into()
            } else {
                "group".to_string()
            });
        }
        for prefix in &config.extra_prefixes {
            if let Some(l) = prefix.lower() {
                if name.len() >= l.len() && name[..l.len()].eq_ignore_ascii_case(l) {
                    uses.push(format!(
                        "extra (prefix {:?}) key {:?}",
                        prefix.as_str(),
                        String::from_utf8_lossy(&decode_extra_key(&name[l.len()..]))
                    ));
                }
            }
        }
        if uses.is_empty() {
            uses.push("not an identity header".into());
        }
        lines.push(format!("{shown} -> {}", uses.join("; ")));
    }
    if lines.is_empty() {
        lines.push("(no headers)".into());
    }
    lines
}
