//! A presented chain from PEM: what kubeadm (`front-proxy-client.crt`) and cert-manager
//! (`tls.crt`) users hold, turned into the DER list (leaf first) that
//! [`Authenticator::verify_peer`](crate::Authenticator::verify_peer) and
//! [`Authenticator::authenticate_chain`](crate::Authenticator::authenticate_chain) take.
//!
//! The text is bounded like every document the library reads ([`Limits::DEFAULT`]) before it
//! is parsed; the certificates themselves are not judged here (the verifier does that), but a
//! list the verifier would refuse by its shape alone (too many certificates, one too large) is
//! refused here already, with a message that names the block.

use crate::error::ConfigError;
use crate::limits::Limits;
use rustls_pki_types::CertificateDer;

/// The `source` of errors about PEM given as bytes.
const PEM_SOURCE: &str = "pem";

/// Builds a presented chain from PEM text: every `CERTIFICATE` block, in the order of the
/// text (leaf first, then its intermediates, as a TLS client presents them). Text outside the
/// blocks (e.g. `openssl x509 -text` output) is ignored.
///
/// Refused, with an error naming the block (source `"pem"`):
/// - more than [`Limits::DEFAULT`]`.max_document_bytes` (4 MiB) of text, before it is parsed;
/// - any other block type (`PRIVATE KEY`, `CERTIFICATE REQUEST`, …): a chain file that also
///   holds the key is a mistake worth hearing about, not something to skip silently;
/// - a `CERTIFICATE` block with PEM headers, a block that does not decode or is not
///   terminated (a truncated file would otherwise lose its intermediates silently);
/// - no `CERTIFICATE` block at all (empty input, DER, random text);
/// - more than [`Limits::DEFAULT`]`.max_chain_certificates` (8) certificates or one over
///   `max_certificate_bytes` (64 KiB): the verifier would reject such a chain by its shape,
///   so it is refused here, where the message can name the file.
///
/// The certificates are not parsed: whether they are valid X.509 is the verifier's decision.
pub fn chain_from_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    parse(pem, PEM_SOURCE)
}

/// [`chain_from_pem`] on a file, read through [`Limits::read_document`] (bounded before it is
/// read: `/dev/zero` or a FIFO is refused, not read forever). Errors name the path.
pub fn chain_from_pem_file(path: &str) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let text = Limits::DEFAULT.read_document(path, path)?;
    parse(&text, path)
}

