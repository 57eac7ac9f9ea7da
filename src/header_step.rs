//! The header step: the per-request work once the peer's verdicts are known (spec §1.2–§1.6,
//! §1.9 rule 32). One pass over the request's header lines validates them (for raw pairs),
//! finds the lines every configured name refers to, and collects the names to clear; the user
//! is then read from those lines, only when the proxy chain vouched for them.
//!
//! Nothing is copied: names, UIDs, groups and values are slices of the caller's headers, and an
//! extra key is copied only when it must change (uppercase letters to lowercase, or a
//! percent-escape to decode). A value that is used for the identity must be UTF-8, otherwise
//! the request is rejected with `invalid_header` (Go would carry the raw bytes; frontproxy
//! refuses to guess — a deliberate, documented stricter rule).

use smallvec::SmallVec;

use crate::config::RequestHeaderOptions;
use crate::error::{AuthError, Reason};
use crate::header_roles::{HeaderRoles, NameRole};
use crate::headers::{check_line, RequestHeaders};
use crate::http_syntax::trim_ows;
use crate::limits::Limits;
use crate::user::{Span, UserRef};

/// Inline capacities: a typical request fits without allocating.
type Lines<'r> = SmallVec<[&'r [u8]; 8]>;

/// An extra line: prefix position, the name's remainder after the prefix, the trimmed value.
type ExtraLine<'r> = (u16, &'r [u8], &'r [u8]);

/// What one pass over a request's header lines found.
pub(crate) struct Scan<'r> {
    /// Names to remove, each once, as first received.
    pub(crate) clear: Lines<'r>,
    /// The first line of each username / UID name (by configured position), trimmed.
    username_first: SmallVec<[Option<&'r [u8]>; 2]>,
    uid_first: SmallVec<[Option<&'r [u8]>; 2]>,
    /// Non-empty group values with the position of their name.
    groups: SmallVec<[(u16, &'r [u8]); 4]>,
    /// Extra lines: prefix position, the name's remainder after the prefix, the trimmed value.
    extra: SmallVec<[ExtraLine<'r>; 4]>,
}

/// The one pass: bounds, HTTP grammar (unless the headers come from an `http::HeaderMap`),
/// the lines of every configured name, and the names to clear.
pub(crate) fn scan<'r>(
    roles: &HeaderRoles,
    headers: &RequestHeaders<'r>,
    limits: &Limits,
) -> Result<Scan<'r>, AuthError> {
    let pairs = headers.pairs();
    limits.check_headers(pairs.len(), |i| (pairs[i].0.len(), pairs[i].1.len()))?;
    let check_syntax = !headers.syntax_is_trusted();
    let mut scan = Scan {
        clear: SmallVec::new(),
        username_first: SmallVec::from_elem(None, roles.username_count),
        uid_first: SmallVec::from_elem(None, roles.uid_count),
        groups: SmallVec::new(),
        extra: SmallVec::new(),
    };
    // Which exact names already put their header on the clear list (bit i: exact[i]).
    let mut cleared_exact: u64 = 0;
    for (line, &(name, value)) in pairs.iter().enumerate() {
        // The leading bytes of `name` a configured name matched: those are token bytes already
        // (configured names that are not tokens never match), so the syntax check skips them.
        let mut known_token = 0;
        let interesting = name.first().is_some_and(|&b| roles.first_bytes[b as usize]);
        if interesting {
            known_token = classify(roles, &mut scan, &mut cleared_exact, name, value);
        }
        if check_syntax {
            check_line(line, name, known_token, value)?;
        }
    }
    Ok(scan)
}

/// Records what a line with an interesting first byte is for; returns how many leading bytes
/// of its name a configured name matched.
fn classify<'r>(
    roles: &HeaderRoles,
    scan: &mut Scan<'r>,
    cleared_exact: &mut u64,
    name: &'r [u8],
    value: &'r [u8],
) -> usize {
    let mut known_token = 0;
    let mut clear = false;
    let mut matched_exact = None;
    let same_length = match (
        roles.by_len.get(name.len()),
        roles.by_len.get(name.len() + 1),
    ) {
        (Some(&from), Some(&to)) => from..to,
        _ => 0..0,
    };
    for i in same_length {
        let (pattern, role) = &roles.exact[i];
        if !pattern.matches(name) {
            continue;
        }
        clear = true;
        matched_exact = Some(i);
        known_token = name.len();
        let first = |slot: &mut Option<&'r [u8]>| {
            slot.get_or_insert_with(|| trim_ows(value));
        };
        match *role {
            NameRole::Username(k) => first(&mut scan.username_first[k as usize]),
            NameRole::Uid(k) => first(&mut scan.uid_first[k as usize]),
            NameRole::Group(k) => {
                let v = trim_ows(value);
                if !v.is_empty() {
                    scan.groups.push((k, v));
                }
            }
            NameRole::ClearOnly => {}
        }
    }
    for (pattern, position) in &roles.prefixes {
        if pattern.is_prefix_of(name) {
            clear = true;
            known_token = known_token.max(pattern.len());
            if let Some(k) = *position {
                scan.extra
                    .push((k, &name[pattern.len()..], trim_ows(value)));
            }
        }
    }
    if clear {
        // A name equals an earlier one exactly when both match the same exact name, or,
        // for prefix-only names, when they are equal ignoring ASCII case.
        let seen = match matched_exact {
            Some(i) if i < 64 => {
                let bit = 1u64 << i;
                let seen = *cleared_exact & bit != 0;
                *cleared_exact |= bit;
                seen
            }
            _ => scan
                .clear
                .iter()
                .any(|c| c.len() == name.len() && c.eq_ignore_ascii_case(name)),
        };
        if !seen {
            scan.clear.push(name);
        }
    }
    known_token
}

