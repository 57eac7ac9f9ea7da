//! `frontproxy_peer`: the verdicts on one TLS connection's client chain, made once by
//! `frontproxy_authenticator_verify_peer` and used for every request on that connection by
//! `frontproxy_authenticator_authenticate` (wraps [`crate::Peer`]).
//!
//! It keeps its own copy of the chain, so it renews itself when the authenticator was
//! reloaded or a certificate's validity ran out — a verdict is never trusted past what made it
//! true. It does not borrow from the authenticator: either may be freed first.

use super::boundary::{free_handle, guard_value};
use crate::Peer;

/// One connection's peer verification. Owned by the caller; free with `frontproxy_peer_free`.
/// Not thread-safe: use it from one thread at a time (it may move between threads, as a
/// connection does), because authenticating may renew it.
pub struct frontproxy_peer {
    pub(crate) inner: Peer,
}

/// Frees a peer handle (when its connection closes). NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_peer_free(peer: *mut frontproxy_peer) {
    // SAFETY: `peer` is NULL or came from frontproxy_authenticator_verify_peer, freed once.
    guard_value((), || unsafe { free_handle(peer) })
}
