//! The request headers a host hands in, and their validation.
//!
//! Headers arrive either as an `http::HeaderMap` (already valid HTTP) or as a plain list of
//! `(name, value)` byte pairs, e.g. from a C host. Pairs are hostile input: they are checked
//! against the bounds in [`Limits`] and against HTTP's grammar (a token name, a value without
//! control characters), because Go's HTTP server would refuse such a request before any
//! authenticator ran, and frontproxy must never accept what Kubernetes rejects.

use std::borrow::Cow;

use http::HeaderMap;

use crate::error::{AuthError, Reason};
use crate::http_syntax::{has_forbidden_value_byte, is_forbidden_value_byte, is_token};
use crate::limits::Limits;

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

    /// The header lines, in arrival order.
    pub fn pairs(&self) -> &[HeaderPair<'a>] {
        &self.pairs
    }

    /// How many header lines.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether there is no header line.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Checks the bounds and, for raw pairs, the HTTP grammar of every header.
    pub fn validate(&self, limits: &Limits) -> Result<(), AuthError> {
        let pairs = &*self.pairs;
        limits.check_headers(pairs.len(), |i| (pairs[i].0.len(), pairs[i].1.len()))?;
        if !self.trusted_syntax {
            for (line, (name, value)) in pairs.iter().enumerate() {
                check_line(line, name, 0, value)?;
            }
        }
        Ok(())
    }

    /// Whether the source already guarantees HTTP validity (an `http::HeaderMap`).
    pub(crate) fn syntax_is_trusted(&self) -> bool {
        self.trusted_syntax
    }
}

/// HTTP's grammar for raw line number `line` (0-based): a token name and a value without
/// control characters, as Go's server requires before any authenticator runs. The first
/// `known_token` bytes of `name` are known to be token bytes already.
#[inline]
pub(crate) fn check_line(
    line: usize,
    name: &[u8],
    known_token: usize,
    value: &[u8],
) -> Result<(), AuthError> {
    let rest = name.get(known_token..).unwrap_or_default();
    if name.is_empty() || !(rest.is_empty() || is_token(rest)) {
        return Err(AuthError::new(
            Reason::InvalidHeader,
            format!(
                "header #{} has an invalid name {:?} (an HTTP token is required)",
                line + 1,
                String::from_utf8_lossy(name)
            ),
        ));
    }
    if has_forbidden_value_byte(value) {
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
    Ok(())
}
