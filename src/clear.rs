//! Which request headers must never reach the backend: after a successful (or anonymous)
//! authentication Kubernetes removes `Authorization`, the standard `X-Remote-*` set, and the
//! configured request-header names and prefixes (spec §1.6 rule 15, §1.9 rule 32).

use http::HeaderMap;

use crate::config::{
    STANDARD_EXTRA_PREFIX, STANDARD_GROUP_HEADER, STANDARD_UID_HEADER, STANDARD_USERNAME_HEADER,
};
use crate::http_syntax::has_prefix_ignore_case;

/// The header names and prefixes to remove, lowercase.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClearSpec {
    names: Vec<Vec<u8>>,
    prefixes: Vec<Vec<u8>>,
    /// Lowercase and uppercase first bytes of every name and prefix (all bytes when a prefix
    /// is empty): most headers of a request are ruled out by one table lookup.
    first_bytes: [bool; 256],
}

impl ClearSpec {
    /// The standard set plus the configured `names` and `prefixes` (lowercase).
    pub(crate) fn new<'a>(
        names: impl Iterator<Item = &'a [u8]>,
        prefixes: impl Iterator<Item = &'a [u8]>,
    ) -> ClearSpec {
        let lower = |s: &str| s.as_bytes().to_ascii_lowercase();
        let mut all_names: Vec<Vec<u8>> = [
            "authorization",
            STANDARD_USERNAME_HEADER,
            STANDARD_UID_HEADER,
            STANDARD_GROUP_HEADER,
        ]
        .map(lower)
        .to_vec();
        for n in names {
            if !all_names.iter().any(|m| m == n) {
                all_names.push(n.to_vec());
            }
        }
        let mut all_prefixes = vec![lower(STANDARD_EXTRA_PREFIX)];
        for p in prefixes {
            if !all_prefixes.iter().any(|q| q == p) {
                all_prefixes.push(p.to_vec());
            }
        }
        let mut first_bytes = [false; 256];
        for n in all_names.iter().chain(all_prefixes.iter()) {
            match n.first() {
                Some(&b) => {
                    first_bytes[b.to_ascii_lowercase() as usize] = true;
                    first_bytes[b.to_ascii_uppercase() as usize] = true;
                }
                None => first_bytes = [true; 256],
            }
        }
        ClearSpec {
            names: all_names,
            prefixes: all_prefixes,
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
        self.names
            .iter()
            .any(|n| n.len() == name.len() && name.eq_ignore_ascii_case(n))
            || self
                .prefixes
                .iter()
                .any(|p| has_prefix_ignore_case(name, p))
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