fn parse(text: &[u8], source: &str) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let limits = Limits::DEFAULT;
    limits.check_document(text.len(), source)?;
    let error = |message: String| ConfigError::new(source, message);
    let blocks =
        pem::parse_many(text).map_err(|e| error(format!("the text is not valid PEM: {e}")))?;
    // The parser skips a BEGIN line without its END: count the boundaries to notice.
    let begins = text
        .windows(b"-----BEGIN ".len())
        .filter(|w| *w == b"-----BEGIN ")
        .count();
    if begins != blocks.len() {
        return Err(error(format!(
            "PEM block #{} is not terminated by its -----END line",
            blocks.len() + 1
        )));
    }
    if blocks.is_empty() {
        return Err(error(
            "no CERTIFICATE block (the text has no PEM blocks at all; DER is not PEM)".into(),
        ));
    }
    if blocks.len() > limits.max_chain_certificates {
        return Err(error(format!(
            "{} PEM blocks; a presented chain has at most {} certificates",
            blocks.len(),
            limits.max_chain_certificates
        )));
    }
    let mut chain = Vec::with_capacity(blocks.len());
    for (i, block) in blocks.into_iter().enumerate() {
        let n = i + 1;
        if block.tag() != "CERTIFICATE" {
            return Err(error(format!(
                "PEM block #{n} is {:?}, not CERTIFICATE: a presented chain holds only \
                 certificates, leaf first",
                block.tag()
            )));
        }
        if block.headers().iter().next().is_some() {
            return Err(error(format!(
                "CERTIFICATE block #{n} has PEM headers, which a certificate never carries"
            )));
        }
        let der = block.into_contents();
        if der.len() > limits.max_certificate_bytes {
            return Err(error(format!(
                "certificate #{n} has {} bytes; at most {} are accepted",
                der.len(),
                limits.max_certificate_bytes
            )));
        }
        chain.push(CertificateDer::from(der));
    }
    Ok(chain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(cn: &str) -> rcgen::CertifiedKey {
        rcgen::generate_simple_self_signed(vec![cn.to_string()]).expect("rcgen")
    }

    #[test]
    fn every_certificate_block_in_order() {
        let (a, b) = (cert("leaf.example"), cert("intermediate.example"));
        let text = format!(
            "subject=CN=leaf\n{}\nsome text between\n{}",
            a.cert.pem(),
            b.cert.pem()
        );
        let chain = chain_from_pem(text.as_bytes()).unwrap();
        assert_eq!(chain.len(), 2);
        assert_eq!(chain[0].as_ref(), a.cert.der().as_ref());
        assert_eq!(chain[1].as_ref(), b.cert.der().as_ref());
        // CRLF line endings, as Windows tools write them.
        let crlf = a.cert.pem().replace('\n', "\r\n");
        assert_eq!(chain_from_pem(crlf.as_bytes()).unwrap().len(), 1);
    }

    #[test]
    fn other_blocks_are_refused_by_name() {
        let a = cert("leaf.example");
        let text = format!("{}{}", a.cert.pem(), a.key_pair.serialize_pem());
        let e = chain_from_pem(text.as_bytes()).unwrap_err();
        assert_eq!(e.source, "pem");
        assert!(e.message.contains("#2 is \"PRIVATE KEY\""), "{e}");
        assert!(!e.message.contains("MII"), "the key is never quoted: {e}");
    }

    #[test]
    fn no_certificate_is_an_error() {
        for input in [
            &b""[..],
            b"   \n",
            b"hello, world",
            &cert("x").cert.der()[..],
        ] {
            let e = chain_from_pem(input).unwrap_err();
            assert!(e.message.contains("no CERTIFICATE block"), "{e}");
        }
    }

    #[test]
    fn damaged_pem_is_refused() {
        let pem = cert("leaf.example").cert.pem();
        let truncated = &pem[..pem.len() / 2];
        let e = chain_from_pem(format!("{pem}{truncated}").as_bytes()).unwrap_err();
        assert!(e.message.contains("#2 is not terminated"), "{e}");
        let bad_base64 = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
        let e = chain_from_pem(bad_base64.as_bytes()).unwrap_err();
        assert!(e.message.contains("not valid PEM"), "{e}");
        let with_headers = pem.replacen(
            "-----BEGIN CERTIFICATE-----\n",
            "-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n\n",
            1,
        );
        let e = chain_from_pem(with_headers.as_bytes()).unwrap_err();
        assert!(e.message.contains("PEM headers"), "{e}");
    }

    #[test]
    fn bounded_by_the_default_limits() {
        let l = Limits::DEFAULT;
        let too_big = vec![b' '; l.max_document_bytes + 1];
        let e = chain_from_pem(&too_big).unwrap_err();
        assert!(e.message.contains("at most 4194304"), "{e}");

        let pem = cert("leaf.example").cert.pem();
        assert_eq!(
            chain_from_pem(pem.repeat(l.max_chain_certificates).as_bytes())
                .unwrap()
                .len(),
            l.max_chain_certificates
        );
        let e = chain_from_pem(pem.repeat(l.max_chain_certificates + 1).as_bytes()).unwrap_err();
        assert!(e.message.contains("at most 8 certificates"), "{e}");

        let huge = pem::encode(&pem::Pem::new(
            "CERTIFICATE",
            vec![0u8; l.max_certificate_bytes + 1],
        ));
        let e = chain_from_pem(huge.as_bytes()).unwrap_err();
        assert!(e.message.contains("certificate #1 has 65537 bytes"), "{e}");
    }

    #[test]
    fn files_are_read_through_the_bounded_reader() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("front-proxy-client.crt");
        let a = cert("leaf.example");
        std::fs::write(&path, a.cert.pem()).unwrap();
        let path = path.to_str().unwrap();
        assert_eq!(chain_from_pem_file(path).unwrap().len(), 1);
        let e = chain_from_pem_file("/nonexistent/chain.pem").unwrap_err();
        assert_eq!(e.source, "/nonexistent/chain.pem");
        assert!(e.message.contains("cannot read"), "{e}");
        if std::path::Path::new("/dev/zero").exists() {
            let e = chain_from_pem_file("/dev/zero").unwrap_err();
            assert!(e.message.contains("larger than"), "{e}");
        }
        std::fs::write(dir.path().join("key.pem"), a.key_pair.serialize_pem()).unwrap();
        let key = dir.path().join("key.pem");
        let e = chain_from_pem_file(key.to_str().unwrap()).unwrap_err();
        assert!(e.message.contains("PRIVATE KEY"), "{e}");
        assert!(e.source.ends_with("key.pem"), "{e}");
    }
}
