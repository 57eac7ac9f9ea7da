//! The authenticated user, as Kubernetes' `user.Info`: [`UserRef`], which borrows its strings
//! from the request (what the header step produces, without allocating for a typical
//! request), and [`UserInfo`], its owned form.

use std::collections::BTreeMap;

use serde::Serialize;
use smallvec::SmallVec;

/// The user of a request no authenticator had an opinion on.
pub const ANONYMOUS_USER: &str = "system:anonymous";
/// The group of that user.
pub const UNAUTHENTICATED_GROUP: &str = "system:unauthenticated";
/// The group the adder gives every authenticated user (spec §1.9 rule 30).
pub const AUTHENTICATED_GROUP: &str = "system:authenticated";

/// A user: name, UID, groups, extra. Extra keys are sorted (Go's JSON does the same).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct UserInfo {
    /// The user name.
    pub name: String,
    /// The UID (empty when none).
    pub uid: String,
    /// The groups, in order.
    pub groups: Vec<String>,
    /// Extra attributes: key to values, keys sorted.
    pub extra: BTreeMap<String, Vec<String>>,
}

impl UserInfo {
    /// `system:anonymous` in `[system:unauthenticated]` (spec §1.8 rule 27).
    pub fn anonymous() -> UserInfo {
        UserRef::anonymous().to_user_info()
    }

    /// The authenticated-group adder (spec §1.9 rule 30): append `system:authenticated`
    /// unless the user is anonymous or already in `system:authenticated` /
    /// `system:unauthenticated`.
    pub fn with_authenticated_group(mut self) -> UserInfo {
        if needs_authenticated_group(
            self.name.as_bytes(),
            self.groups.iter().map(String::as_bytes),
        ) {
            self.groups.push(AUTHENTICATED_GROUP.into());
        }
        self
    }

    /// The same user as a [`UserRef`] (its strings copied into the `UserRef`'s own buffer).
    pub fn to_user_ref<'r>(&self) -> UserRef<'r> {
        let mut user = UserRef::empty();
        user.name = user.own(self.name.as_bytes());
        user.uid = user.own(self.uid.as_bytes());
        for g in &self.groups {
            let g = user.own(g.as_bytes());
            user.groups.push(g);
        }
        for (k, vs) in &self.extra {
            for v in vs {
                let entry = (user.own(k.as_bytes()), user.own(v.as_bytes()));
                user.extra.push(entry);
            }
        }
        user
    }
}

fn needs_authenticated_group<'a>(name: &[u8], mut groups: impl Iterator<Item = &'a [u8]>) -> bool {
    // Both markers are 20 and 22 bytes long: most groups are ruled out by their length.
    let marker = |g: &[u8]| {
        (g.len() == AUTHENTICATED_GROUP.len() && g == AUTHENTICATED_GROUP.as_bytes())
            || (g.len() == UNAUTHENTICATED_GROUP.len() && g == UNAUTHENTICATED_GROUP.as_bytes())
    };
    name != ANONYMOUS_USER.as_bytes() && !groups.any(marker)
}

/// Where the bytes of one string of a [`UserRef`] are: in the request, or in the user's own
/// buffer (an extra key that had to be lowercased or decoded; a certificate's user).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Span<'r> {
    Borrowed(&'r [u8]),
    Own { start: u32, len: u32 },
}

/// Inline capacities: a typical request fits without allocating.
const INLINE: usize = 4;
const INLINE_BYTES: usize = 64;

/// A user's own bytes: inline up to [`INLINE_BYTES`], then on the heap.
#[derive(Clone, Debug)]
struct OwnBytes {
    inline: [u8; INLINE_BYTES],
    len: usize,
    heap: Option<Vec<u8>>,
}

impl OwnBytes {
    const fn new() -> OwnBytes {
        OwnBytes {
            inline: [0; INLINE_BYTES],
            len: 0,
            heap: None,
        }
    }

    fn as_slice(&self) -> &[u8] {
        match &self.heap {
            Some(heap) => heap,
            None => &self.inline[..self.len],
        }
    }

    fn len(&self) -> usize {
        self.heap.as_ref().map_or(self.len, Vec::len)
    }

    /// Appends `bytes`; the appended copy, to change in place.
    fn push(&mut self, bytes: &[u8]) -> &mut [u8] {
        let start = self.len();
        let end = start + bytes.len();
        if self.heap.is_none() && end <= INLINE_BYTES {
            self.inline[start..end].copy_from_slice(bytes);
            self.len = end;
            return &mut self.inline[start..end];
        }
        let heap = self
            .heap
            .get_or_insert_with(|| self.inline[..self.len].to_vec());
        heap.extend_from_slice(bytes);
        &mut heap[start..end]
    }

