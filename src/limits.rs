//! The one bounds policy: how much work and memory any input can cause.
//!
//! Every input from the network or a C caller is hostile. Chains and headers are checked
//! against [`Limits`] **before** their contents are read (from their counts and lengths
//! alone), so an absurd count or length becomes a rejection instead of a huge allocation or a
//! long scan; configuration documents and files are checked before they are parsed. Every
//! front end (the core's own paths, the C ABI, the CLI, the bindings) calls these checks;
//! none re-implements them.

use std::io::Read;

use crate::error::{AuthError, ConfigError, Reason};

/// Bounds on the work one request, configuration document or argument list can cause.
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
    /// Most bytes of a configuration document: a ConfigMap, or a CA bundle file.
    pub max_document_bytes: usize,
    /// Most flag arguments, and most bytes of one.
    pub max_flag_arguments: usize,
    /// Most bytes of one flag argument.
    pub max_flag_argument_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

impl Limits {
    /// The defaults: 8 certificates of at most 64 KiB, 8192 header lines in at most 1 MiB,
    /// documents of at most 4 MiB (Kubernetes objects are at most ~1.5 MiB), 1024 flag
    /// arguments of at most 64 KiB.
    pub const DEFAULT: Limits = Limits {
        max_chain_certificates: 8,
        max_certificate_bytes: 64 * 1024,
        max_header_count: 8192,
        max_header_bytes: 1 << 20,
        max_document_bytes: 4 << 20,
        max_flag_arguments: 1024,
        max_flag_argument_bytes: 64 * 1024,
    };

