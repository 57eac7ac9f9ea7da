//! Argument parsing shared by the subcommands: the configuration (ConfigMap file or
//! kube-apiserver-style flags) and `--at`.

use frontproxy::{AuthConfig, Limits, UnixTime};
use frontproxy::{ConfigSource, KubeAuthFlags};

use crate::UsageError;

/// Where the configuration comes from.
#[derive(Default)]
pub struct ConfigArgs {
    pub configmap: Option<String>,
    pub flags: KubeAuthFlags,
}

impl ConfigArgs {
    /// Consumes `args[*i]` (and its value) if it is a configuration argument.
    pub fn take(&mut self, args: &[String], i: &mut usize) -> Result<bool, UsageError> {
        let (name, inline) = split_flag(&args[*i]);
        let name = name.as_str();
        if name != "--configmap" && !KubeAuthFlags::NAMES.contains(&name) {
            return Ok(false);
        }
        let value = value_of(name, inline, args, i)?;
        if name == "--configmap" {
            if self.configmap.is_some() {
                return Err(UsageError("--configmap given twice".into()));
            }
            self.configmap = Some(value);
        } else {
            self.flags.set(name, &value)?;
        }
        Ok(true)
    }

    /// Loads the configuration: exactly one of the two sources.
    pub fn load(&self) -> Result<AuthConfig, UsageError> {
        match (&self.configmap, self.flags.is_empty()) {
            (Some(_), false) => Err(UsageError(
                "give either --configmap or the kube-apiserver-style flags, not both".into(),
            )),
            (Some(path), true) => ConfigSource::ConfigMapFile(path.into())
                .load()
                .map_err(|e| UsageError(format!("--configmap {path:?}: {e}"))),
            (None, false) => Ok(ConfigSource::Flags(self.flags.clone()).load()?),
            (None, true) => Err(UsageError(
                "no configuration: give --configmap FILE or --requestheader-client-ca-file / --client-ca-file".into(),
            )),
        }
    }
}

/// Splits `--flag=value` into the flag and its inline value; anything else is returned whole.
pub fn split_flag(arg: &str) -> (String, Option<String>) {
    match arg.split_once('=') {
        Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
        _ => (arg.to_string(), None),
    }
}

/// The value of a flag: inline (`--flag=value`) or the next argument.
pub fn value_of(
    name: &str,
    inline: Option<String>,
    args: &[String],
    i: &mut usize,
) -> Result<String, UsageError> {
    match inline {
        Some(v) => Ok(v),
        None => {
            *i += 1;
            args.get(*i)
                .cloned()
                .ok_or_else(|| UsageError(format!("{name} needs a value")))
        }
    }
}

/// Parses an RFC 3339 instant.
pub fn parse_at(value: &str) -> Result<UnixTime, UsageError> {
    let t = time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339)
        .map_err(|e| UsageError(format!("--at {value:?} is not an RFC 3339 time: {e}")))?;
    let secs = u64::try_from(t.unix_timestamp())
        .map_err(|_| UsageError(format!("--at {value:?} is before 1970")))?;
    Ok(UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        secs,
    )))
}

/// A Unix timestamp as RFC 3339 (UTC), for messages.
pub fn rfc3339(ts: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ts.to_string())
}

/// The command line as the OS gave it: never decoded with a panic. `text` is each argument
/// as UTF-8 (lossy where it is not), `raw` its bytes; [`Argv::check`] refuses what the
/// subcommands cannot take.
pub struct Argv {
    pub text: Vec<String>,
    pub raw: Vec<Vec<u8>>,
}

impl Argv {
    pub fn from_os(args: Vec<std::ffi::OsString>) -> Argv {
        let raw: Vec<Vec<u8>> = args.iter().map(|a| os_bytes(a)).collect();
        let text = raw
            .iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect();
        Argv { text, raw }
    }

    /// Whether argument `i` is the value of `--header` (only `check` has one): its bytes go
    /// to the library, which judges them like a request's.
    fn is_header_value(&self, i: usize) -> bool {
        self.raw[i].starts_with(b"--header=") || (i > 0 && self.raw[i - 1] == b"--header")
    }

    /// Every argument (numbered from 1, the command) but a `--header` value of `check` must be UTF-8 and at most
    /// [`Limits::max_flag_argument_bytes`] long.
    pub fn check(&self, has_headers: bool) -> Result<(), UsageError> {
        let max = Limits::DEFAULT.max_flag_argument_bytes;
        for (i, raw) in self.raw.iter().enumerate() {
            if has_headers && self.is_header_value(i) {
                continue;
            }
            if raw.len() > max {
                return Err(UsageError(format!(
                    "argument #{} ({}...) has {} bytes; at most {max} are accepted: give large \
                     content in a file",
                    i + 1,
                    shorten(&self.text[i]),
                    raw.len(),
                )));
            }
            if std::str::from_utf8(raw).is_err() {
                return Err(UsageError(format!(
                    "argument #{} {:?} is not valid UTF-8 (\u{fffd} marks the bad bytes); \
                     only --header values may hold arbitrary bytes",
                    i + 1,
                    shorten(&self.text[i])
                )));
            }
        }
        Ok(())
    }
}

/// The first characters of an argument, for a message.
fn shorten(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(unix)]
fn os_bytes(s: &std::ffi::OsStr) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    s.as_bytes().to_vec()
}

#[cfg(not(unix))]
fn os_bytes(s: &std::ffi::OsStr) -> Vec<u8> {
    s.to_string_lossy().into_owned().into_bytes()
}
