//! frontproxy: Kubernetes-compatible front-proxy (aggregation layer) authentication.
//!
//! Verify the proxy's client-certificate chain against the request-header CA, check its CN
//! against `requestheader-allowed-names`, and only then trust the `X-Remote-*` identity
//! headers — with exactly the semantics of k8s.io/apiserver (`docs/semantics.md`). No async
//! anywhere.
//!
//! Data flows one way: configuration ([`AuthConfig`], from [`KubeAuthFlags`], a ConfigMap or
//! the builder; bounded by [`Limits`]) → chain verification → peer verdicts ([`Peer`],
//! [`PeerVerification`]) → the verdict cache → the header step → the decision
//! ([`AuthenticationRef`], borrowing from the request; [`Authentication`] owned).
//!
//! ```no_run
//! use frontproxy::{AuthConfig, Authenticator, CaBundle, Handshake, RequestHeaderOptions, RequestHeaders};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let ca = CaBundle::from_pem(&std::fs::read("front-proxy-ca.crt")?, "--requestheader-client-ca-file")?;
//! let config = AuthConfig::builder()
//!     .request_header(ca, RequestHeaderOptions { allowed_names: vec!["front-proxy-client".into()], ..Default::default() })
//!     .build()?;
//! let auth = Authenticator::new(config); // shared by all threads
//! let chain: Vec<frontproxy::CertificateDer> = vec![/* from the TLS layer */];
//! let mut peer = auth.verify_peer(&chain, Handshake::Full); // once per connection
//! let pairs = [(&b"X-Remote-User"[..], &b"alice"[..])];
//! let headers = RequestHeaders::from_pairs(&pairs);
//! let result = auth.authenticate(&mut peer, &headers); // per request
//! # Ok(()) }
//! ```

#![deny(unsafe_code)]
#![warn(missing_docs)]

mod authenticator;
mod bundle;
mod certinfo;
mod clear;
mod clock;
mod config;
mod configmap;
mod decision;
mod error;
#[cfg(feature = "capi")]
#[allow(unsafe_code)]
pub mod ffi;
mod flags;
mod header_roles;
mod header_step;
mod headers;
mod http_syntax;
mod limits;
mod metrics;
mod peer;
mod pem_chain;
mod source;
pub mod tls;
mod user;
mod verdict;
mod verdict_cache;
mod verify;
mod x509_user;

pub use authenticator::{Authenticator, AuthenticatorOptions, Snapshot};
pub use bundle::{BundleCert, CaBundle, MAX_BUNDLE_CERTIFICATES};
pub use certinfo::{CertFacts, Validity};
pub use clear::ClearSpec;
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{
    AuthConfig, AuthConfigBuilder, RequestHeaderConfig, RequestHeaderOptions,
    STANDARD_EXTRA_PREFIX, STANDARD_GROUP_HEADER, STANDARD_UID_HEADER, STANDARD_USERNAME_HEADER,
};
pub use configmap::{config_from_configmap, ConfigMapData};
pub use decision::{
    Authentication, AuthenticationRef, AuthenticatorKind, ClearHeaders, Decision, DecisionRef,
    HeaderNames, Opinion, Opinions,
};
pub use error::{AuthError, ConfigError, Reason, MAX_MESSAGE_BYTES};
pub use flags::KubeAuthFlags;
pub use header_step::decode_extra_key;
pub use headers::{HeaderPair, RequestHeaders};
pub use limits::Limits;
pub use metrics::Metrics;
pub use peer::{Handshake, Peer};
pub use pem_chain::{chain_from_pem, chain_from_pem_file};
pub use rustls_pki_types::{CertificateDer, UnixTime};
pub use source::{ConfigSource, ReloadStatus};
pub use user::{UserInfo, UserRef, ANONYMOUS_USER, AUTHENTICATED_GROUP, UNAUTHENTICATED_GROUP};
pub use verdict::{ClientCertVerdict, PeerVerification, ProxyVerdict};
pub use verdict_cache::{CacheOptions, CacheStats};
pub use verify::{crypto_provider, VerifiedChain};
pub use x509_user::CREDENTIAL_ID_KEY;

/// The library version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
