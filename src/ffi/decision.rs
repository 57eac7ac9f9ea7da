//! `frontproxy_decision`: the verdict on one request, owned by the caller.
//!
//! Everything a host needs is read in place: the accessors return pointers into the decision,
//! valid until `frontproxy_decision_free` (and independent of the authenticator, which may be
//! reloaded or freed meanwhile). A decision is immutable, so any number of threads may read it.

use super::input::{frontproxy_bytes, frontproxy_str};
use super::reason::frontproxy_reason;
use super::result::frontproxy_result;
use super::{free_handle, from_ref, guard, guard_value, out_ptr, write_out};
use crate::{Authentication, AuthenticatorKind, Decision, UserInfo};

/// What happened to the request.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum frontproxy_outcome {
    /// A user was authenticated: pass the request on with the user, after removing the
    /// headers to clear.
    Authenticated = 1,
    /// No authenticator had an opinion: the user is `system:anonymous` in
    /// `system:unauthenticated` (the headers to clear must still be removed).
    Anonymous = 2,
    /// HTTP 401; see the reason and the message.
    Rejected = 3,
}

/// Which authenticator vouched for an authenticated user.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum frontproxy_authenticator_kind {
    /// Anonymous or rejected.
    None = 0,
    /// The front proxy's headers (`X-Remote-User`...), after its certificate verified.
    RequestHeader = 1,
    /// The client certificate itself (`--client-ca-file`).
    X509 = 2,
}

/// The user, with extra as an indexable list (sorted by key).
struct User {
    name: String,
    uid: String,
    groups: Vec<String>,
    extra: Vec<(String, Vec<String>)>,
}

impl From<UserInfo> for User {
    fn from(u: UserInfo) -> Self {
        User {
            name: u.name,
            uid: u.uid,
            groups: u.groups,
            extra: u.extra.into_iter().collect(),
        }
    }
}

/// The verdict on one request. Owned by the caller; free with `frontproxy_decision_free`.
/// Immutable: may be read from any thread.
pub struct frontproxy_decision {
    outcome: frontproxy_outcome,
    authenticator: frontproxy_authenticator_kind,
    reason: u32,
    message: String,
    user: Option<User>,
    clear_headers: crate::HeaderNames,
    from_cache: bool,
}

impl From<Authentication> for frontproxy_decision {
    fn from(a: Authentication) -> Self {
        let (outcome, authenticator, reason, message, user) = match a.decision {
            Decision::Authenticated {
                authenticator,
                user,
            } => (
                frontproxy_outcome::Authenticated,
                match authenticator {
                    AuthenticatorKind::RequestHeader => {
                        frontproxy_authenticator_kind::RequestHeader
                    }
                    AuthenticatorKind::X509 => frontproxy_authenticator_kind::X509,
                },
                0,
                String::new(),
                Some(User::from(user)),
            ),
            Decision::Anonymous { user } => (
                frontproxy_outcome::Anonymous,
                frontproxy_authenticator_kind::None,
                0,
                String::new(),
                Some(User::from(user)),
            ),
            Decision::Rejected(e) => (
                frontproxy_outcome::Rejected,
                frontproxy_authenticator_kind::None,
                e.reason.number(),
                e.message,
                None,
            ),
        };
        frontproxy_decision {
            outcome,
            authenticator,
            reason,
            message,
            user,
            clear_headers: a.clear_headers,
            from_cache: a.from_cache,
        }
    }
}

/// Reads the decision and its user, or says why not.
///
/// # Safety
/// `decision` is NULL or a live decision.
unsafe fn user_of<'a>(decision: *const frontproxy_decision) -> Result<&'a User, frontproxy_result> {
    // SAFETY: forwarded from the caller.
    let d = unsafe { from_ref(decision) }?;
    d.user.as_ref().ok_or(frontproxy_result::NoUser)
}

/// Writes `s` through an out-pointer checked by [`out_ptr`].
///
/// # Safety
/// `out` is non-NULL and writable.
unsafe fn give_str(s: &str, out: *mut frontproxy_str) -> Result<(), frontproxy_result> {
    // SAFETY: checked non-NULL by the caller; it provides a writable frontproxy_str.
    unsafe { write_out(out, frontproxy_str::of(s)) };
    Ok(())
}

