//! The `kube-system/extension-apiserver-authentication` ConfigMap (spec §2), as
//! `kubectl get configmap -n kube-system extension-apiserver-authentication -o json|yaml`
//! prints it.
//!
//! CA keys are PEM bundles; list keys are JSON arrays of strings (missing, `""` or `null` = no
//! entries; anything else that is not an array of strings fails the whole ConfigMap). Lists are
//! used exactly as written: not trimmed, not validated.

use serde_json::Value;

use crate::bundle::CaBundle;
use crate::config::{AuthConfig, RequestHeaderOptions};
use crate::error::ConfigError;
use crate::limits::Limits;

pub const KEY_CLIENT_CA: &str = "client-ca-file";
pub const KEY_REQUESTHEADER_CA: &str = "requestheader-client-ca-file";
pub const KEY_USERNAME_HEADERS: &str = "requestheader-username-headers";
pub const KEY_UID_HEADERS: &str = "requestheader-uid-headers";
pub const KEY_GROUP_HEADERS: &str = "requestheader-group-headers";
pub const KEY_EXTRA_HEADERS_PREFIX: &str = "requestheader-extra-headers-prefix";
pub const KEY_ALLOWED_NAMES: &str = "requestheader-allowed-names";

/// The `.data` of the ConfigMap, key by key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigMapData {
    /// `client-ca-file` (PEM).
    pub client_ca: Option<String>,
    /// `requestheader-client-ca-file` (PEM).
    pub requestheader_ca: Option<String>,
    /// `requestheader-username-headers`.
    pub username_headers: Vec<String>,
    /// `requestheader-uid-headers`.
    pub uid_headers: Vec<String>,
    /// `requestheader-group-headers`.
    pub group_headers: Vec<String>,
    /// `requestheader-extra-headers-prefix`.
    pub extra_headers_prefix: Vec<String>,
    /// `requestheader-allowed-names`.
    pub allowed_names: Vec<String>,
}

impl ConfigMapData {
    /// Parses the ConfigMap document (JSON or YAML), bounded by the default [`Limits`].
    pub fn parse(doc: &[u8]) -> Result<ConfigMapData, ConfigError> {
        Self::parse_bounded(doc, &Limits::DEFAULT)
    }

    /// Parses the ConfigMap document (JSON or YAML), refusing one over `limits`.
    pub(crate) fn parse_bounded(doc: &[u8], limits: &Limits) -> Result<ConfigMapData, ConfigError> {
        const SRC: &str = "configmap";
        limits.check_document(doc.len(), SRC)?;
        let first = doc.iter().find(|b| !b.is_ascii_whitespace());
        let value: Value = if first == Some(&b'{') {
            serde_json::from_slice(doc)
                .map_err(|e| ConfigError::new(SRC, format!("invalid JSON: {e}")))?
        } else {
            let text = std::str::from_utf8(doc)
                .map_err(|e| ConfigError::new(SRC, format!("invalid YAML: not UTF-8 ({e})")))?;
            serde_saphyr::from_str(text)
                .map_err(|e| ConfigError::new(SRC, format!("invalid YAML: {e}")))?
        };
        let Value::Object(obj) = &value else {
            return Err(ConfigError::new(SRC, "the document is not an object"));
        };
        if let Some(kind) = obj.get("kind") {
            if kind != "ConfigMap" {
                return Err(ConfigError::new(
                    SRC,
                    format!("kind is {kind}, not ConfigMap"),
                ));
            }
        }
        let data = match obj.get("data") {
            None | Some(Value::Null) => serde_json::Map::new(),
            Some(Value::Object(d)) => d.clone(),
            Some(other) => {
                return Err(ConfigError::new(
                    "data",
                    format!("must be a map of strings, got {other}"),
                ))
            }
        };
        let string = |key: &str| -> Result<Option<String>, ConfigError> {
            match data.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(ConfigError::new(
                    key,
                    format!("must be a string, got {other}"),
                )),
            }
        };
        let list = |key: &str| -> Result<Vec<String>, ConfigError> {
            let Some(s) = string(key)? else {
                return Ok(Vec::new());
            };
            if s.is_empty() {
                return Ok(Vec::new());
            }
            // Go's json.Unmarshal into []string: null → nil, a null element → "".
            let parsed: Option<Vec<Option<String>>> = serde_json::from_str(&s).map_err(|e| {
                ConfigError::new(key, format!("is not a JSON array of strings ({e}): {s:?}"))
            })?;
            Ok(parsed
                .unwrap_or_default()
                .into_iter()
                .map(Option::unwrap_or_default)
                .collect())
        };
        Ok(ConfigMapData {
            client_ca: string(KEY_CLIENT_CA)?,
            requestheader_ca: string(KEY_REQUESTHEADER_CA)?,
            username_headers: list(KEY_USERNAME_HEADERS)?,
            uid_headers: list(KEY_UID_HEADERS)?,
            group_headers: list(KEY_GROUP_HEADERS)?,
            extra_headers_prefix: list(KEY_EXTRA_HEADERS_PREFIX)?,
            allowed_names: list(KEY_ALLOWED_NAMES)?,
        })
    }

    /// The header lists as [`RequestHeaderOptions`], exactly as written.
    pub fn request_header_options(&self) -> RequestHeaderOptions {
        RequestHeaderOptions {
            username_headers: self.username_headers.clone(),
            uid_headers: self.uid_headers.clone(),
            group_headers: self.group_headers.clone(),
            extra_headers_prefix: self.extra_headers_prefix.clone(),
            allowed_names: self.allowed_names.clone(),
        }
    }

    /// Builds the configuration. A missing CA key disables that authenticator (Go's provider
    /// then reports "no CA loaded" → no opinion); an empty or unparsable one is an error.
    /// Without `requestheader-client-ca-file` the header lists still count for clearing:
    /// Kubernetes builds the request-header configuration from them and removes the
    /// configured names after every success (spec §1.9 rule 32).
    pub fn to_config(&self) -> Result<AuthConfig, ConfigError> {
        self.to_config_bounded(&Limits::DEFAULT)
    }

    pub(crate) fn to_config_bounded(&self, limits: &Limits) -> Result<AuthConfig, ConfigError> {
        let mut builder = AuthConfig::builder().limits(*limits);
        builder = match &self.requestheader_ca {
            Some(pem) => builder.request_header(
                CaBundle::from_pem(pem.as_bytes(), KEY_REQUESTHEADER_CA)?,
                self.request_header_options(),
            ),
            None => builder.request_header_lists_only(self.request_header_options()),
        };
        if let Some(pem) = &self.client_ca {
            builder = builder.client_ca(CaBundle::from_pem(pem.as_bytes(), KEY_CLIENT_CA)?);
        }
        if self.requestheader_ca.is_none() && self.client_ca.is_none() {
            return Err(ConfigError::new(
                "configmap",
                format!(
                    "neither {KEY_REQUESTHEADER_CA} nor {KEY_CLIENT_CA} is present in .data: {}",
                    crate::config::NO_CA_CONFIGURED
                ),
            ));
        }
        builder.build_unvalidated()
    }
}

/// Parses a ConfigMap document and builds the configuration.
pub fn config_from_configmap(doc: &[u8]) -> Result<AuthConfig, ConfigError> {
    config_from_configmap_bounded(doc, &Limits::DEFAULT)
}

pub(crate) fn config_from_configmap_bounded(
    doc: &[u8],
    limits: &Limits,
) -> Result<AuthConfig, ConfigError> {
    ConfigMapData::parse_bounded(doc, limits)?.to_config_bounded(limits)
}