impl<'r> Scan<'r> {
    /// The user from the lines found. `Ok(None)` is Go's NO-OPINION: no username header had a
    /// non-empty first value.
    pub(crate) fn identity(
        &self,
        lists: &RequestHeaderOptions,
    ) -> Result<Option<UserRef<'r>>, AuthError> {
        // Username/UID (spec §1.2 rule 4): for each configured name in order, only the first
        // value of that header counts; an empty first value moves on to the next name.
        let first_non_empty = |firsts: &[Option<&'r [u8]>], names: &[String]| {
            firsts
                .iter()
                .zip(names)
                .find_map(|(v, n)| v.filter(|v| !v.is_empty()).map(|v| utf8(v, n)))
                .transpose()
        };
        let Some(name) = first_non_empty(&self.username_first, &lists.username_headers)? else {
            return Ok(None);
        };
        let mut user = UserRef::empty();
        user.name = name;
        if let Some(uid) = first_non_empty(&self.uid_first, &lists.uid_headers)? {
            user.uid = uid;
        }
        // Groups (spec §1.4): values of the configured names in configured order, each in
        // arrival order (one pass saw them interleaved: a stable sort by position restores it).
        let mut sorted;
        let mut groups = &self.groups[..];
        if lists.group_headers.len() > 1 {
            sorted = self.groups.clone();
            sorted.sort_by_key(|&(k, _)| k);
            groups = &sorted[..];
        }
        for &(k, v) in groups {
            user.groups.push(utf8(v, &lists.group_headers[k as usize])?);
        }
        // Extra (spec §1.5): for each prefix in order, every header whose name starts with it,
        // under the decoded, lowercased remainder; a key's values in that order.
        let mut sorted;
        let mut extra = &self.extra[..];
        if lists.extra_headers_prefix.len() > 1 {
            sorted = self.extra.clone();
            sorted.sort_by_key(|&(k, _, _)| k);
            extra = &sorted[..];
        }
        for &(k, rest, value) in extra {
            let header = || {
                format!(
                    "{}{}",
                    lists.extra_headers_prefix[k as usize],
                    String::from_utf8_lossy(rest)
                )
            };
            let key = extra_key(&mut user, rest).ok_or_else(|| {
                AuthError::new(
                    Reason::InvalidHeader,
                    format!(
                        "header {:?} percent-decodes to an extra key that is not UTF-8",
                        header()
                    ),
                )
            })?;
            let value = utf8_or(value, header)?;
            user.extra.push((key, value));
        }
        user.sort_extra();
        Ok(Some(user))
    }
}

