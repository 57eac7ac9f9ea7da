//! Request headers as frontproxy sees them, their validation, and header clearing.
//!
//! Headers arrive either as an `http::HeaderMap` (already valid HTTP) or as a plain list of
//! `(name, value)` byte pairs, e.g. from a C host. Pairs are hostile input: they are checked
//! against the bounds in [`Limits`] and against HTTP's grammar (a token name, a value without
//! control characters), because Go's HTTP server would refuse such a request before any
//! authenticator ran, and frontproxy must never accept what Kubernetes rejects.

use std::borrow::Cow;
use std::fmt;

use http::HeaderMap;

use crate::config::{
    HeaderName, Limits, RequestHeaderConfig, STANDARD_EXTRA_PREFIX, STANDARD_GROUP_HEADER,
    STANDARD_UID_HEADER, STANDARD_USERNAME_HEADER,
};
use crate::reason::{AuthError, Reason};

/// One header line: name and value bytes, in arrival order.
pub type HeaderPair<'a> = (&'a [u8], &'a [u8]);

/// The headers of one request, in arrival order. A name repeated on several lines gives
/// several values, in order (Go merges case variants of a name the same way).
#[derive(Clone, Debug)]
pub struct RequestHeaders<'a> {
    pairs: Cow<'a, [HeaderPair<'a>]>,
    /// `true` when the source already guarantees HTTP validity (a `HeaderMap`).
    trusted_syntax: bool,
}

impl<'a> RequestHeaders<'a> {
    /// Headers as raw byte pairs (for example from the C ABI). Validated before use.
    pub fn from_pairs(pairs: &'a [HeaderPair<'a>]) -> Self {
        RequestHeaders {
            pairs: Cow::Borrowed(pairs),
            trusted_syntax: false,
        }
    }

    /// Headers from an `http::HeaderMap`, whose names and values are valid HTTP already.
    pub fn from_header_map(map: &'a HeaderMap) -> Self {
        let pairs: Vec<HeaderPair<'a>> = map
            .iter()
            .map(|(n, v)| (n.as_str().as_bytes(), v.as_bytes()))
            .collect();
        RequestHeaders {
            pairs: Cow::Owned(pairs),
            trusted_syntax: true,
        }
    }

    pub fn pairs(&self) -> &[HeaderPair<'a>] {
        &self.pairs
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Checks the bounds and, for raw pairs, the HTTP grammar of every header.
    pub fn validate(&self, limits: &Limits) -> Result<(), AuthError> {
        if self.pairs.len() > limits.max_header_count {
            return Err(AuthError::new(
                Reason::HeadersTooLarge,
                format!(
                    "the request has {} header lines; at most {} are accepted",
                    self.pairs.len(),
                    limits.max_header_count
                ),
            ));
        }
        let mut total = 0usize;
        for (i, (name, value)) in self.pairs.iter().enumerate() {
            total = total.saturating_add(name.len()).saturating_add(value.len());
            if total > limits.max_header_bytes {
                return Err(AuthError::new(
                    Reason::HeadersTooLarge,
                    format!(
                        "the request headers exceed {} bytes",
                        limits.max_header_bytes
                    ),
                ));
            }
            if self.trusted_syntax {
                continue;
            }
            if !is_token(name) {
                return Err(AuthError::new(
                    Reason::InvalidHeader,
                    format!(
                        "header #{} has an invalid name {:?} (an HTTP token is required)",
                        i + 1,
                        String::from_utf8_lossy(name)
                    ),
                ));
            }
            // A branch-free scan first (it vectorizes); find the byte only for the message.
            if value
                .iter()
                .fold(false, |bad, &b| bad | is_forbidden_value_byte(b))
            {
                let pos = value
                    .iter()
                    .position(|&b| is_forbidden_value_byte(b))
                    .unwrap_or(0);
                return Err(AuthError::new(
                    Reason::InvalidHeader,
                    format!(
                        "header {:?} has a control character (0x{:02x}) in its value",
                        String::from_utf8_lossy(name),
                        value[pos]
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The trimmed values of every header called `lower_name` (compared ASCII
    /// case-insensitively), in arrival order.
    pub(crate) fn values<'s>(
        &'s self,
        lower_name: &'s [u8],
    ) -> impl Iterator<Item = &'a [u8]> + 's {
        self.pairs
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(lower_name))
            .map(|(_, v)| trim_ows(v))
    }
}

/// RFC 7230 `tchar`, as a table (this runs over every header name of every request).
const TCHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        b += 1;
    }
    t
};

/// Whether `s` is a non-empty RFC 7230 token (a valid header name).
pub fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| TCHAR[b as usize])
}

/// Bytes Go's HTTP server refuses in a field value: controls other than HTAB, and DEL.
fn is_forbidden_value_byte(b: u8) -> bool {
    (b < 0x20) & (b != b'\t') | (b == 0x7f)
}

/// Strips leading and trailing SP/HTAB, as Go's header parser does (spec §1.2 rule 5).
pub(crate) fn trim_ows(v: &[u8]) -> &[u8] {
    let start = v
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(start, |e| e + 1);
    &v[start..end]
}

/// Which header names and prefixes must be removed from a request after a successful
/// authentication: `Authorization`, the standard `X-Remote-*` set, and the configured
/// names and prefixes (spec §1.6 rule 15, §1.9 rule 32).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClearSpec {
    names: Vec<Vec<u8>>,
    prefixes: Vec<Vec<u8>>,
    /// Lowercase first bytes of every name and prefix (all bytes when a prefix is empty): most
    /// headers of a request are ruled out by one table lookup.
    first_bytes: [bool; 256],
}

