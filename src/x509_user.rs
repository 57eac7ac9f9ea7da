//! The `--client-ca-file` authenticator's user conversion (spec §3.1–§3.2,
//! `CommonNameUserConversion`): CN → name, O → groups, the credential-id extra, UID from the
//! subject attribute 1.3.6.1.4.1.57683.2.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use x509_parser::der_parser::oid::Oid;
use x509_parser::prelude::*;

use crate::certinfo::{attribute_string, colon_hex, last_common_name, subject_strings};
use crate::error::{AuthError, Reason};
use crate::user::UserInfo;

/// The extra key Kubernetes sets for x509 users (1.32+).
pub const CREDENTIAL_ID_KEY: &str = "authentication.kubernetes.io/credential-id";

/// Converts a verified leaf into a user. `Ok(None)` is NO-OPINION (empty CN).
pub fn user_from_certificate(leaf_der: &[u8]) -> Result<Option<UserInfo>, AuthError> {
    let (_, cert) = X509Certificate::from_der(leaf_der).map_err(|e| {
        AuthError::new(
            Reason::MalformedCertificate,
            format!("the client certificate cannot be parsed: {e}"),
        )
    })?;
    let unreadable = |e: String| AuthError::new(Reason::CommonNameUnreadable, e);
    let name = match last_common_name(&cert).map_err(unreadable)? {
        Some(cn) if !cn.is_empty() => cn,
        _ => return Ok(None),
    };
    let groups = subject_strings(
        &cert,
        &x509_parser::oid_registry::OID_X509_ORGANIZATION_NAME,
    )
    .map_err(unreadable)?;
    let uid = read_uid(&cert)?;
    let mut extra = BTreeMap::new();
    extra.insert(
        CREDENTIAL_ID_KEY.to_string(),
        vec![format!(
            "X509SHA256={}",
            hex::encode(Sha256::digest(leaf_der))
        )],
    );
    Ok(Some(UserInfo {
        name,
        uid,
        groups,
        extra,
    }))
}

/// UID rules (spec §3.2 rule 7): none → ""; exactly one string → it, but not empty; a
/// non-string value or several attributes → error.
fn read_uid(cert: &X509Certificate<'_>) -> Result<String, AuthError> {
    let oid = Oid::from(&[1, 3, 6, 1, 4, 1, 57683, 2]).expect("static OID");
    let attrs: Vec<_> = cert
        .subject()
        .iter_attributes()
        .filter(|a| a.attr_type() == &oid)
        .collect();
    match attrs.as_slice() {
        [] => Ok(String::new()),
        [one] => match attribute_string(one) {
            Some(s) if s.is_empty() => Err(AuthError::new(
                Reason::InvalidCertificateUid,
                "UID cannot be an empty string",
            )),
            Some(s) => Ok(s),
            None => Err(AuthError::new(
                Reason::InvalidCertificateUid,
                "unable to parse UID into a string",
            )),
        },
        many => Err(AuthError::new(
            Reason::InvalidCertificateUid,
            format!(
                "expected 1 UID, but found multiple: [{}]",
                many.iter()
                    .map(|a| attribute_string(a).unwrap_or_else(|| "<non-string>".into()))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        )),
    }
}

/// Go's prefix for x509 authenticator errors:
/// `verifying certificate SN=<decimal>, SKID=<hex>, AKID=<hex> failed: `.
pub fn verification_error_prefix(leaf_der: &[u8]) -> String {
    match crate::certinfo::CertFacts::from_der(leaf_der) {
        Ok(f) => format!(
            "verifying certificate SN={}, SKID={}, AKID={} failed",
            f.serial_decimal,
            colon_hex(&f.subject_key_id),
            colon_hex(&f.authority_key_id)
        ),
        Err(_) => "verifying certificate SN=<nil>, SKID=, AKID= failed".into(),
    }
}
