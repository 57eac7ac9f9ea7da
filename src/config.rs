//! The validated authentication configuration and its Rust builder.
//!
//! Three sources produce the same [`AuthConfig`]: this builder, kube-apiserver-style flags
//! ([`crate::flags`]) and the `extension-apiserver-authentication` ConfigMap
//! ([`crate::configmap`]). An `AuthConfig` is immutable; a reload builds a new one.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::bundle::CaBundle;
pub use crate::bundle::ConfigError;
use crate::headers::{is_token, ClearSpec};

/// The standard header names (spec §4.1, §1.9 rule 32).
pub const STANDARD_USERNAME_HEADER: &str = "X-Remote-User";
pub const STANDARD_UID_HEADER: &str = "X-Remote-Uid";
pub const STANDARD_GROUP_HEADER: &str = "X-Remote-Group";
pub const STANDARD_EXTRA_PREFIX: &str = "X-Remote-Extra-";

/// Largest configuration file read (a CA bundle of the maximum size, or a ConfigMap document,
/// fits easily). A path pointing at `/dev/zero` or a FIFO is refused instead of read forever.
pub const MAX_CONFIG_FILE_BYTES: u64 = 8 << 20;

/// Reads a configuration file, refusing anything larger than [`MAX_CONFIG_FILE_BYTES`].
pub fn read_config_file(path: &str) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_CONFIG_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_CONFIG_FILE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {MAX_CONFIG_FILE_BYTES} bytes"),
        ));
    }
    Ok(bytes)
}

/// Bounds on the work one request can cause. Everything from the network is bounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most certificates a client may present (leaf plus intermediates).
    pub max_chain_certificates: usize,
    /// Most bytes of one presented certificate.
    pub max_certificate_bytes: usize,
    /// Most header lines in one request.
    pub max_header_count: usize,
    /// Most bytes of all header names and values together (Go's default MaxHeaderBytes is 1 MiB).
    pub max_header_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_chain_certificates: 8,
            max_certificate_bytes: 64 * 1024,
            max_header_count: 8192,
            max_header_bytes: 1 << 20,
        }
    }
}

/// A configured header name, with its lowercase form precomputed for matching.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderName {
    configured: String,
    lower: Vec<u8>,
    /// A name that is not an HTTP token (empty, a space in it...) can never match a request
    /// header, exactly as in Go where the lookup key would contain the space (spec §1.1 rule 2).
    /// A prefix only needs token bytes: Go compares prefixes with `strings.HasPrefix`, so the
    /// empty prefix matches every header (and clears every header after success).
    matchable: bool,
}

impl HeaderName {
    /// An exact header name (username, UID, group headers).
    pub fn new(name: &str) -> Self {
        HeaderName {
            configured: name.to_string(),
            lower: name.as_bytes().to_ascii_lowercase(),
            matchable: is_token(name.as_bytes()),
        }
    }

    /// A header-name prefix (extra headers).
    pub fn prefix(prefix: &str) -> Self {
        HeaderName {
            configured: prefix.to_string(),
            lower: prefix.as_bytes().to_ascii_lowercase(),
            matchable: prefix.is_empty() || is_token(prefix.as_bytes()),
        }
    }
    pub fn as_str(&self) -> &str {
        &self.configured
    }
    pub(crate) fn lower(&self) -> Option<&[u8]> {
        self.matchable.then_some(self.lower.as_slice())
    }
}

/// The request-header authenticator's configuration (spec §1.1).
#[derive(Clone, Debug)]
pub struct RequestHeaderConfig {
    pub(crate) ca: CaBundle,
    pub(crate) username_headers: Vec<HeaderName>,
    pub(crate) uid_headers: Vec<HeaderName>,
    pub(crate) group_headers: Vec<HeaderName>,
    pub(crate) extra_prefixes: Vec<HeaderName>,
    pub(crate) allowed_names: Vec<String>,
}