/// The extra key for a header-name remainder (spec §1.5 rule 12): the remainder itself when
/// it is already what the derivation gives, else lowercased and percent-decoded into the
/// user's own buffer. `None` when it decodes to bytes that are not UTF-8.
fn extra_key<'r>(user: &mut UserRef<'r>, raw: &'r [u8]) -> Option<Span<'r>> {
    if !raw.iter().any(|&b| b == b'%' || b.is_ascii_uppercase()) {
        return is_utf8(raw).then_some(Span::Borrowed(raw));
    }
    let key = user.own_with(raw, |key| {
        key.make_ascii_lowercase();
        decode_in_place(key).unwrap_or_else(|| {
            // A malformed escape: the whole key stays undecoded, only lowercased.
            key.copy_from_slice(raw);
            key.make_ascii_lowercase();
            key.len()
        })
    });
    is_utf8(user.bytes(&key)).then_some(key)
}

/// Decodes the `%XX` escapes of `key` once, in place; the decoded length, or `None` (with
/// `key` partly overwritten) at the first malformed escape. Bytes before the first `%` are
/// not touched.
fn decode_in_place(key: &mut [u8]) -> Option<usize> {
    let n = key.len();
    let Some(first) = key.iter().position(|&b| b == b'%') else {
        return Some(n);
    };
    let (mut read, mut write) = (first, first);
    while read < n {
        let b = key[read];
        if b == b'%' {
            if read + 2 >= n {
                return None;
            }
            let (high, low) = (HEX[key[read + 1] as usize], HEX[key[read + 2] as usize]);
            if high == 0xff || low == 0xff {
                return None;
            }
            key[write] = high << 4 | low;
            read += 3;
        } else {
            key[write] = b;
            read += 1;
        }
        write += 1;
    }
    Some(write)
}

/// Extra key derivation (spec §1.5 rule 12): ASCII-lowercase, then percent-decode once with
/// URL path-segment rules. `+` stays `+`. If any escape is malformed, the whole key stays
/// lowercased and undecoded.
pub fn decode_extra_key(raw: &[u8]) -> Vec<u8> {
    let mut key = raw.to_ascii_lowercase();
    match decode_in_place(&mut key) {
        Some(len) => key.truncate(len),
        None => key = raw.to_ascii_lowercase(),
    }
    key
}

/// The value of a hex digit, or 0xff.
const HEX: [u8; 256] = {
    let mut t = [0xff; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = match b as u8 {
            c @ b'0'..=b'9' => c - b'0',
            c @ b'a'..=b'f' => c - b'a' + 10,
            c @ b'A'..=b'F' => c - b'A' + 10,
            _ => 0xff,
        };
        b += 1;
    }
    t
};

/// Whether `bytes` is UTF-8; ASCII (the usual case) is checked a word at a time.
#[inline]
fn is_utf8(bytes: &[u8]) -> bool {
    bytes.is_ascii() || std::str::from_utf8(bytes).is_ok()
}

#[inline]
fn utf8<'r>(value: &'r [u8], header: &str) -> Result<Span<'r>, AuthError> {
    utf8_or(value, || header.to_owned())
}

/// [`utf8`], naming the header only when it must (for a message).
#[inline(always)]
fn utf8_or<'r>(value: &'r [u8], header: impl FnOnce() -> String) -> Result<Span<'r>, AuthError> {
    if is_utf8(value) {
        Ok(Span::Borrowed(value))
    } else {
        Err(AuthError::new(
            Reason::InvalidHeader,
            format!("the value of header {:?} is not valid UTF-8", header()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_keys_are_borrowed_unless_they_change() {
        let mut user = UserRef::empty();
        let mut key = |raw: &'static [u8]| {
            extra_key(&mut user, raw).map(|span| (span, user.bytes(&span).to_vec()))
        };
        assert!(matches!(
            key(b"scopes"),
            Some((Span::Borrowed(b"scopes"), _))
        ));
        for (raw, want) in [
            (&b"Scopes"[..], &b"scopes"[..]),
            (b"a%2Fb", b"a/b"),
            (b"A%2fB%41", b"a/bA"),
            (b"a%zz", b"a%zz"),
            (b"a%2", b"a%2"),
            (b"%41%42x%43", b"ABxC"),
        ] {
            let (span, bytes) = key(raw).expect("UTF-8");
            assert!(matches!(span, Span::Own { .. }), "{raw:?}");
            assert_eq!(bytes, want, "{raw:?}");
        }
        assert_eq!(key(b"%ff"), None);
        assert_eq!(decode_extra_key(b"%2520+X"), b"%20+x");
        assert_eq!(decode_extra_key(b"%"), b"%");
        assert_eq!(decode_extra_key(b"%c3%a9"), "é".as_bytes());
    }
}
