//! The few fields of a certificate that frontproxy reads itself, found by walking the DER of
//! the TBSCertificate: webpki parses and verifies certificates but does not expose validity,
//! subject or KeyUsage, and a full x509-parser parse per request would cost more than needed.

use x509_parser::extensions::KeyUsage;

use crate::error::{AuthError, Reason};

/// What the path callback and the allowed-names check need from the leaf, read in one cheap
/// parse (extensions are not decoded).
pub(crate) struct LeafFacts {
    pub not_before: i64,
    pub not_after: i64,
    /// Go's `Subject.CommonName` (the last CN), or why it cannot be read.
    pub common_name: Result<Option<String>, String>,
}

/// The fields of a TBSCertificate that frontproxy reads itself, located by walking the DER
/// (webpki parses and verifies the certificate; this only finds what webpki does not expose).
struct TbsView<'a> {
    validity: &'a [u8],
    subject: &'a [u8],
    /// The content of the `[3]` extensions wrapper, if present.
    extensions: Option<&'a [u8]>,
}

fn walk_tbs(der: &[u8]) -> Option<TbsView<'_>> {
    use x509_parser::der_parser::asn1_rs::{Any, Class, FromDer as _};
    fn next<'a>(rest: &mut &'a [u8]) -> Option<(Any<'a>, &'a [u8])> {
        let before = *rest;
        let (r, any) = Any::from_der(before).ok()?;
        *rest = r;
        Some((any, &before[..before.len() - r.len()]))
    }
    let (_, certificate) = Any::from_der(der).ok()?;
    let (_, tbs) = Any::from_der(certificate.data).ok()?;
    let mut rest = tbs.data;
    let (first, _) = next(&mut rest)?;
    if first.class() == Class::ContextSpecific {
        next(&mut rest)?; // serialNumber, after the explicit [0] version
    }
    next(&mut rest)?; // signature AlgorithmIdentifier
    next(&mut rest)?; // issuer
    let (_, validity) = next(&mut rest)?;
    let (_, subject) = next(&mut rest)?;
    next(&mut rest)?; // subjectPublicKeyInfo
    let mut extensions = None;
    while !rest.is_empty() {
        let (field, _) = next(&mut rest)?;
        if field.class() == Class::ContextSpecific && field.tag().0 == 3 {
            let (_, seq) = Any::from_der(field.data).ok()?;
            extensions = Some(seq.data);
        }
    }
    Some(TbsView {
        validity,
        subject,
        extensions,
    })
}

fn validity_of(view: &TbsView<'_>) -> Option<(i64, i64)> {
    use x509_parser::prelude::{FromDer as _, Validity as X509Validity};
    let (_, v) = X509Validity::from_der(view.validity).ok()?;
    Some((v.not_before.timestamp(), v.not_after.timestamp()))
}

/// Go's issuer rule for KeyUsage: when present (and not empty), keyCertSign is required.
/// `None` when the extension cannot be read.
fn key_usage_allows_cert_sign(view: &TbsView<'_>) -> Option<bool> {
    use x509_parser::der_parser::asn1_rs::{Any, FromDer as _};
    const KEY_USAGE_OID: &[u8] = &[0x55, 0x1d, 0x0f];
    let mut rest = view.extensions.unwrap_or(&[]);
    while !rest.is_empty() {
        let (r, extension) = Any::from_der(rest).ok()?;
        rest = r;
        let (mut fields, oid) = Any::from_der(extension.data).ok()?;
        if oid.data != KEY_USAGE_OID {
            continue;
        }
        // critical BOOLEAN (optional), then the OCTET STRING holding the KeyUsage BIT STRING.
        let mut value = None;
        while !fields.is_empty() {
            let (r, field) = Any::from_der(fields).ok()?;
            fields = r;
            value = Some(field.data);
        }
        let (_, ku) = KeyUsage::from_der(value?).ok()?;
        return Some(ku.flags == 0 || ku.key_cert_sign());
    }
    Some(true)
}

/// Reads validity and subject of the leaf.
pub(crate) fn leaf_facts(der: &[u8]) -> Result<LeafFacts, AuthError> {
    use x509_parser::prelude::{FromDer as _, X509Name};
    let malformed = |what: &str| {
        AuthError::new(
            Reason::MalformedCertificate,
            format!("the client certificate cannot be parsed: {what}"),
        )
    };
    let view = walk_tbs(der).ok_or_else(|| malformed("invalid DER structure"))?;
    let (not_before, not_after) = validity_of(&view).ok_or_else(|| malformed("bad validity"))?;
    let (_, subject) = X509Name::from_der(view.subject).map_err(|_| malformed("bad subject"))?;
    Ok(LeafFacts {
        not_before,
        not_after,
        common_name: crate::certinfo::last_common_name_of(&subject),
    })
}

/// What the path check needs from a presented intermediate, read once before path building.
pub(super) struct IntermediateFacts {
    pub not_before: i64,
    pub not_after: i64,
    pub key_cert_sign: bool,
}

pub(super) fn intermediate_facts(
    position: usize,
    der: &[u8],
) -> Result<IntermediateFacts, AuthError> {
    let malformed = |what: String| {
        AuthError::new(
            Reason::MalformedCertificate,
            format!("presented certificate #{position} cannot be parsed: {what}"),
        )
    };
    let view = walk_tbs(der).ok_or_else(|| malformed("invalid DER structure".into()))?;
    let (not_before, not_after) =
        validity_of(&view).ok_or_else(|| malformed("bad validity".into()))?;
    let key_cert_sign =
        key_usage_allows_cert_sign(&view).ok_or_else(|| malformed("bad KeyUsage".into()))?;
    Ok(IntermediateFacts {
        not_before,
        not_after,
        key_cert_sign,
    })
}
