//! `frontproxy_result`: the one result code of every fallible C function.
//!
//! A rejected request is not a failure: `frontproxy_authenticator_authenticate*` succeed and
//! return a decision whose outcome is `FRONTPROXY_OUTCOME_REJECTED`, with a reason number.
//! Result codes are for calls that could not do their job.

/// The result of every fallible function. Values are stable and grouped in ranges: 0 success,
/// 1xx the caller's mistake, 2xx configuration, 9xx a bug in frontproxy. New codes are only
/// added, never renumbered.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum frontproxy_result {
    /// Success: the outputs were written.
    Ok = 0,
    /// A required pointer argument (or a pointer inside an array argument whose length is not
    /// 0) was NULL.
    NullPointer = 100,
    /// An argument is malformed or out of range: a length no buffer can have, a misaligned
    /// array, too many flag arguments, a zero bound, an unknown result code.
    InvalidArgument = 101,
    /// The caller's buffer cannot hold the message and its terminating NUL. The one output
    /// written on this failure is the length output, set to the message length (excluding
    /// the NUL), so the caller can retry with a buffer of that length plus one.
    BufferTooSmall = 102,
    /// An index is not less than the matching count.
    IndexOutOfRange = 103,
    /// The decision is a rejection: it has no user (name, uid, groups, extra).
    NoUser = 104,
    /// The flags, the ConfigMap document or the files they name do not form a valid
    /// configuration. The error object or `frontproxy_authenticator_last_error` says which
    /// flag, key or file and why. A failed reload keeps the previous configuration.
    ConfigInvalid = 200,
    /// A panic (a bug in frontproxy) was caught at the C boundary; no output was written.
    Panic = 900,
}

impl frontproxy_result {
    /// Every code, in numeric order.
    pub const ALL: [frontproxy_result; 8] = [
        frontproxy_result::Ok,
        frontproxy_result::NullPointer,
        frontproxy_result::InvalidArgument,
        frontproxy_result::BufferTooSmall,
        frontproxy_result::IndexOutOfRange,
        frontproxy_result::NoUser,
        frontproxy_result::ConfigInvalid,
        frontproxy_result::Panic,
    ];

    /// The code for a number, if it is one.
    pub fn from_number(n: u32) -> Option<frontproxy_result> {
        Self::ALL.into_iter().find(|c| *c as u32 == n)
    }

    /// The fixed message of this code.
    pub fn message(self) -> &'static str {
        match self {
            frontproxy_result::Ok => "success",
            frontproxy_result::NullPointer => {
                "a required pointer argument is NULL (or a pointer inside an array element whose length is not 0)"
            }
            frontproxy_result::InvalidArgument => {
                "an argument is malformed or out of range (see the function's documentation in frontproxy.h)"
            }
            frontproxy_result::BufferTooSmall => {
                "the output buffer is too small for the message and its NUL; the length output holds the message length"
            }
            frontproxy_result::IndexOutOfRange => "the index is not less than the matching count",
            frontproxy_result::NoUser => "the decision is a rejection and has no user; check the outcome first",
            frontproxy_result::ConfigInvalid => {
                "the configuration does not load; the error object or frontproxy_authenticator_last_error says which flag, key or file and why"
            }
            frontproxy_result::Panic => {
                "internal error: a panic was caught at the C boundary (a bug in frontproxy, please report it)"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_numbers_are_stable() {
        let numbers: Vec<u32> = frontproxy_result::ALL.iter().map(|c| *c as u32).collect();
        assert_eq!(numbers, [0, 100, 101, 102, 103, 104, 200, 900]);
        for c in frontproxy_result::ALL {
            assert_eq!(frontproxy_result::from_number(c as u32), Some(c));
        }
        assert_eq!(frontproxy_result::from_number(1), None);
    }
}