    fn truncate(&mut self, len: usize) {
        match &mut self.heap {
            Some(heap) => heap.truncate(len),
            None => self.len = self.len.min(len),
        }
    }
}

/// A user whose strings borrow from the request headers, as the header step produces it:
/// every string was checked to be UTF-8 when it was read. Extra values are kept as
/// `(key, value)` pairs sorted by key, the values of one key in arrival order;
/// [`UserRef::extra`] groups them. Strings that had to change (an extra key lowercased or
/// percent-decoded) live in the user's own small buffer.
///
/// The `_bytes` accessors are free; the `str` ones convert (the core has no `unsafe`, so it
/// checks the UTF-8 again, which cannot fail).
#[derive(Clone, Debug)]
pub struct UserRef<'r> {
    own: OwnBytes,
    pub(crate) name: Span<'r>,
    pub(crate) uid: Span<'r>,
    pub(crate) groups: SmallVec<[Span<'r>; INLINE]>,
    pub(crate) extra: SmallVec<[(Span<'r>, Span<'r>); INLINE]>,
}

fn span_bytes<'s, 'r: 's>(own: &'s [u8], span: &Span<'r>) -> &'s [u8] {
    match *span {
        Span::Borrowed(b) => b,
        Span::Own { start, len } => &own[start as usize..(start + len) as usize],
    }
}

fn text(bytes: &[u8]) -> &str {
    // Every span was checked to be UTF-8 when it was read.
    std::str::from_utf8(bytes).unwrap_or_default()
}

impl<'r> UserRef<'r> {
    pub(crate) fn empty() -> UserRef<'r> {
        UserRef {
            own: OwnBytes::new(),
            name: Span::Borrowed(b""),
            uid: Span::Borrowed(b""),
            groups: SmallVec::new(),
            extra: SmallVec::new(),
        }
    }

    /// `system:anonymous` in `[system:unauthenticated]`.
    pub fn anonymous() -> UserRef<'r> {
        let mut user = UserRef::empty();
        user.name = Span::Borrowed(ANONYMOUS_USER.as_bytes());
        user.groups
            .push(Span::Borrowed(UNAUTHENTICATED_GROUP.as_bytes()));
        user
    }

    /// Copies `bytes` (UTF-8) into the user's own buffer.
    pub(crate) fn own(&mut self, bytes: &[u8]) -> Span<'r> {
        let start = self.own.len() as u32;
        self.own.push(bytes);
        Span::Own {
            start,
            len: bytes.len() as u32,
        }
    }

    /// Copies `bytes` into the user's own buffer and lets `change` rewrite the copy in place,
    /// keeping the length it returns (at most the copy's; the result must be UTF-8).
    pub(crate) fn own_with(
        &mut self,
        bytes: &[u8],
        change: impl FnOnce(&mut [u8]) -> usize,
    ) -> Span<'r> {
        let start = self.own.len();
        let len = change(self.own.push(bytes)).min(bytes.len());
        self.own.truncate(start + len);
        Span::Own {
            start: start as u32,
            len: len as u32,
        }
    }

    pub(crate) fn bytes<'s>(&'s self, span: &Span<'r>) -> &'s [u8]
    where
        'r: 's,
    {
        span_bytes(self.own.as_slice(), span)
    }

    /// The user name.
    pub fn name(&self) -> &str {
        text(self.name_bytes())
    }
    /// The user name as bytes (UTF-8).
    pub fn name_bytes(&self) -> &[u8] {
        self.bytes(&self.name)
    }
    /// The UID (empty when none).
    pub fn uid(&self) -> &str {
        text(self.uid_bytes())
    }
    /// The UID as bytes (UTF-8).
    pub fn uid_bytes(&self) -> &[u8] {
        self.bytes(&self.uid)
    }
    /// The groups, in order.
    pub fn groups(&self) -> impl ExactSizeIterator<Item = &str> + use<'_, 'r> {
        self.groups_bytes().map(text)
    }
    /// The groups as bytes (UTF-8), in order.
    pub fn groups_bytes(&self) -> impl ExactSizeIterator<Item = &[u8]> + use<'_, 'r> {
        self.groups.iter().map(|g| self.bytes(g))
    }
    /// Extra keys in sorted order, each with its values in arrival order.
    pub fn extra(&self) -> ExtraIter<'_, 'r> {
        ExtraIter {
            user: self,
            rest: &self.extra,
        }
    }

    /// The authenticated-group adder (spec §1.9 rule 30), as [`UserInfo::with_authenticated_group`].
    pub(crate) fn add_authenticated_group(&mut self) {
        if needs_authenticated_group(self.name_bytes(), self.groups_bytes()) {
            self.groups
                .push(Span::Borrowed(AUTHENTICATED_GROUP.as_bytes()));
        }
    }

    /// Sorts the extra pairs by key, keeping the order of each key's values.
    pub(crate) fn sort_extra(&mut self) {
        let own = self.own.as_slice();
        self.extra
            .sort_by(|a, b| span_bytes(own, &a.0).cmp(span_bytes(own, &b.0)));
    }

    /// The owned form.
    pub fn to_user_info(&self) -> UserInfo {
        UserInfo {
            name: self.name().to_owned(),
            uid: self.uid().to_owned(),
            groups: self.groups().map(str::to_owned).collect(),
            extra: self
                .extra()
                .map(|(k, vs)| (k.to_owned(), vs.map(str::to_owned).collect()))
                .collect(),
        }
    }
}