impl ClearSpec {
    pub(crate) fn for_config(rh: Option<&RequestHeaderConfig>) -> ClearSpec {
        let mut names: Vec<Vec<u8>> = [
            "authorization",
            STANDARD_USERNAME_HEADER,
            STANDARD_UID_HEADER,
            STANDARD_GROUP_HEADER,
        ]
        .iter()
        .map(|n| n.as_bytes().to_ascii_lowercase())
        .collect();
        let mut prefixes = vec![STANDARD_EXTRA_PREFIX.as_bytes().to_ascii_lowercase()];
        if let Some(rh) = rh {
            let configured = |list: &[HeaderName]| -> Vec<Vec<u8>> {
                list.iter()
                    .filter_map(|h| h.lower().map(<[u8]>::to_vec))
                    .collect()
            };
            for n in configured(&rh.username_headers)
                .into_iter()
                .chain(configured(&rh.uid_headers))
                .chain(configured(&rh.group_headers))
            {
                if !names.contains(&n) {
                    names.push(n);
                }
            }
            for p in configured(&rh.extra_prefixes) {
                if !prefixes.contains(&p) {
                    prefixes.push(p);
                }
            }
        }
        let mut first_bytes = [false; 256];
        for n in names.iter().chain(prefixes.iter()) {
            match n.first() {
                Some(&b) => {
                    first_bytes[b.to_ascii_lowercase() as usize] = true;
                    first_bytes[b.to_ascii_uppercase() as usize] = true;
                }
                None => first_bytes = [true; 256],
            }
        }
        ClearSpec {
            names,
            prefixes,
            first_bytes,
        }
    }

    /// Exact names (lowercase) to remove.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names
            .iter()
            .map(|n| std::str::from_utf8(n).unwrap_or_default())
    }

    /// Name prefixes (lowercase) to remove.
    pub fn prefixes(&self) -> impl Iterator<Item = &str> {
        self.prefixes
            .iter()
            .map(|n| std::str::from_utf8(n).unwrap_or_default())
    }

    /// Whether a header of this name must be removed.
    pub fn matches(&self, name: &[u8]) -> bool {
        if !name.first().is_none_or(|&b| self.first_bytes[b as usize]) {
            return false;
        }
        self.names.iter().any(|n| name.eq_ignore_ascii_case(n))
            || self
                .prefixes
                .iter()
                .any(|p| name.len() >= p.len() && name[..p.len()].eq_ignore_ascii_case(p))
    }

    /// The names of this request's headers that must be removed, each once, spelled as the
    /// first line that carried it.
    pub fn present_in(&self, headers: &RequestHeaders<'_>) -> HeaderNames {
        let mut out = HeaderNames::default();
        for (name, _) in headers.pairs() {
            if self.matches(name) && !out.contains_ignore_ascii_case(name) {
                // Names were validated as HTTP tokens (ASCII): the lossy path never replaces.
                match std::str::from_utf8(name) {
                    Ok(s) => out.push(s),
                    Err(_) => out.push(&String::from_utf8_lossy(name)),
                }
            }
        }
        out
    }

    /// Removes every matching header from `map` (all values).
    pub fn remove_from(&self, map: &mut HeaderMap) {
        let doomed: Vec<http::HeaderName> = map
            .keys()
            .filter(|k| self.matches(k.as_str().as_bytes()))
            .cloned()
            .collect();
        for k in doomed {
            map.remove(&k);
        }
    }
}

/// Header names as received, kept in one buffer (one allocation for the text, one for the
/// boundaries): every authenticated request produces such a list, so it should be cheap.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct HeaderNames {
    text: String,
    ends: Vec<u32>,
}

impl HeaderNames {
    fn push(&mut self, name: &str) {
        if self.ends.is_empty() {
            self.text.reserve(256);
            self.ends.reserve(8);
        }
        self.text.push_str(name);
        self.ends.push(self.text.len() as u32);
    }

    fn contains_ignore_ascii_case(&self, name: &[u8]) -> bool {
        let text = self.text.as_bytes();
        let mut start = 0;
        self.ends.iter().any(|&end| {
            let seen = &text[start..end as usize];
            start = end as usize;
            seen.eq_ignore_ascii_case(name)
        })
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The `i`-th name.
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        self.text.get(start..end)
    }

    pub fn iter(&self) -> HeaderNamesIter<'_> {
        HeaderNamesIter {
            names: self,
            next: 0,
        }
    }

    /// Whether `name` is in the list (exact comparison).
    pub fn contains(&self, name: &str) -> bool {
        self.iter().any(|n| n == name)
    }

    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_owned).collect()
    }
}

/// Iterator over [`HeaderNames`].
pub struct HeaderNamesIter<'a> {
    names: &'a HeaderNames,
    next: usize,
}

impl<'a> Iterator for HeaderNamesIter<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        let name = self.names.get(self.next)?;
        self.next += 1;
        Some(name)
    }
}

impl<'a> IntoIterator for &'a HeaderNames {
    type Item = &'a str;
    type IntoIter = HeaderNamesIter<'a>;
    fn into_iter(self) -> HeaderNamesIter<'a> {
        self.iter()
    }
}

impl fmt::Debug for HeaderNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl serde::Serialize for HeaderNames {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<S: AsRef<str>> PartialEq<[S]> for HeaderNames {
    fn eq(&self, other: &[S]) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a == b.as_ref())
    }
}

impl<S: AsRef<str>, const N: usize> PartialEq<[S; N]> for HeaderNames {
    fn eq(&self, other: &[S; N]) -> bool {
        *self == other[..]
    }
}

impl<S: AsRef<str>> PartialEq<Vec<S>> for HeaderNames {
    fn eq(&self, other: &Vec<S>) -> bool {
        *self == other[..]
    }
}
