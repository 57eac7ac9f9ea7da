//! `frontproxy_peer`: the verdict on one TLS connection's client chain, made once by
//! `frontproxy_authenticator_verify_peer` and used for every request on that connection by
//! `frontproxy_authenticator_authenticate`.
//!
//! It keeps its own copy of the chain, so it renews itself when the authenticator was
//! reloaded or a certificate's validity ran out — a verdict is never trusted past what made it
//! true. It does not borrow from the authenticator: either may be freed first.

use super::{free_handle, guard_value};
use crate::{AuthError, PeerVerification};

/// One connection's peer verification. Owned by the caller; free with `frontproxy_peer_free`.
/// Not thread-safe: use it from one thread at a time (it may move between threads, as a
/// connection does), because authenticating may renew it.
pub struct frontproxy_peer {
    pub(crate) state: PeerState,
}

pub(crate) enum PeerState {
    /// Verified by the core (successfully or not).
    Verified(PeerVerification),
    /// The chain broke a bound before it was read (too many certificates, one too large):
    /// every request on this connection is rejected with this error (after the header
    /// checks, as the core orders them).
    OutOfBounds(AuthError),
}

/// Frees a peer handle (when its connection closes). NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_peer_free(peer: *mut frontproxy_peer) {
    // SAFETY: `peer` is NULL or came from frontproxy_authenticator_verify_peer, freed once.
    guard_value((), || unsafe { free_handle(peer) })
}
