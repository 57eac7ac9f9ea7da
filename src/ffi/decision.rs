//! `frontproxy_decision`: the verdict on one request, owned by the caller.
//!
//! Everything a host needs is read in place — with one call (`frontproxy_decision_get_view`, a
//! flat struct of slices) or field by field: the accessors return pointers into the decision,
//! valid until `frontproxy_decision_free` (and independent of the authenticator, which may be
//! reloaded or freed meanwhile). A decision is immutable, so any number of threads may read it.

use super::boundary::{free_handle, from_ref, guard, guard_value, out_ptr, write_out};
use super::reason::frontproxy_reason;
use super::result::frontproxy_result;
use super::types::{frontproxy_bytes, frontproxy_str};
use crate::{AuthenticationRef, AuthenticatorKind, DecisionRef};

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

/// One extra key of a decision's user and its values (in arrival order; a value may be empty).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct frontproxy_extra {
    /// The key (lowercase, percent-decoded).
    pub key: frontproxy_str,
    /// Its values, in arrival order.
    pub values: *const frontproxy_str,
    /// How many values.
    pub values_len: usize,
}

/// The whole decision in one flat struct, read with one call (`frontproxy_decision_get_view`).
/// Every pointer points into the decision and stays valid until `frontproxy_decision_free`;
/// an array pointer may be NULL when its length is 0. For a rejection the user fields are
/// empty and `clear_headers_len` is 0.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct frontproxy_decision_view {
    /// What happened to the request.
    pub outcome: frontproxy_outcome,
    /// Which authenticator vouched for the user (`NONE` unless authenticated).
    pub authenticator: frontproxy_authenticator_kind,
    /// A `frontproxy_reason` number; 0 unless rejected.
    pub reason: u32,
    /// Whether the chain's verdicts came from the verdict cache in this call.
    pub from_cache: bool,
    /// The configuration generation that decided.
    pub generation: u64,
    /// What exactly failed (empty unless rejected); at most about 1 KiB.
    pub message: frontproxy_str,
    /// The user name (`system:anonymous` when anonymous; empty when rejected).
    pub user_name: frontproxy_str,
    /// The user's UID (empty when none).
    pub user_uid: frontproxy_str,
    /// The groups, in order.
    pub groups: *const frontproxy_str,
    /// How many groups.
    pub groups_len: usize,
    /// Extra keys, sorted, each with its values.
    pub extra: *const frontproxy_extra,
    /// How many extra keys.
    pub extra_len: usize,
    /// The headers to remove before passing the request on (as the request spelled them;
    /// remove every line with each name, compared case-insensitively).
    pub clear_headers: *const frontproxy_bytes,
    /// How many headers to clear.
    pub clear_headers_len: usize,
}

/// The verdict on one request. Owned by the caller; free with `frontproxy_decision_free`.
/// Immutable: may be read from any thread.
pub struct frontproxy_decision {
    /// Points into the buffers below, which are never changed after construction (their heap
    /// storage does not move when the decision does).
    view: frontproxy_decision_view,
    _text: String,
    groups: Vec<frontproxy_str>,
    extra: Vec<frontproxy_extra>,
    _extra_values: Vec<frontproxy_str>,
    clear_headers: Vec<frontproxy_bytes>,
}

// SAFETY: the raw pointers in `view` and in the arrays point only into the decision's own
// heap buffers, which are immutable after construction and freed with it.
unsafe impl Send for frontproxy_decision {}
// SAFETY: as above; nothing is mutated through a shared reference.
unsafe impl Sync for frontproxy_decision {}

impl From<&AuthenticationRef<'_>> for frontproxy_decision {
    /// Copies every string of `a` into one buffer, then builds the arrays that point into it.
    fn from(a: &AuthenticationRef<'_>) -> Self {
        let (outcome, authenticator, reason, message, user) = match &a.decision {
            DecisionRef::Authenticated {
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
                "",
                Some(user),
            ),
            DecisionRef::Anonymous { user } => (
                frontproxy_outcome::Anonymous,
                frontproxy_authenticator_kind::None,
                0,
                "",
                Some(user),
            ),
            DecisionRef::Rejected(e) => (
                frontproxy_outcome::Rejected,
                frontproxy_authenticator_kind::None,
                e.reason.number(),
                e.message.as_str(),
                None,
            ),
        };
        // Pass 1: every string into one buffer, remembered as (start, len).
        let mut text = String::new();
        let mut put = |s: &str| {
            let start = text.len();
            text.push_str(s);
            (start, s.len())
        };
        let message = put(message);
        let name = put(user.map_or("", |u| u.name()));
        let uid = put(user.map_or("", |u| u.uid()));
        let groups: Vec<_> = user
            .into_iter()
            .flat_map(|u| u.groups())
            .map(&mut put)
            .collect();
        let mut extra = Vec::new();
        let mut extra_values = Vec::new();
        for (key, values) in user.into_iter().flat_map(|u| u.extra()) {
            let key = put(key);
            let first = extra_values.len();
            extra_values.extend(values.map(&mut put));
            extra.push((key, first, extra_values.len() - first));
        }
        let clear: Vec<_> = a.clear_headers.iter().map(&mut put).collect();
        // Pass 2: pointers, now that the buffer no longer grows.
        let base = text.as_ptr();
        let at = |(start, len): (usize, usize)| frontproxy_str {
            // The buffer holds start + len bytes.
            data: base.wrapping_add(start).cast(),
            len,
        };
        let groups: Vec<frontproxy_str> = groups.into_iter().map(at).collect();
        let extra_values: Vec<frontproxy_str> = extra_values.into_iter().map(at).collect();
        let extra: Vec<frontproxy_extra> = extra
            .into_iter()
            .map(|(key, first, n)| frontproxy_extra {
                key: at(key),
                values: extra_values[first..].as_ptr(),
                values_len: n,
            })
            .collect();
        let clear_headers: Vec<frontproxy_bytes> = clear
            .into_iter()
            .map(|r| {
                let s = at(r);
                frontproxy_bytes {
                    data: s.data.cast(),
                    len: s.len,
                }
            })
            .collect();
        let view = frontproxy_decision_view {
            outcome,
            authenticator,
            reason,
            from_cache: a.from_cache,
            generation: a.generation,
            message: at(message),
            user_name: at(name),
            user_uid: at(uid),
            groups: groups.as_ptr(),
            groups_len: groups.len(),
            extra: extra.as_ptr(),
            extra_len: extra.len(),
            clear_headers: clear_headers.as_ptr(),
            clear_headers_len: clear_headers.len(),
        };
        frontproxy_decision {
            view,
            _text: text,
            groups,
            extra,
            _extra_values: extra_values,
            clear_headers,
        }
    }
}