impl RequestHeaderConfig {
    pub fn ca(&self) -> &CaBundle {
        &self.ca
    }
    pub fn username_headers(&self) -> impl Iterator<Item = &str> {
        self.username_headers.iter().map(HeaderName::as_str)
    }
    pub fn uid_headers(&self) -> impl Iterator<Item = &str> {
        self.uid_headers.iter().map(HeaderName::as_str)
    }
    pub fn group_headers(&self) -> impl Iterator<Item = &str> {
        self.group_headers.iter().map(HeaderName::as_str)
    }
    pub fn extra_prefixes(&self) -> impl Iterator<Item = &str> {
        self.extra_prefixes.iter().map(HeaderName::as_str)
    }
    pub fn allowed_names(&self) -> &[String] {
        &self.allowed_names
    }
}

/// The header lists of the request-header authenticator, as strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestHeaderOptions {
    pub username_headers: Vec<String>,
    pub uid_headers: Vec<String>,
    pub group_headers: Vec<String>,
    pub extra_headers_prefix: Vec<String>,
    pub allowed_names: Vec<String>,
}

impl Default for RequestHeaderOptions {
    /// The kube-apiserver flag defaults (spec §4.1): `X-Remote-User`, `X-Remote-Group`,
    /// `X-Remote-Extra-`, no UID header, any CN.
    fn default() -> Self {
        RequestHeaderOptions {
            username_headers: vec![STANDARD_USERNAME_HEADER.into()],
            uid_headers: vec![],
            group_headers: vec![STANDARD_GROUP_HEADER.into()],
            extra_headers_prefix: vec![STANDARD_EXTRA_PREFIX.into()],
            allowed_names: vec![],
        }
    }
}

impl RequestHeaderOptions {
    /// All lists empty (what a ConfigMap without the list keys gives).
    pub fn empty() -> Self {
        RequestHeaderOptions {
            username_headers: vec![],
            uid_headers: vec![],
            group_headers: vec![],
            extra_headers_prefix: vec![],
            allowed_names: vec![],
        }
    }

    /// Flag validation (spec §4.1 rule 3), with the `RemoteRequestHeaderUID` gate on (its
    /// default since 1.33). Returns warnings for lists that lack the standard names.
    pub fn validate(&self) -> Result<Vec<String>, ConfigError> {
        for (flag, list) in [
            ("--requestheader-username-headers", &self.username_headers),
            ("--requestheader-uid-headers", &self.uid_headers),
            ("--requestheader-group-headers", &self.group_headers),
            (
                "--requestheader-extra-headers-prefix",
                &self.extra_headers_prefix,
            ),
            ("--requestheader-allowed-names", &self.allowed_names),
        ] {
            if let Some(pos) = list.iter().position(|v| v.trim().is_empty()) {
                return Err(ConfigError::new(
                    flag,
                    format!("entry #{} is empty or only whitespace: {list:?}", pos + 1),
                ));
            }
        }
        if !self.uid_headers.is_empty()
            && !self
                .uid_headers
                .iter()
                .any(|h| h.eq_ignore_ascii_case(STANDARD_UID_HEADER))
        {
            return Err(ConfigError::new(
                "--requestheader-uid-headers",
                format!(
                    "a non-empty list must contain {STANDARD_UID_HEADER} (case-insensitive): {:?}",
                    self.uid_headers
                ),
            ));
        }
        Ok(self.standard_name_warnings())
    }

    /// Lists that lack the standard names: API aggregation will not work (spec §4.1 rule 3).
    pub fn standard_name_warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        for (flag, list, standard) in [
            (
                "requestheader-username-headers",
                &self.username_headers,
                STANDARD_USERNAME_HEADER,
            ),
            (
                "requestheader-group-headers",
                &self.group_headers,
                STANDARD_GROUP_HEADER,
            ),
            (
                "requestheader-extra-headers-prefix",
                &self.extra_headers_prefix,
                STANDARD_EXTRA_PREFIX,
            ),
        ] {
            if !list.iter().any(|h| h.eq_ignore_ascii_case(standard)) {
                warnings.push(format!(
                    "{flag} {list:?} does not contain {standard}: API aggregation will not work"
                ));
            }
        }
        warnings
    }
}

/// The whole authentication configuration: request-header authenticator, x509 client-CA
/// authenticator, limits. Immutable; shared behind an `Arc`.
#[derive(Clone, Debug)]
pub struct AuthConfig {
    pub(crate) request_header: Option<RequestHeaderConfig>,
    pub(crate) client_ca: Option<CaBundle>,
    pub(crate) limits: Limits,
    pub(crate) clear: ClearSpec,
    pub(crate) generation: u64,
    pub(crate) warnings: Vec<String>,
}

