//! The authenticated user, as Kubernetes' `user.Info`: [`UserRef`], which borrows its strings
//! from the request (what the header step produces, without allocating), and [`UserInfo`], its
//! owned form.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;
use smallvec::SmallVec;

pub const ANONYMOUS_USER: &str = "system:anonymous";
pub const UNAUTHENTICATED_GROUP: &str = "system:unauthenticated";
pub const AUTHENTICATED_GROUP: &str = "system:authenticated";

/// A user: name, UID, groups, extra. Extra keys are sorted (Go's JSON does the same).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct UserInfo {
    pub name: String,
    pub uid: String,
    pub groups: Vec<String>,
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
        if needs_authenticated_group(&self.name, self.groups.iter().map(String::as_str)) {
            self.groups.push(AUTHENTICATED_GROUP.into());
        }
        self
    }

    /// The same user, borrowing from this one.
    pub fn as_user_ref(&self) -> UserRef<'_> {
        UserRef {
            name: Cow::Borrowed(&self.name),
            uid: Cow::Borrowed(&self.uid),
            groups: self
                .groups
                .iter()
                .map(|g| Cow::Borrowed(g.as_str()))
                .collect(),
            extra: self
                .extra
                .iter()
                .flat_map(|(k, vs)| {
                    vs.iter()
                        .map(move |v| (Cow::Borrowed(k.as_str()), Cow::Borrowed(v.as_str())))
                })
                .collect(),
        }
    }
}

fn needs_authenticated_group<'a>(name: &str, mut groups: impl Iterator<Item = &'a str>) -> bool {
    name != ANONYMOUS_USER
        && !groups.any(|g| g == AUTHENTICATED_GROUP || g == UNAUTHENTICATED_GROUP)
}

/// Inline capacity of the borrowed lists: a typical request fits without allocating.
const INLINE: usize = 8;

/// A user whose strings borrow from the request headers (or from a verified certificate's
/// verdict), as the header step produces it. Extra values are kept as `(key, value)` pairs
/// sorted by key, values of one key in arrival order; [`UserRef::extra`] groups them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRef<'r> {
    pub(crate) name: Cow<'r, str>,
    pub(crate) uid: Cow<'r, str>,
    pub(crate) groups: SmallVec<[Cow<'r, str>; INLINE]>,
    pub(crate) extra: SmallVec<[(Cow<'r, str>, Cow<'r, str>); INLINE]>,
}

impl<'r> UserRef<'r> {
    /// `system:anonymous` in `[system:unauthenticated]`.
    pub fn anonymous() -> UserRef<'r> {
        let mut groups = SmallVec::new();
        groups.push(Cow::Borrowed(UNAUTHENTICATED_GROUP));
        UserRef {
            name: Cow::Borrowed(ANONYMOUS_USER),
            uid: Cow::Borrowed(""),
            groups,
            extra: SmallVec::new(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn uid(&self) -> &str {
        &self.uid
    }
    pub fn groups(&self) -> impl ExactSizeIterator<Item = &str> {
        self.groups.iter().map(|g| &**g)
    }
    /// Extra keys in sorted order, each with its values in arrival order.
    pub fn extra(&self) -> ExtraIter<'_, 'r> {
        ExtraIter { rest: &self.extra }
    }

    /// The authenticated-group adder (spec §1.9 rule 30), as [`UserInfo::with_authenticated_group`].
    pub(crate) fn add_authenticated_group(&mut self) {
        if needs_authenticated_group(&self.name, self.groups()) {
            self.groups.push(Cow::Borrowed(AUTHENTICATED_GROUP));
        }
    }

    /// Sorts the extra pairs by key, keeping the arrival order of each key's values.
    pub(crate) fn sort_extra(&mut self) {
        self.extra.sort_by(|a, b| a.0.cmp(&b.0));
    }

    /// The owned form.
    pub fn to_user_info(&self) -> UserInfo {
        UserInfo {
            name: self.name.to_string(),
            uid: self.uid.to_string(),
            groups: self.groups().map(str::to_owned).collect(),
            extra: self
                .extra()
                .map(|(k, vs)| (k.to_owned(), vs.map(str::to_owned).collect()))
                .collect(),
        }
    }
}

/// The extra keys of a [`UserRef`], each with an iterator over its values.
pub struct ExtraIter<'u, 'r> {
    rest: &'u [(Cow<'r, str>, Cow<'r, str>)],
}

impl<'u, 'r> Iterator for ExtraIter<'u, 'r> {
    type Item = (&'u str, ExtraValues<'u, 'r>);
    fn next(&mut self) -> Option<Self::Item> {
        let key = &self.rest.first()?.0;
        let run = self.rest.iter().take_while(|(k, _)| k == key).count();
        let (values, rest) = self.rest.split_at(run);
        self.rest = rest;
        Some((&**key, ExtraValues { values }))
    }
}

/// The values of one extra key, in arrival order (empty values included).
pub struct ExtraValues<'u, 'r> {
    values: &'u [(Cow<'r, str>, Cow<'r, str>)],
}

impl<'u> Iterator for ExtraValues<'u, '_> {
    type Item = &'u str;
    fn next(&mut self) -> Option<&'u str> {
        let ((_, v), rest) = self.values.split_first()?;
        self.values = rest;
        Some(&**v)
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
        assert_eq!(user.as_user_ref().to_user_info(), user);
        let groups: Vec<_> = user
            .as_user_ref()
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
        let user = UserInfo::default();
        let mut u = user.as_user_ref();
        u.add_authenticated_group();
        u.add_authenticated_group();
        assert_eq!(u.groups().collect::<Vec<_>>(), [AUTHENTICATED_GROUP]);
    }
}
