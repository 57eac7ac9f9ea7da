//! Facts about one X.509 certificate that Kubernetes (Go `crypto/x509`) checks and
//! rustls-webpki does not, read once with x509-parser.
//!
//! webpki verifies signatures, validity of the end entity and intermediates, EKU, and
//! basicConstraints of intermediates. It does not look at the trust anchor's validity, EKU,
//! basicConstraints, KeyUsage or pathLen, nor at the KeyUsage of intermediates. Those rules
//! (spec §3.3 rules 9–12) are evaluated from the facts gathered here.

use x509_parser::der_parser::asn1_rs::Tag;
use x509_parser::der_parser::oid::Oid;
use x509_parser::prelude::*;

/// What one certificate says about the rules Go applies on a verification path.
#[derive(Clone, Debug)]
pub struct CertFacts {
    /// Subject as an RFC 4514-like string, for messages.
    pub subject: String,
    /// Issuer as an RFC 4514-like string, for messages.
    pub issuer: String,
    /// Serial number in decimal (as Go prints it).
    pub serial_decimal: String,
    /// `notBefore` (Unix seconds).
    pub not_before: i64,
    /// `notAfter` (Unix seconds).
    pub not_after: i64,
    /// Go's EKU rule for required usage clientAuth: no EKU extension, an empty one,
    /// anyExtendedKeyUsage or clientAuth all pass.
    pub eku_allows_client_auth: bool,
    /// The EKU purposes, for messages (`None` when the extension is absent).
    pub eku_description: Option<String>,
    /// `Ok` when the certificate may sign another one under Go's rule (v1 issuer, or
    /// basicConstraints CA=true, and keyCertSign when KeyUsage is present).
    pub issuer_check: Result<(), String>,
    /// The pathLenConstraint of basicConstraints, if any.
    pub path_len: Option<u32>,
    /// A critical extension Go does not handle, if any.
    pub unhandled_critical: Option<String>,
    /// The subjectKeyIdentifier, empty when absent.
    pub subject_key_id: Vec<u8>,
    /// The authorityKeyIdentifier's key identifier, empty when absent.
    pub authority_key_id: Vec<u8>,
}

/// Extensions Go's parser understands; a critical extension outside this list makes Go fail
/// the certificate with UnhandledCriticalExtension.
const HANDLED_EXTENSIONS: &[&str] = &[
    "2.5.29.14",         // subjectKeyIdentifier
    "2.5.29.15",         // keyUsage
    "2.5.29.17",         // subjectAltName
    "2.5.29.19",         // basicConstraints
    "2.5.29.30",         // nameConstraints
    "2.5.29.31",         // cRLDistributionPoints
    "2.5.29.32",         // certificatePolicies
    "2.5.29.35",         // authorityKeyIdentifier
    "2.5.29.37",         // extKeyUsage
    "1.3.6.1.5.5.7.1.1", // authorityInfoAccess
];

impl CertFacts {
    /// Reads the facts of a DER certificate. Fails when x509-parser cannot parse it.
    pub fn from_der(der: &[u8]) -> Result<CertFacts, String> {
        let (rest, cert) = X509Certificate::from_der(der).map_err(|e| e.to_string())?;
        if !rest.is_empty() {
            return Err("trailing data after the certificate".into());
        }
        Ok(Self::from_parsed(&cert))
    }

