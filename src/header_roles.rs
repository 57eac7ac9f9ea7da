//! The roles of the configured header names, compiled once per configuration for the
//! per-request pass: which exact names are username, UID or group headers (and at which
//! position of their list), which prefixes carry extra values, and which names are removed
//! after success (spec §1.1, §1.6 rule 15, §1.9 rule 32).

use crate::http_syntax::{is_token, FoldedName};

/// The standard header names (spec §4.1, §1.9 rule 32).
pub const STANDARD_USERNAME_HEADER: &str = "X-Remote-User";
/// The standard UID header.
pub const STANDARD_UID_HEADER: &str = "X-Remote-Uid";
/// The standard group header.
pub const STANDARD_GROUP_HEADER: &str = "X-Remote-Group";
/// The standard prefix of extra headers.
pub const STANDARD_EXTRA_PREFIX: &str = "X-Remote-Extra-";

/// The configured lists, as given.
pub(crate) struct ConfiguredNames<'a> {
    pub username: &'a [String],
    pub uid: &'a [String],
    pub group: &'a [String],
    pub extra_prefix: &'a [String],
}

/// What a configured exact name is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NameRole {
    /// Position in the username list.
    Username(u16),
    /// Position in the UID list.
    Uid(u16),
    /// Position in the group list.
    Group(u16),
    /// Only cleared (`Authorization`, a standard name not configured).
    ClearOnly,
}

/// Every role of the configuration's header names, compiled for the one pass: exact names and
/// prefixes, each cleared after success (spec §1.9 rule 32). A name that is not an HTTP token
/// never matches (spec §1.1 rule 2) and is left out; the empty prefix matches every header.
#[derive(Clone, Debug)]
pub(crate) struct HeaderRoles {
    /// Exact names with their role, sorted by length; a name configured in several lists
    /// appears once per role.
    pub(crate) exact: Vec<(FoldedName, NameRole)>,
    /// `exact[by_len[n]..by_len[n + 1]]` are the names of length `n`.
    pub(crate) by_len: Vec<usize>,
    /// Extra prefixes by position (`Some`), then the standard extra prefix when it is not
    /// configured (`None`: only cleared).
    pub(crate) prefixes: Vec<(FoldedName, Option<u16>)>,
    pub(crate) username_count: usize,
    pub(crate) uid_count: usize,
    /// First bytes (both cases) of every name and prefix: most lines are ruled out at once.
    pub(crate) first_bytes: [bool; 256],
}

impl HeaderRoles {
    /// The roles of the configured lists (taken as given; names that can never match are left
    /// out), plus the standard names, which are always cleared.
    pub(crate) fn new(lists: &ConfiguredNames<'_>) -> HeaderRoles {
        let mut exact = Vec::new();
        let position = |i: usize| u16::try_from(i).unwrap_or(u16::MAX);
        let names = |list: &[String]| -> Vec<(usize, FoldedName)> {
            list.iter()
                .enumerate()
                .filter(|(_, n)| is_token(n.as_bytes()))
                .map(|(i, n)| (i, FoldedName::new(n.as_bytes())))
                .collect()
        };
        for (i, n) in names(lists.username) {
            exact.push((n, NameRole::Username(position(i))));
        }
        for (i, n) in names(lists.uid) {
            exact.push((n, NameRole::Uid(position(i))));
        }
        for (i, n) in names(lists.group) {
            exact.push((n, NameRole::Group(position(i))));
        }
        for standard in [
            "authorization",
            STANDARD_USERNAME_HEADER,
            STANDARD_UID_HEADER,
            STANDARD_GROUP_HEADER,
        ] {
            let n = FoldedName::new(standard.as_bytes());
            if !exact.iter().any(|(m, _)| m == &n) {
                exact.push((n, NameRole::ClearOnly));
            }
        }
        exact.sort_by_key(|(n, _)| n.len());
        let longest = exact.last().map_or(0, |(n, _)| n.len());
        let by_len = (0..=longest + 1)
            .map(|len| exact.partition_point(|(n, _)| n.len() < len))
            .collect();
        let mut prefixes: Vec<(FoldedName, Option<u16>)> = lists
            .extra_prefix
            .iter()
            .enumerate()
            .filter(|(_, p)| p.is_empty() || is_token(p.as_bytes()))
            .map(|(i, p)| (FoldedName::new(p.as_bytes()), Some(position(i))))
            .collect();
        let standard = FoldedName::new(STANDARD_EXTRA_PREFIX.as_bytes());
        if !prefixes.iter().any(|(p, _)| p == &standard) {
            prefixes.push((standard, None));
        }
        let mut first_bytes = [false; 256];
        for n in exact
            .iter()
            .map(|(n, _)| n)
            .chain(prefixes.iter().map(|(p, _)| p))
        {
            match n.lower().first() {
                Some(&b) => {
                    first_bytes[b.to_ascii_lowercase() as usize] = true;
                    first_bytes[b.to_ascii_uppercase() as usize] = true;
                }
                None => first_bytes = [true; 256],
            }
        }
        HeaderRoles {
            exact,
            by_len,
            prefixes,
            username_count: lists.username.len(),
            uid_count: lists.uid.len(),
            first_bytes,
        }
    }

    /// The exact names and prefixes cleared after success (lowercase).
    pub(crate) fn cleared(&self) -> (impl Iterator<Item = &[u8]>, impl Iterator<Item = &[u8]>) {
        (
            self.exact.iter().map(|(n, _)| n.lower()),
            self.prefixes.iter().map(|(p, _)| p.lower()),
        )
    }

    /// Whether a header of this name must be removed after success.
    pub(crate) fn clears(&self, name: &[u8]) -> bool {
        name.first().is_none_or(|&b| self.first_bytes[b as usize])
            && (self.exact.iter().any(|(n, _)| n.matches(name))
                || self.prefixes.iter().any(|(p, _)| p.is_prefix_of(name)))
    }
}