    /// Every bound must be at least 1.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let all = [
            self.max_chain_certificates,
            self.max_certificate_bytes,
            self.max_header_count,
            self.max_header_bytes,
            self.max_document_bytes,
            self.max_flag_arguments,
            self.max_flag_argument_bytes,
        ];
        if all.contains(&0) {
            return Err(ConfigError::new("limits", "every limit must be at least 1"));
        }
        Ok(())
    }

    /// A presented chain, from its shape alone: `count` certificates, the `i`-th of
    /// `cert_len(i)` bytes (leaf first). Reads no certificate.
    pub fn check_chain(
        &self,
        count: usize,
        cert_len: impl Fn(usize) -> usize,
    ) -> Result<(), AuthError> {
        if count > self.max_chain_certificates {
            return Err(AuthError::new(
                Reason::ChainTooLong,
                format!(
                    "the client presented {count} certificates; at most {} are accepted",
                    self.max_chain_certificates
                ),
            ));
        }
        for i in 0..count {
            let len = cert_len(i);
            if len > self.max_certificate_bytes {
                return Err(AuthError::new(
                    Reason::MalformedCertificate,
                    format!(
                        "presented certificate #{} has {len} bytes; at most {} are accepted",
                        i + 1,
                        self.max_certificate_bytes
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A request's header lines, from their shape alone: `count` lines, the `i`-th with a
    /// name and a value of `lens(i)` bytes. Reads no header.
    pub fn check_headers(
        &self,
        count: usize,
        lens: impl Fn(usize) -> (usize, usize),
    ) -> Result<(), AuthError> {
        if count > self.max_header_count {
            return Err(AuthError::new(
                Reason::HeadersTooLarge,
                format!(
                    "the request has {count} header lines; at most {} are accepted",
                    self.max_header_count
                ),
            ));
        }
        let mut total = 0usize;
        for i in 0..count {
            let (name, value) = lens(i);
            total = total.saturating_add(name).saturating_add(value);
            if total > self.max_header_bytes {
                return Err(self.headers_exceed_bytes());
            }
        }
        Ok(())
    }

    pub(crate) fn headers_exceed_bytes(&self) -> AuthError {
        AuthError::new(
            Reason::HeadersTooLarge,
            format!("the request headers exceed {} bytes", self.max_header_bytes),
        )
    }

    /// A configuration document of `len` bytes, named `source` in the error.
    pub fn check_document(&self, len: usize, source: &str) -> Result<(), ConfigError> {
        if len > self.max_document_bytes {
            return Err(ConfigError::new(
                source,
                format!(
                    "the document has {len} bytes; at most {} are accepted",
                    self.max_document_bytes
                ),
            ));
        }
        Ok(())
    }

    /// Reads a configuration file through its path (a symlink swap is seen), refusing one
    /// larger than [`Limits::max_document_bytes`] without reading past the limit: a path to
    /// `/dev/zero` or a FIFO is refused instead of read forever. `source` names the flag or key.
    pub fn read_document(&self, path: &str, source: &str) -> Result<Vec<u8>, ConfigError> {
        let cannot = |e: &dyn std::fmt::Display| {
            ConfigError::new(source, format!("cannot read {path:?}: {e}"))
        };
        if path.is_empty() {
            return Err(cannot(&"the file name is empty"));
        }
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| {
                f.take(self.max_document_bytes as u64 + 1)
                    .read_to_end(&mut bytes)
            })
            .map_err(|e| cannot(&e))?;
        if bytes.len() > self.max_document_bytes {
            return Err(cannot(&format_args!(
                "larger than {} bytes (the limit)",
                self.max_document_bytes
            )));
        }
        Ok(bytes)
    }

    /// Flag arguments as given like argv: at most [`Limits::max_flag_arguments`], each at most
    /// [`Limits::max_flag_argument_bytes`].
    pub fn check_flag_arguments(
        &self,
        count: usize,
        arg_len: impl Fn(usize) -> usize,
    ) -> Result<(), ConfigError> {
        if count > self.max_flag_arguments {
            return Err(ConfigError::new(
                "flags",
                format!(
                    "{count} flag arguments given; at most {} are accepted",
                    self.max_flag_arguments
                ),
            ));
        }
        for i in 0..count {
            let len = arg_len(i);
            if len > self.max_flag_argument_bytes {
                return Err(ConfigError::new(
                    format!("flag argument #{}", i + 1),
                    format!(
                        "has {len} bytes; at most {} are accepted",
                        self.max_flag_argument_bytes
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_are_judged_by_shape_before_any_byte_is_read() {
        let l = Limits::DEFAULT;
        let e = l.check_chain(9, |_| unreachable!()).unwrap_err();
        assert_eq!(e.reason, Reason::ChainTooLong);
        let e = l.check_chain(2, |i| [10, usize::MAX][i]).unwrap_err();
        assert_eq!(e.reason, Reason::MalformedCertificate);
        assert!(e.message.contains("#2"), "{e}");
        assert!(l.check_chain(8, |_| 64 * 1024).is_ok());
    }

    #[test]
    fn header_totals_saturate_instead_of_overflowing() {
        let l = Limits::DEFAULT;
        let e = l
            .check_headers(2, |_| (usize::MAX, usize::MAX))
            .unwrap_err();
        assert_eq!(e.reason, Reason::HeadersTooLarge);
        let e = l.check_headers(8193, |_| unreachable!()).unwrap_err();
        assert_eq!(e.reason, Reason::HeadersTooLarge);
        assert!(l.check_headers(8192, |_| (64, 64)).is_ok());
    }

    #[test]
    fn documents_and_flags_are_bounded() {
        let l = Limits::DEFAULT;
        assert!(l.check_document(4 << 20, "configmap").is_ok());
        let e = l.check_document((4 << 20) + 1, "configmap").unwrap_err();
        assert!(e.message.contains("at most 4194304"), "{e}");
        assert!(l.check_flag_arguments(1025, |_| 1).is_err());
        let e = l.check_flag_arguments(2, |i| [1, 70_000][i]).unwrap_err();
        assert_eq!(e.source, "flag argument #2");
        let zero = Limits {
            max_header_count: 0,
            ..Limits::DEFAULT
        };
        assert!(zero.validate().is_err());
    }
}
