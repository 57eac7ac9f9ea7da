//! The "CA Reusage and Conflicts" hazard of the aggregation-layer documentation, shared by
//! `doctor` and `check --explain`: when the client CA can issue certificates that also verify
//! against the request-header CA, any user with a client certificate can present it as the
//! front proxy.

use frontproxy::{BundleCert, CaBundle};
use x509_parser::prelude::{FromDer, X509Certificate};

/// Subject and public key of a bundle certificate, as DER.
struct Identity {
    subject: Vec<u8>,
    issuer: Vec<u8>,
    spki: Vec<u8>,
}

fn identity(cert: &BundleCert) -> Option<Identity> {
    let (_, c) = X509Certificate::from_der(cert.der.as_ref()).ok()?;
    Some(Identity {
        subject: c.subject().as_raw().to_vec(),
        issuer: c.issuer().as_raw().to_vec(),
        spki: c.public_key().raw.to_vec(),
    })
}

/// Every pair of a request-header CA certificate and a client CA certificate that lets client
/// certificates chain to the request-header CA, one sentence each.
pub fn shared(rh: &CaBundle, client: &CaBundle) -> Vec<String> {
    let mut shared = Vec::new();
    for (i, r) in rh.certificates().iter().enumerate() {
        let Some(rid) = identity(r) else { continue };
        for (j, c) in client.certificates().iter().enumerate() {
            let Some(cid) = identity(c) else { continue };
            let what = if r.der == c.der {
                "the same certificate is in both bundles"
            } else if rid.subject == cid.subject && rid.spki == cid.spki {
                "the same CA (subject and public key) is in both bundles"
            } else if cid.issuer == rid.subject
                && cid.subject != cid.issuer
                && !c.facts.authority_key_id.is_empty()
                && c.facts.authority_key_id == r.facts.subject_key_id
            {
                "the client CA certificate was issued by the request-header CA (issuer name and key identifier match), so client certificates presented with it as intermediate chain to the request-header CA"
            } else {
                continue;
            };
            shared.push(format!(
                "request-header CA #{} {:?} / client CA #{} {:?}: {what}",
                i + 1,
                r.facts.display_name(),
                j + 1,
                c.facts.display_name()
            ));
        }
    }
    shared
}
