//! kube-apiserver-style authentication flags (spec §4.1), with the same names and defaults.
//!
//! List flags are pflag `StringSlice`s: CSV-parsed, not trimmed; the first use replaces the
//! default and a repeated flag appends. The header defaults apply only when
//! `--requestheader-client-ca-file` is given.

use crate::bundle::CaBundle;
use crate::config::{AuthConfig, RequestHeaderOptions};
use crate::error::ConfigError;
use crate::limits::Limits;

pub const REQUESTHEADER_CLIENT_CA_FILE: &str = "--requestheader-client-ca-file";
pub const REQUESTHEADER_ALLOWED_NAMES: &str = "--requestheader-allowed-names";
pub const REQUESTHEADER_USERNAME_HEADERS: &str = "--requestheader-username-headers";
pub const REQUESTHEADER_UID_HEADERS: &str = "--requestheader-uid-headers";
pub const REQUESTHEADER_GROUP_HEADERS: &str = "--requestheader-group-headers";
pub const REQUESTHEADER_EXTRA_HEADERS_PREFIX: &str = "--requestheader-extra-headers-prefix";
pub const CLIENT_CA_FILE: &str = "--client-ca-file";

/// Every flag [`KubeAuthFlags`] understands.
const FLAGS: [&str; 7] = [
    REQUESTHEADER_CLIENT_CA_FILE,
    REQUESTHEADER_ALLOWED_NAMES,
    REQUESTHEADER_USERNAME_HEADERS,
    REQUESTHEADER_UID_HEADERS,
    REQUESTHEADER_GROUP_HEADERS,
    REQUESTHEADER_EXTRA_HEADERS_PREFIX,
    CLIENT_CA_FILE,
];

/// The flags as given. `None` = not given (the default applies).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KubeAuthFlags {
    /// `--requestheader-client-ca-file`.
    pub requestheader_client_ca_file: Option<String>,
    /// `--client-ca-file`.
    pub client_ca_file: Option<String>,
    /// `--requestheader-username-headers`.
    pub username_headers: Option<Vec<String>>,
    /// `--requestheader-uid-headers`.
    pub uid_headers: Option<Vec<String>>,
    /// `--requestheader-group-headers`.
    pub group_headers: Option<Vec<String>>,
    /// `--requestheader-extra-headers-prefix`.
    pub extra_headers_prefix: Option<Vec<String>>,
    /// `--requestheader-allowed-names`.
    pub allowed_names: Option<Vec<String>>,
}