/// The outcome. NULL gives `FRONTPROXY_OUTCOME_REJECTED` (fail closed).
#[no_mangle]
pub unsafe extern "C" fn frontproxy_decision_outcome(
    decision: *const frontproxy_decision,
) -> frontproxy_outcome {
    guard_value(frontproxy_outcome::Rejected, || {
        // SAFETY: `decision` is NULL or a live decision.
        unsafe { from_ref(decision) }.map_or(frontproxy_outcome::Rejected, |d| d.outcome)
    })
}

/// The reason number of a rejection (a `frontproxy_reason` value; `frontproxy_reason_code`
/// gives its code string), 0 when the request was not rejected. NULL gives
/// `FRONTPROXY_REASON_INTERNAL_ERROR`.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_decision_reason(decision: *const frontproxy_decision) -> u32 {
    let internal = frontproxy_reason::InternalError as u32;
    guard_value(internal, || {
        // SAFETY: `decision` is NULL or a live decision.
        unsafe { from_ref(decision) }.map_or(internal, |d| d.reason)
    })
}

/// What exactly failed, for logs (e.g. `x509: subject with cn=intruder is not in the allowed
/// list [front-proxy-client]`); empty unless rejected. At most about 1 KiB.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_decision_message(
    decision: *const frontproxy_decision,
    message_out: *mut frontproxy_str,
) -> frontproxy_result {
    guard(|| {
        let out = out_ptr(message_out)?;
        // SAFETY: `decision` is NULL or a live decision; `out` is checked and writable.
        unsafe { give_str(&from_ref(decision)?.message, out) }
    })
}

/// Which authenticator vouched for the user; `FRONTPROXY_AUTHENTICATOR_KIND_NONE` unless
/// authenticated (and for NULL).
#[no_mangle]
pub unsafe extern "C" fn frontproxy_decision_authenticator(
    decision: *const frontproxy_decision,
) -> frontproxy_authenticator_kind {
    guard_value(frontproxy_authenticator_kind::None, || {
        // SAFETY: `decision` is NULL or a live decision.
        unsafe { from_ref(decision) }
            .map_or(frontproxy_authenticator_kind::None, |d| d.authenticator)
    })
}

/// Whether the verdict on the chain came from the decision cache (false for NULL).
#[no_mangle]
pub unsafe extern "C" fn frontproxy_decision_from_cache(
    decision: *const frontproxy_decision,
) -> bool {
    guard_value(false, || {
        // SAFETY: `decision` is NULL or a live decision.
        unsafe { from_ref(decision) }.is_ok_and(|d| d.from_cache)
    })
}

/// The user name (`system:anonymous` for an anonymous decision).
/// `FRONTPROXY_RESULT_NO_USER` for a rejection.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_decision_user_name(
    decision: *const frontproxy_decision,
    name_out: *mut frontproxy_str,
) -> frontproxy_result {
    guard(|| {
        let out = out_ptr(name_out)?;
        // SAFETY: `decision` is NULL or a live decision; `out` is checked and writable.
        unsafe { give_str(&user_of(decision)?.name, out) }
    })
}

/// The user's UID (empty when none was given). `FRONTPROXY_RESULT_NO_USER` for a rejection.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_decision_user_uid(
    decision: *const frontproxy_decision,
    uid_out: *mut frontproxy_str,
) -> frontproxy_result {
    guard(|| {
        let out = out_ptr(uid_out)?;
        // SAFETY: `decision` is NULL or a live decision; `out` is checked and writable.
        unsafe { give_str(&user_of(decision)?.uid, out) }
    })
}

/// The number of groups (including `system:authenticated` / `system:unauthenticated`);
/// 0 for a rejection or NULL.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_decision_group_count(
    decision: *const frontproxy_decision,
) -> usize {
    guard_value(0, || {
        // SAFETY: `decision` is NULL or a live decision.
        unsafe { user_of(decision) }.map_or(0, |u| u.groups.len())
    })
}