    pub(crate) fn from_parsed(cert: &X509Certificate<'_>) -> CertFacts {
        let (eku_allows_client_auth, eku_description) = match cert.extended_key_usage() {
            Ok(None) => (true, None),
            Ok(Some(ext)) => {
                let e = ext.value;
                let mut names = Vec::new();
                for (on, name) in [
                    (e.any, "any"),
                    (e.server_auth, "serverAuth"),
                    (e.client_auth, "clientAuth"),
                    (e.code_signing, "codeSigning"),
                    (e.email_protection, "emailProtection"),
                    (e.time_stamping, "timeStamping"),
                    (e.ocsp_signing, "OCSPSigning"),
                ] {
                    if on {
                        names.push(name.to_string());
                    }
                }
                names.extend(e.other.iter().map(|o| o.to_id_string()));
                let ok = e.any || e.client_auth || names.is_empty();
                (ok, Some(format!("[{}]", names.join(", "))))
            }
            Err(_) => (false, Some("<unparsable EKU>".into())),
        };
        let bc = cert
            .basic_constraints()
            .ok()
            .flatten()
            .map(|b| b.value.clone());
        let ku = cert.key_usage().ok().flatten().map(|k| *k.value);
        let is_v3 = cert.version() == X509Version::V3;
        let issuer_check = match (&bc, ku) {
            (None, _) if is_v3 => {
                Err("has no basicConstraints extension (CA=true required)".into())
            }
            (Some(b), _) if !b.ca => Err("has basicConstraints CA=false".into()),
            (_, Some(k)) if k.flags != 0 && !k.key_cert_sign() => {
                Err("has a KeyUsage extension without keyCertSign".into())
            }
            _ => Ok(()),
        };
        let unhandled_critical = cert
            .extensions()
            .iter()
            .filter(|ext| ext.critical)
            .map(|ext| ext.oid.to_id_string())
            .find(|oid| !HANDLED_EXTENSIONS.contains(&oid.as_str()));
        let mut subject_key_id = Vec::new();
        let mut authority_key_id = Vec::new();
        for ext in cert.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(k) => subject_key_id = k.0.to_vec(),
                ParsedExtension::AuthorityKeyIdentifier(a) => {
                    if let Some(k) = &a.key_identifier {
                        authority_key_id = k.0.to_vec();
                    }
                }
                _ => {}
            }
        }
        CertFacts {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            serial_decimal: cert.tbs_certificate.serial.to_string(),
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            eku_allows_client_auth,
            eku_description,
            issuer_check,
            path_len: bc.as_ref().and_then(|b| b.path_len_constraint),
            unhandled_critical,
            subject_key_id,
            authority_key_id,
        }
    }

    /// Go's validity rule: `NotBefore <= now <= NotAfter`, no skew allowance.
    pub fn validity_at(&self, now: i64) -> Validity {
        if now < self.not_before {
            Validity::NotYetValid
        } else if now > self.not_after {
            Validity::Expired
        } else {
            Validity::Valid
        }
    }

    /// A short name for messages: the subject, or `<empty subject>`.
    pub fn display_name(&self) -> &str {
        if self.subject.is_empty() {
            "<empty subject>"
        } else {
            &self.subject
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// A certificate's validity at an instant, by Go's rule.
pub enum Validity {
    /// `notBefore <= now <= notAfter`.
    Valid,
    /// `now < notBefore`.
    NotYetValid,
    /// `now > notAfter`.
    Expired,
}

/// Decodes a subject attribute value the way Go's x509 parser does for the string types it
/// accepts (UTF8String, PrintableString, IA5String, NumericString, T61String, BMPString).
/// Anything else — or bytes that are not valid in the declared type — is `None`; frontproxy
/// then rejects rather than guesses.
pub fn attribute_string(attr: &AttributeTypeAndValue<'_>) -> Option<String> {
    let value = attr.attr_value();
    let data: &[u8] = value.data;
    match value.tag() {
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::Ia5String
        | Tag::NumericString
        | Tag::T61String => std::str::from_utf8(data).ok().map(str::to_owned),
        Tag::BmpString => {
            if data.len() % 2 != 0 {
                return None;
            }
            let units = data
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]));
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .ok()
        }
        _ => None,
    }
}

/// The subject attributes of `oid`, in RDN order, decoded with [`attribute_string`].
/// `Err` names the first attribute that cannot be decoded.
pub fn subject_strings(cert: &X509Certificate<'_>, oid: &Oid<'_>) -> Result<Vec<String>, String> {
    name_strings(cert.subject(), oid)
}

/// The attributes of `oid` in a name, in RDN order, decoded with [`attribute_string`].
pub fn name_strings(name: &X509Name<'_>, oid: &Oid<'_>) -> Result<Vec<String>, String> {
    name.iter_attributes()
        .filter(|a| a.attr_type() == oid)
        .map(|a| {
            attribute_string(a).ok_or_else(|| {
                format!(
                    "subject attribute {} uses an ASN.1 type ({:?}) that is not a string type Go accepts",
                    oid.to_id_string(),
                    a.attr_value().tag()
                )
            })
        })
        .collect()
}

/// The leaf's `Subject.CommonName` as Go computes it: the **last** CN attribute
/// (spec §1.7 rule 22). `Ok(None)` when there is no CN.
pub fn last_common_name(cert: &X509Certificate<'_>) -> Result<Option<String>, String> {
    last_common_name_of(cert.subject())
}

/// [`last_common_name`] for a bare name.
pub fn last_common_name_of(name: &X509Name<'_>) -> Result<Option<String>, String> {
    Ok(name_strings(name, &x509_parser::oid_registry::OID_X509_COMMON_NAME)?.pop())
}

/// Formats bytes as Go prints key identifiers: uppercase hex separated by `:`.
pub fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Formats a Unix timestamp as RFC 3339 (UTC) for messages.
pub fn rfc3339(ts: i64) -> String {
    ::time::OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| {
            t.format(&::time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ts.to_string())
}
