//! The validated authentication configuration and its Rust builder.
//!
//! Three sources produce the same [`AuthConfig`]: this builder, kube-apiserver-style flags
//! ([`crate::flags`]) and the `extension-apiserver-authentication` ConfigMap
//! ([`crate::configmap`]). An `AuthConfig` is immutable; a reload builds a new one.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::bundle::CaBundle;
use crate::clear::ClearSpec;
use crate::error::ConfigError;
use crate::header_roles::{ConfiguredNames, HeaderRoles};
use crate::http_syntax::is_token;
use crate::limits::Limits;

pub use crate::header_roles::{
    STANDARD_EXTRA_PREFIX, STANDARD_GROUP_HEADER, STANDARD_UID_HEADER, STANDARD_USERNAME_HEADER,
};

/// The request-header authenticator's configuration (spec §1.1).
#[derive(Clone, Debug)]
pub struct RequestHeaderConfig {
    /// `None` when a ConfigMap carries the header lists but no `requestheader-client-ca-file`:
    /// as in Kubernetes the authenticator then never has an opinion, but its configured
    /// header names are still cleared after every success (spec §1.9 rule 32).
    pub(crate) ca: Option<CaBundle>,
    /// The lists as configured (names that can never match included: they are reported, and
    /// never match).
    pub(crate) lists: RequestHeaderOptions,
}

impl RequestHeaderConfig {
    /// The request-header CA; `None` when only the header lists were configured.
    pub fn ca(&self) -> Option<&CaBundle> {
        self.ca.as_ref()
    }
    /// The username header names, in configured order.
    pub fn username_headers(&self) -> impl Iterator<Item = &str> {
        self.lists.username_headers.iter().map(String::as_str)
    }
    /// The UID header names, in configured order.
    pub fn uid_headers(&self) -> impl Iterator<Item = &str> {
        self.lists.uid_headers.iter().map(String::as_str)
    }
    /// The group header names, in configured order.
    pub fn group_headers(&self) -> impl Iterator<Item = &str> {
        self.lists.group_headers.iter().map(String::as_str)
    }
    /// The extra header name prefixes, in configured order.
    pub fn extra_prefixes(&self) -> impl Iterator<Item = &str> {
        self.lists.extra_headers_prefix.iter().map(String::as_str)
    }
    /// The CNs allowed for the front proxy's leaf (empty: any CN).
    pub fn allowed_names(&self) -> &[String] {
        &self.lists.allowed_names
    }
    /// Configured names that can never match a request header (not an HTTP token: a space or
    /// another separator in it; spec §1.1 rule 2), each with the list it is in. The empty
    /// prefix is not one of them: it matches every header.
    pub fn never_matching(&self) -> impl Iterator<Item = (&'static str, &str)> {
        let l = &self.lists;
        [
            ("requestheader-username-headers", &l.username_headers, false),
            ("requestheader-uid-headers", &l.uid_headers, false),
            ("requestheader-group-headers", &l.group_headers, false),
            (
                "requestheader-extra-headers-prefix",
                &l.extra_headers_prefix,
                true,
            ),
        ]
        .into_iter()
        .flat_map(|(list, names, prefix)| {
            names
                .iter()
                .filter(move |n| !(is_token(n.as_bytes()) || prefix && n.is_empty()))
                .map(move |n| (list, n.as_str()))
        })
    }
}

/// The header lists of the request-header authenticator, as strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestHeaderOptions {
    /// `--requestheader-username-headers`.
    pub username_headers: Vec<String>,
    /// `--requestheader-uid-headers`.
    pub uid_headers: Vec<String>,
    /// `--requestheader-group-headers`.
    pub group_headers: Vec<String>,
    /// `--requestheader-extra-headers-prefix`.
    pub extra_headers_prefix: Vec<String>,
    /// `--requestheader-allowed-names` (empty: any CN).
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
    /// A builder for a configuration.
    pub fn builder() -> AuthConfigBuilder {
        AuthConfigBuilder::default()
    }

    /// The request-header authenticator's configuration, if any (possibly without a CA: see
    /// [`RequestHeaderConfig::ca`]).
    pub fn request_header(&self) -> Option<&RequestHeaderConfig> {
        self.request_header.as_ref()
    }
    /// The request-header CA, when one is configured.
    pub fn request_header_ca(&self) -> Option<&CaBundle> {
        self.request_header.as_ref().and_then(|rh| rh.ca.as_ref())
    }
    /// The client CA (`--client-ca-file`), if any.
    pub fn client_ca(&self) -> Option<&CaBundle> {
        self.client_ca.as_ref()
    }
    /// The bounds applied to every request and document.
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

/// Why a configuration without any CA is refused (a deliberate difference from Kubernetes).
pub(crate) const NO_CA_CONFIGURED: &str = "neither a request-header CA nor a client CA is \
    configured, so nothing could ever authenticate; Kubernetes would serve every request as \
    system:anonymous, frontproxy refuses such a configuration instead (a deliberate difference, \
    see docs/semantics.md)";

/// Builds an [`AuthConfig`]. `build` validates the lists like kube-apiserver's flags.
#[derive(Default)]
pub struct AuthConfigBuilder {
    request_header: Option<(Option<CaBundle>, RequestHeaderOptions)>,
    client_ca: Option<CaBundle>,
    limits: Option<Limits>,
}

impl AuthConfigBuilder {
    /// Enables the request-header authenticator with this CA and these header lists.
    pub fn request_header(mut self, ca: CaBundle, options: RequestHeaderOptions) -> Self {
        self.request_header = Some((Some(ca), options));
        self
    }
    /// The request-header lists without a CA (a ConfigMap without
    /// `requestheader-client-ca-file`): no request is ever authenticated by headers, but the
    /// configured names are cleared after every success, as Kubernetes clears them.
    pub(crate) fn request_header_lists_only(mut self, options: RequestHeaderOptions) -> Self {
        self.request_header = Some((None, options));
        self
    }
    /// Enables the x509 client-certificate authenticator (`--client-ca-file`).
    pub fn client_ca(mut self, ca: CaBundle) -> Self {
        self.client_ca = Some(ca);
        self
    }
    /// Sets the bounds (default: [`Limits::DEFAULT`]).
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
        let has_request_header_ca = matches!(&self.request_header, Some((Some(_), _)));
        if !has_request_header_ca && self.client_ca.is_none() {
            return Err(ConfigError::new("configuration", NO_CA_CONFIGURED));
        }
        let limits = self.limits.unwrap_or_default();
        limits.validate()?;
        let request_header = self
            .request_header
            .map(|(ca, lists)| RequestHeaderConfig { ca, lists });
        let warnings = match &request_header {
            Some(rh) => rh.lists.standard_name_warnings(),
            None => vec![],
        };
        let empty = RequestHeaderOptions::empty();
        let lists = request_header.as_ref().map_or(&empty, |rh| &rh.lists);
        let clear = ClearSpec::new(HeaderRoles::new(&ConfiguredNames {
            username: &lists.username_headers,
            uid: &lists.uid_headers,
            group: &lists.group_headers,
            extra_prefix: &lists.extra_headers_prefix,
        }));
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
