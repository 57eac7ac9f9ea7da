//! frontproxy: Kubernetes-compatible front-proxy (aggregation layer) authentication.
//!
//! Verify the proxy's client-certificate chain against the request-header CA, check its CN
//! against `requestheader-allowed-names`, and only then trust the `X-Remote-*` identity
//! headers — with exactly the semantics of k8s.io/apiserver. No async anywhere.
//!
//! ```no_run
//! use frontproxy::{AuthConfig, CaBundle, RequestHeaderOptions, RequestHeaders};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let ca = CaBundle::from_pem(&std::fs::read("front-proxy-ca.crt")?, "--requestheader-client-ca-file")?;
//! let config = AuthConfig::builder()
//!     .request_header(ca, RequestHeaderOptions { allowed_names: vec!["front-proxy-client".into()], ..Default::default() })
//!     .build()?;
//! let chain: Vec<rustls_pki_types::CertificateDer> = vec![/* from the TLS layer */];
//! let peer = config.verify_peer(&chain, rustls_pki_types::UnixTime::now()); // once per connection
//! let headers = [(&b"X-Remote-User"[..], &b"alice"[..])];
//! let result = config.authenticate(&peer, &RequestHeaders::from_pairs(&headers), rustls_pki_types::UnixTime::now());
//! # Ok(()) }
//! ```

pub mod authenticator;
pub mod bundle;
pub mod cache;
pub mod certinfo;
pub mod clock;
pub mod config;
pub mod configmap;
pub mod ffi;
pub mod flags;
pub mod headers;
pub mod identity;
pub mod reason;
pub mod reload;
pub mod tls;
pub mod user;
pub mod verify;
pub mod x509_user;

pub use authenticator::{
    Authentication, AuthenticatorKind, ClientCertVerdict, Decision, PeerVerification, ProxyVerdict,
};
pub use bundle::{CaBundle, ConfigError};
pub use cache::{CacheOptions, CacheStats, ChainDigest};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{
    AuthConfig, AuthConfigBuilder, Limits, RequestHeaderConfig, RequestHeaderOptions,
};
pub use headers::{ClearSpec, HeaderNames, HeaderPair, RequestHeaders};
pub use reason::{AuthError, Reason};
pub use reload::{Authenticator, AuthenticatorOptions, ConfigSource, ReloadStatus};
pub use rustls_pki_types::{CertificateDer, UnixTime};
pub use user::UserInfo;
pub use verify::VerifiedChain;

/// The library version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
