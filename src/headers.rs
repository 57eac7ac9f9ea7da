//! Request headers as frontproxy sees them, their validation, and header clearing.
//!
//! Headers arrive either as an `http::HeaderMap` (already valid HTTP) or as a plain list of
//! `(name, value)` byte pairs, e.g. from a C host. Pairs are hostile input: they are checked
//! against the bounds in [`Limits`] and against HTTP's grammar (a token name, a value without
//! control characters), because Go's HTTP server would refuse such a request before any
//! authenticator ran, and frontproxy must never accept what Kubernetes rejects.

use std::borrow::Cow;

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
        ClearSpec { names, prefixes }
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
        self.names.iter().any(|n| name.eq_ignore_ascii_case(n))
            || self
                .prefixes
                .iter()
                .any(|p| name.len() >= p.len() && name[..p.len()].eq_ignore_ascii_case(p))
    }

    /// The names of this request's headers that must be removed, each once, spelled as the
    /// first line that carried it.
    pub fn present_in(&self, headers: &RequestHeaders<'_>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (name, _) in headers.pairs() {
            if self.matches(name) && !out.iter().any(|o| o.as_bytes().eq_ignore_ascii_case(name)) {
                // Names were validated as HTTP tokens (ASCII), so this never replaces anything.
                out.push(String::from_utf8_lossy(name).into_owned());
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