static NEXT_GENERATION: AtomicU64 = AtomicU64::new(1);

impl AuthConfig {
    pub fn builder() -> AuthConfigBuilder {
        AuthConfigBuilder::default()
    }

    pub fn request_header(&self) -> Option<&RequestHeaderConfig> {
        self.request_header.as_ref()
    }
    pub fn client_ca(&self) -> Option<&CaBundle> {
        self.client_ca.as_ref()
    }
    pub fn limits(&self) -> &Limits {
        &self.limits
    }
    /// A process-unique number of this configuration value; every build gets a new one.
    pub fn generation(&self) -> u64 {
        self.generation
    }
    /// Non-fatal findings (header lists without the standard names).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
    /// The header names and prefixes that must be removed from a request after success
    /// (spec §1.6 and §1.9 rule 32).
    pub fn clear_spec(&self) -> &ClearSpec {
        &self.clear
    }
}

/// Builds an [`AuthConfig`]. `build` validates the lists like kube-apiserver's flags.
#[derive(Default)]
pub struct AuthConfigBuilder {
    request_header: Option<(CaBundle, RequestHeaderOptions)>,
    client_ca: Option<CaBundle>,
    limits: Option<Limits>,
}

impl AuthConfigBuilder {
    /// Enables the request-header authenticator with this CA and these header lists.
    pub fn request_header(mut self, ca: CaBundle, options: RequestHeaderOptions) -> Self {
        self.request_header = Some((ca, options));
        self
    }
    /// Enables the x509 client-certificate authenticator (`--client-ca-file`).
    pub fn client_ca(mut self, ca: CaBundle) -> Self {
        self.client_ca = Some(ca);
        self
    }
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = Some(limits);
        self
    }

    /// Validates (spec §4.1 rule 3) and builds.
    pub fn build(self) -> Result<AuthConfig, ConfigError> {
        let warnings = match &self.request_header {
            Some((_, options)) => options.validate()?,
            None => vec![],
        };
        let mut config = self.build_unvalidated()?;
        config.warnings = warnings;
        Ok(config)
    }

    /// Builds without the flag validation: ConfigMap lists are used exactly as written
    /// (spec §2 rule 3: entries are not trimmed or validated).
    pub(crate) fn build_unvalidated(self) -> Result<AuthConfig, ConfigError> {
        if self.request_header.is_none() && self.client_ca.is_none() {
            return Err(ConfigError::new(
                "configuration",
                "neither a request-header CA nor a client CA is configured; nothing could ever authenticate",
            ));
        }
        let limits = self.limits.unwrap_or_default();
        if limits.max_chain_certificates == 0
            || limits.max_header_count == 0
            || limits.max_header_bytes == 0
            || limits.max_certificate_bytes == 0
        {
            return Err(ConfigError::new("limits", "every limit must be at least 1"));
        }
        let request_header = self.request_header.map(|(ca, o)| {
            let names = |v: &[String]| v.iter().map(|s| HeaderName::new(s)).collect::<Vec<_>>();
            RequestHeaderConfig {
                ca,
                username_headers: names(&o.username_headers),
                uid_headers: names(&o.uid_headers),
                group_headers: names(&o.group_headers),
                extra_prefixes: o
                    .extra_headers_prefix
                    .iter()
                    .map(|p| HeaderName::prefix(p))
                    .collect(),
                allowed_names: o.allowed_names,
            }
        });
        let warnings = match &request_header {
            Some(rh) => RequestHeaderOptions {
                username_headers: rh.username_headers().map(String::from).collect(),
                uid_headers: vec![],
                group_headers: rh.group_headers().map(String::from).collect(),
                extra_headers_prefix: rh.extra_prefixes().map(String::from).collect(),
                allowed_names: vec![],
            }
            .standard_name_warnings(),
            None => vec![],
        };
        let clear = ClearSpec::for_config(request_header.as_ref());
        Ok(AuthConfig {
            request_header,
            client_ca: self.client_ca,
            limits,
            clear,
            generation: NEXT_GENERATION.fetch_add(1, Ordering::Relaxed),
            warnings,
        })
    }
}