/// Equal users: the same strings, wherever their bytes are kept.
impl PartialEq for UserRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.name_bytes() == other.name_bytes()
            && self.uid_bytes() == other.uid_bytes()
            && self.groups_bytes().eq(other.groups_bytes())
            && self.extra.len() == other.extra.len()
            && self
                .extra
                .iter()
                .zip(&other.extra)
                .all(|((k, v), (k2, v2))| {
                    self.bytes(k) == other.bytes(k2) && self.bytes(v) == other.bytes(v2)
                })
    }
}

impl Eq for UserRef<'_> {}

/// The extra keys of a [`UserRef`], each with an iterator over its values.
pub struct ExtraIter<'u, 'r> {
    user: &'u UserRef<'r>,
    rest: &'u [(Span<'r>, Span<'r>)],
}

impl<'u, 'r> Iterator for ExtraIter<'u, 'r> {
    type Item = (&'u str, ExtraValues<'u, 'r>);
    fn next(&mut self) -> Option<Self::Item> {
        let key = self.user.bytes(&self.rest.first()?.0);
        let run = self
            .rest
            .iter()
            .take_while(|(k, _)| self.user.bytes(k) == key)
            .count();
        let (values, rest) = self.rest.split_at(run);
        self.rest = rest;
        Some((
            text(key),
            ExtraValues {
                user: self.user,
                values,
            },
        ))
    }
}

/// The values of one extra key, in arrival order (empty values included).
pub struct ExtraValues<'u, 'r> {
    user: &'u UserRef<'r>,
    values: &'u [(Span<'r>, Span<'r>)],
}

impl<'u> Iterator for ExtraValues<'u, '_> {
    type Item = &'u str;
    fn next(&mut self) -> Option<&'u str> {
        let ((_, v), rest) = self.values.split_first()?;
        self.values = rest;
        Some(text(self.user.bytes(v)))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.values.len(), Some(self.values.len()))
    }
}

impl ExactSizeIterator for ExtraValues<'_, '_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owned_and_borrowed_forms_agree() {
        let mut extra = BTreeMap::new();
        extra.insert("b".to_string(), vec!["1".to_string(), "".to_string()]);
        extra.insert("a".to_string(), vec!["2".to_string()]);
        let user = UserInfo {
            name: "alice".into(),
            uid: "u".into(),
            groups: vec!["dev".into()],
            extra,
        };
        assert_eq!(user.to_user_ref().to_user_info(), user);
        let groups: Vec<_> = user
            .to_user_ref()
            .extra()
            .map(|(k, v)| (k.to_string(), v.len()))
            .collect();
        assert_eq!(groups, [("a".to_string(), 1), ("b".to_string(), 2)]);
    }

    #[test]
    fn the_group_adder_skips_anonymous_and_existing_markers() {
        let mut u = UserRef::anonymous();
        u.add_authenticated_group();
        assert_eq!(u.groups().collect::<Vec<_>>(), [UNAUTHENTICATED_GROUP]);
        let mut u = UserInfo::default().to_user_ref();
        u.add_authenticated_group();
        u.add_authenticated_group();
        assert_eq!(u.groups().collect::<Vec<_>>(), [AUTHENTICATED_GROUP]);
    }
}