/// Group `index` (in order). `FRONTPROXY_RESULT_INDEX_OUT_OF_RANGE` when `index` is not less
/// than the group count, `FRONTPROXY_RESULT_NO_USER` for a rejection.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_decision_group(
    decision: *const frontproxy_decision,
    index: usize,
    group_out: *mut frontproxy_str,
) -> frontproxy_result {
    guard(|| {
        let out = out_ptr(group_out)?;
        // SAFETY: `decision` is NULL or a live decision.
        let user = unsafe { user_of(decision) }?;
        let group = user
            .groups
            .get(index)
            .ok_or(frontproxy_result::IndexOutOfRange)?;
        // SAFETY: `out` is checked and writable.
        unsafe { give_str(group, out) }
    })
}

/// The number of extra keys (sorted, as Kubernetes serialises them); 0 for a rejection or NULL.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_decision_extra_count(
    decision: *const frontproxy_decision,
) -> usize {
    guard_value(0, || {
        // SAFETY: `decision` is NULL or a live decision.
        unsafe { user_of(decision) }.map_or(0, |u| u.extra.len())
    })
}

/// Extra key `index` (lowercase, percent-decoded).
#[no_mangle]
pub unsafe extern "C" fn frontproxy_decision_extra_key(
    decision: *const frontproxy_decision,
    index: usize,
    key_out: *mut frontproxy_str,
) -> frontproxy_result {
    guard(|| {
        let out = out_ptr(key_out)?;
        // SAFETY: `decision` is NULL or a live decision.
        let user = unsafe { user_of(decision) }?;
        let (key, _) = user
            .extra
            .get(index)
            .ok_or(frontproxy_result::IndexOutOfRange)?;
        // SAFETY: `out` is checked and writable.
        unsafe { give_str(key, out) }
    })
}

/// The number of values of extra key `index`; 0 when out of range, for a rejection or NULL.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_decision_extra_value_count(
    decision: *const frontproxy_decision,
    index: usize,
) -> usize {
    guard_value(0, || {
        // SAFETY: `decision` is NULL or a live decision.
        unsafe { user_of(decision) }
            .ok()
            .and_then(|u| u.extra.get(index))
            .map_or(0, |(_, v)| v.len())
    })
}

/// Value `value_index` of extra key `index` (in arrival order; may be empty).
#[no_mangle]
pub unsafe extern "C" fn frontproxy_decision_extra_value(
    decision: *const frontproxy_decision,
    index: usize,
    value_index: usize,
    value_out: *mut frontproxy_str,
) -> frontproxy_result {
    guard(|| {
        let out = out_ptr(value_out)?;
        // SAFETY: `decision` is NULL or a live decision.
        let user = unsafe { user_of(decision) }?;
        let value = user
            .extra
            .get(index)
            .and_then(|(_, values)| values.get(value_index))
            .ok_or(frontproxy_result::IndexOutOfRange)?;
        // SAFETY: `out` is checked and writable.
        unsafe { give_str(value, out) }
    })
}

/// The number of this request's headers the host must remove before passing the request on
/// (`Authorization`, every identity header, every extra-prefixed header); 0 for a rejection
/// (the request goes no further) or NULL.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_decision_clear_header_count(
    decision: *const frontproxy_decision,
) -> usize {
    guard_value(0, || {
        // SAFETY: `decision` is NULL or a live decision.
        unsafe { from_ref(decision) }.map_or(0, |d| d.clear_headers.len())
    })
}

/// Header name `index` to remove (as the request spelled it; remove every line with this
/// name, compared case-insensitively).
#[no_mangle]
pub unsafe extern "C" fn frontproxy_decision_clear_header(
    decision: *const frontproxy_decision,
    index: usize,
    name_out: *mut frontproxy_bytes,
) -> frontproxy_result {
    guard(|| {
        let out = out_ptr(name_out)?;
        // SAFETY: `decision` is NULL or a live decision.
        let d = unsafe { from_ref(decision) }?;
        let name = d
            .clear_headers
            .get(index)
            .ok_or(frontproxy_result::IndexOutOfRange)?;
        // SAFETY: checked non-NULL; the caller provides a writable frontproxy_bytes.
        unsafe { write_out(out, frontproxy_bytes::of(name.as_bytes())) };
        Ok(())
    })
}

/// Frees a decision; every pointer read from it becomes invalid. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_decision_free(decision: *mut frontproxy_decision) {
    // SAFETY: `decision` is NULL or came from this library and is freed once.
    guard_value((), || unsafe { free_handle(decision) })
}
