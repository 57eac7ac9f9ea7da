//! The authenticated user, as Kubernetes' `user.Info`.

use std::collections::BTreeMap;

use serde::Serialize;

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
        UserInfo {
            name: ANONYMOUS_USER.into(),
            uid: String::new(),
            groups: vec![UNAUTHENTICATED_GROUP.into()],
            extra: BTreeMap::new(),
        }
    }

    /// The authenticated-group adder (spec §1.9 rule 30): append `system:authenticated`
    /// unless the user is anonymous or already in `system:authenticated` /
    /// `system:unauthenticated`.
    pub fn with_authenticated_group(mut self) -> UserInfo {
        let already = self
            .groups
            .iter()
            .any(|g| g == AUTHENTICATED_GROUP || g == UNAUTHENTICATED_GROUP);
        if self.name != ANONYMOUS_USER && !already {
            self.groups.push(AUTHENTICATED_GROUP.into());
        }
        self
    }
}