impl KubeAuthFlags {
    /// Every flag understood, by its kube-apiserver name.
    pub const NAMES: [&'static str; 7] = FLAGS;

    /// Parses `--flag=value` / `--flag value` arguments; any other argument is an error.
    pub fn parse<S: AsRef<str>>(args: &[S]) -> Result<KubeAuthFlags, ConfigError> {
        let mut flags = KubeAuthFlags::default();
        let mut i = 0;
        while i < args.len() {
            let arg = args[i].as_ref();
            let (name, value) = match arg.split_once('=') {
                Some((n, v)) => (n, v.to_string()),
                None => {
                    let v = args
                        .get(i + 1)
                        .ok_or_else(|| ConfigError::new(arg, "needs a value"))?;
                    i += 1;
                    (arg, v.as_ref().to_string())
                }
            };
            if !flags.set(name, &value)? {
                return Err(ConfigError::new(arg, "unknown flag"));
            }
            i += 1;
        }
        Ok(flags)
    }

    /// Applies one flag. `Ok(false)` when `name` is not one of [`KubeAuthFlags::NAMES`].
    pub fn set(&mut self, name: &str, value: &str) -> Result<bool, ConfigError> {
        let list = match name {
            REQUESTHEADER_CLIENT_CA_FILE => {
                self.requestheader_client_ca_file = Some(value.to_string());
                return Ok(true);
            }
            CLIENT_CA_FILE => {
                self.client_ca_file = Some(value.to_string());
                return Ok(true);
            }
            REQUESTHEADER_ALLOWED_NAMES => &mut self.allowed_names,
            REQUESTHEADER_USERNAME_HEADERS => &mut self.username_headers,
            REQUESTHEADER_UID_HEADERS => &mut self.uid_headers,
            REQUESTHEADER_GROUP_HEADERS => &mut self.group_headers,
            REQUESTHEADER_EXTRA_HEADERS_PREFIX => &mut self.extra_headers_prefix,
            _ => return Ok(false),
        };
        let values = parse_csv(value).map_err(|e| ConfigError::new(name, e))?;
        list.get_or_insert_with(Vec::new).extend(values);
        Ok(true)
    }

    /// Whether no flag was given.
    pub fn is_empty(&self) -> bool {
        *self == KubeAuthFlags::default()
    }

    /// Reads the CA files (bounded by the default [`Limits`]) and builds a validated
    /// configuration.
    pub fn to_config(&self) -> Result<AuthConfig, ConfigError> {
        let limits = Limits::DEFAULT;
        self.to_config_with(&limits, |flag, path| limits.read_document(path, flag))
    }

    /// Like [`Self::to_config`], reading the file of a flag through `read(flag, path)` (the
    /// configuration source reads each file once and watches it).
    pub(crate) fn to_config_with(
        &self,
        limits: &Limits,
        read: impl Fn(&str, &str) -> Result<Vec<u8>, ConfigError>,
    ) -> Result<AuthConfig, ConfigError> {
        let load = |flag: &str, path: &str| -> Result<CaBundle, ConfigError> {
            let bytes = read(flag, path)?;
            CaBundle::from_pem(&bytes, flag)
                .map_err(|e| ConfigError::new(flag, format!("{path:?}: {}", e.message)))
        };
        let mut builder = AuthConfig::builder().limits(*limits);
        match &self.requestheader_client_ca_file {
            Some(path) => {
                let defaults = RequestHeaderOptions::default();
                let options = RequestHeaderOptions {
                    username_headers: self
                        .username_headers
                        .clone()
                        .unwrap_or(defaults.username_headers),
                    uid_headers: self.uid_headers.clone().unwrap_or(defaults.uid_headers),
                    group_headers: self.group_headers.clone().unwrap_or(defaults.group_headers),
                    extra_headers_prefix: self
                        .extra_headers_prefix
                        .clone()
                        .unwrap_or(defaults.extra_headers_prefix),
                    allowed_names: self.allowed_names.clone().unwrap_or(defaults.allowed_names),
                };
                builder =
                    builder.request_header(load(REQUESTHEADER_CLIENT_CA_FILE, path)?, options);
            }
            None => {
                // Without the CA flag kube-apiserver would take every requestheader-* value
                // from the ConfigMap; silently dropping flags the operator gave would hide a
                // mistake, so say so.
                for (flag, given) in [
                    (REQUESTHEADER_ALLOWED_NAMES, self.allowed_names.is_some()),
                    (
                        REQUESTHEADER_USERNAME_HEADERS,
                        self.username_headers.is_some(),
                    ),
                    (REQUESTHEADER_UID_HEADERS, self.uid_headers.is_some()),
                    (REQUESTHEADER_GROUP_HEADERS, self.group_headers.is_some()),
                    (
                        REQUESTHEADER_EXTRA_HEADERS_PREFIX,
                        self.extra_headers_prefix.is_some(),
                    ),
                ] {
                    if given {
                        return Err(ConfigError::new(
                            flag,
                            format!("has no effect without {REQUESTHEADER_CLIENT_CA_FILE} (kube-apiserver would read it from the ConfigMap instead)"),
                        ));
                    }
                }
            }
        }
        if let Some(path) = &self.client_ca_file {
            builder = builder.client_ca(load(CLIENT_CA_FILE, path)?);
        }
        builder.build()
    }
}

/// pflag's `readAsCSV`: Go's `encoding/csv` reading one record, fields not trimmed, quotes
/// strict (a bare `"` in an unquoted field, text after a closing quote, or an unterminated
/// quote is an error, as kube-apiserver would refuse to start). `""` is an empty list.
fn parse_csv(value: &str) -> Result<Vec<String>, String> {
    let bad = |what: &str| {
        Err(format!(
            "cannot parse {value:?} as a comma-separated list: {what}"
        ))
    };
    // encoding/csv skips empty lines before the first record.
    let input = value.trim_start_matches(['\n', '\r']);
    if input.is_empty() {
        return Ok(Vec::new());
    }
    let mut fields = Vec::new();
    let mut chars = input.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return bad("a quoted field is not terminated"),
                }
            }
            match chars.peek() {
                None | Some(',') | Some('\n') | Some('\r') => {}
                Some(_) => return bad("extraneous text after a closing quote"),
            }
        } else {
            while let Some(&c) = chars.peek() {
                match c {
                    ',' | '\n' => break,
                    '"' => return bad("a bare quote in an unquoted field"),
                    _ => {
                        field.push(c);
                        chars.next();
                    }
                }
            }
            if field.ends_with('\r') && chars.peek() == Some(&'\n') {
                field.pop();
            }
        }
        fields.push(field);
        match chars.next() {
            Some(',') => continue,
            // The end of the first record: pflag reads only that one.
            _ => return Ok(fields),
        }
    }
}