impl frontproxy_decision {
    fn has_user(&self) -> bool {
        self.view.outcome != frontproxy_outcome::Rejected
    }
}

/// The whole decision in one call: a pointer to a view inside the decision, valid until
/// `frontproxy_decision_free` (NULL for a NULL decision). Everything the per-field accessors
/// below return is in it.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_decision_get_view(
    decision: *const frontproxy_decision,
) -> *const frontproxy_decision_view {
    guard_value(std::ptr::null(), || {
        // SAFETY: `decision` is NULL or a live decision.
        unsafe { from_ref(decision) }.map_or(std::ptr::null(), |d| &d.view as *const _)
    })
}

/// Reads the decision, if it has a user.
///
/// # Safety
/// `decision` is NULL or a live decision.
unsafe fn with_user<'a>(
    decision: *const frontproxy_decision,
) -> Result<&'a frontproxy_decision, frontproxy_result> {
    // SAFETY: forwarded from the caller.
    let d = unsafe { from_ref(decision) }?;
    if d.has_user() {
        Ok(d)
    } else {
        Err(frontproxy_result::NoUser)
    }
}

/// Writes `s` through an out-pointer checked by [`out_ptr`].
///
/// # Safety
/// `out` is non-NULL and writable.
unsafe fn give_str(s: frontproxy_str, out: *mut frontproxy_str) -> Result<(), frontproxy_result> {
    // SAFETY: checked non-NULL by the caller; it provides a writable frontproxy_str.
    unsafe { write_out(out, s) };
    Ok(())
}

/// The outcome. NULL gives `FRONTPROXY_OUTCOME_REJECTED` (fail closed).
#[no_mangle]
pub unsafe extern "C" fn frontproxy_decision_outcome(
    decision: *const frontproxy_decision,
) -> frontproxy_outcome {
    guard_value(frontproxy_outcome::Rejected, || {
        // SAFETY: `decision` is NULL or a live decision.
        unsafe { from_ref(decision) }.map_or(frontproxy_outcome::Rejected, |d| d.view.outcome)
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
        unsafe { from_ref(decision) }.map_or(internal, |d| d.view.reason)
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
        unsafe { give_str(from_ref(decision)?.view.message, out) }
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
        unsafe { from_ref(decision) }.map_or(frontproxy_authenticator_kind::None, |d| {
            d.view.authenticator
        })
    })
}

/// Whether the verdict on the chain came from the verdict cache (false for NULL).
#[no_mangle]
pub unsafe extern "C" fn frontproxy_decision_from_cache(
    decision: *const frontproxy_decision,
) -> bool {
    guard_value(false, || {
        // SAFETY: `decision` is NULL or a live decision.
        unsafe { from_ref(decision) }.is_ok_and(|d| d.view.from_cache)
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
        unsafe { give_str(with_user(decision)?.view.user_name, out) }
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
        unsafe { give_str(with_user(decision)?.view.user_uid, out) }
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
        unsafe { with_user(decision) }.map_or(0, |d| d.groups.len())
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
        let d = unsafe { with_user(decision) }?;
        let group = d
            .groups
            .get(index)
            .ok_or(frontproxy_result::IndexOutOfRange)?;
        // SAFETY: `out` is checked and writable.
        unsafe { give_str(*group, out) }
    })
}

/// The number of extra keys (sorted, as Kubernetes serialises them); 0 for a rejection or NULL.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_decision_extra_count(
    decision: *const frontproxy_decision,
) -> usize {
    guard_value(0, || {
        // SAFETY: `decision` is NULL or a live decision.
        unsafe { with_user(decision) }.map_or(0, |d| d.extra.len())
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
        let d = unsafe { with_user(decision) }?;
        let extra = d
            .extra
            .get(index)
            .ok_or(frontproxy_result::IndexOutOfRange)?;
        // SAFETY: `out` is checked and writable.
        unsafe { give_str(extra.key, out) }
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
        unsafe { with_user(decision) }
            .ok()
            .and_then(|d| d.extra.get(index))
            .map_or(0, |e| e.values_len)
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
        let d = unsafe { with_user(decision) }?;
        let extra = d
            .extra
            .get(index)
            .filter(|e| value_index < e.values_len)
            .ok_or(frontproxy_result::IndexOutOfRange)?;
        // SAFETY: `values` points to `values_len` strings inside the decision (built by From).
        let value = unsafe { *extra.values.add(value_index) };
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
        unsafe { write_out(out, *name) };
        Ok(())
    })
}

/// Frees a decision; every pointer read from it becomes invalid. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_decision_free(decision: *mut frontproxy_decision) {
    // SAFETY: `decision` is NULL or came from this library and is freed once.
    guard_value((), || unsafe { free_handle(decision) })
}
