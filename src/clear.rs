//! Which request headers must never reach the backend: after a successful (or anonymous)
//! authentication Kubernetes removes `Authorization`, the standard `X-Remote-*` set, and the
//! configured request-header names and prefixes (spec §1.6 rule 15, §1.9 rule 32).
//!
//! The names are those the header step's roles know (one source of truth); this is their
//! public face, for hosts that remove headers themselves.

use http::HeaderMap;

use crate::header_roles::HeaderRoles;

/// The header names and prefixes to remove.
#[derive(Clone, Debug)]
pub struct ClearSpec {
    pub(crate) roles: HeaderRoles,
}

impl ClearSpec {
    pub(crate) fn new(roles: HeaderRoles) -> ClearSpec {
        ClearSpec { roles }
    }

    /// Exact names (lowercase) to remove, each once.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        distinct(self.roles.cleared().0)
    }

    /// Name prefixes (lowercase) to remove, each once.
    pub fn prefixes(&self) -> impl Iterator<Item = &str> {
        distinct(self.roles.cleared().1)
    }

    /// Whether a header of this name must be removed.
    pub fn matches(&self, name: &[u8]) -> bool {
        self.roles.clears(name)
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

/// Each name once, in order (a name configured in several lists has several roles).
fn distinct<'a>(names: impl Iterator<Item = &'a [u8]>) -> impl Iterator<Item = &'a str> {
    let mut seen: Vec<&[u8]> = Vec::new();
    names
        .filter(move |n| {
            let new = !seen.contains(n);
            seen.push(n);
            new
        })
        .map(|n| std::str::from_utf8(n).unwrap_or_default())
}
