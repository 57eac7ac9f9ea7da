//! Test-time X.509 PKI builder (rcgen 0.13 + a little hand-written DER).
//!
//! Generates root / intermediate / leaf certificates with exactly the knobs
//! that table-driven tests of the front-proxy chain verifier need.
//!
//! # Quick tour
//!
//! ```ignore
//! use common::pki::*;
//!
//! // One call: root -> intermediate -> client leaf, all ECDSA P-256.
//! let chain = Chain::new(KeyKind::EcdsaP256, &[KeyKind::EcdsaP256], KeyKind::EcdsaP256);
//! let presented: Vec<Vec<u8>> = chain.presented_der(); // leaf, intermediate (no root)
//!
//! // Hand-rolled: a leaf with two CN attributes, a Kubernetes UID and an
//! // unknown critical extension, issued by the chain's last CA.
//! let spec = client_leaf_spec("client_cn2")
//!     .cn("client_cn")
//!     .uid("1234-uid")
//!     .unknown_critical_extension();
//! let leaf = issue(spec, KeyKind::Rsa2048.fresh(), chain.leaf_issuer());
//! let ca_file = write_temp(&chain.root.pem); // for CLI flags
//! ```
//!
//! # How subjects are encoded (and why rcgen is not used for them)
//!
//! rcgen's `DistinguishedName` is a `HashMap<DnType, DnValue>` plus an
//! insertion-order list: `push`ing the same `DnType` twice *replaces* the first
//! value (it de-duplicates).  `DnType::CustomDnType(vec![2,5,4,3])` is a second,
//! distinct key for the CN OID, but that only gets you two CN attributes, two
//! UID attributes at most (via OID-arc aliasing tricks), and `DnValue` can only
//! hold string types — a non-string (e.g. INTEGER) UID value is impossible.
//!
//! So this module lets rcgen build and sign the certificate (serial,
//! validity, SPKI, all extensions incl. SKI/AKI, signature algorithm) and then
//! *splices* DER-encoded `issuer` and `subject` Names that it encodes itself
//! into the TBSCertificate and re-signs the TBS with the issuer's key (through
//! rustls' ring signer, which uses the same algorithms rcgen does).  That is
//! done uniformly for every certificate, so a child's `issuer` field is always
//! byte-identical to its parent's `subject` field.
//!
//! Consequences: any sequence of RDNs is possible, repeated attribute types,
//! multi-valued RDNs, and arbitrary ASN.1 attribute values
//! ([`AttrValue::Integer`], [`AttrValue::Raw`]).
//!
//! # Other rcgen 0.13 quirks handled here
//!
//! * rcgen 0.13.2 forgets the extensions block when key usages are the *only*
//!   extension (its "should write extensions" check ignores `key_usages`).  This
//!   module therefore always encodes keyUsage itself, as a custom extension
//!   (critical by default, see [`CertSpec::key_usage_critical`]).
//! * rcgen only writes a SubjectKeyIdentifier for `IsCa::Ca(_)` and
//!   `IsCa::ExplicitNoCa`; `IsCa::NoCa` certificates carry no SKI (and no
//!   basicConstraints extension).
//! * rcgen cannot emit an X.509 v1 certificate, a non-critical
//!   basicConstraints, `cA=FALSE` with a pathLen, or a critical EKU; the last
//!   three can be produced with [`basic_constraints_extension`] /
//!   [`extended_key_usage_extension`] (custom extensions) together with
//!   `IsCa::NoCa` / an empty `extended_key_usages`.
//! * ring cannot generate RSA keys; they are produced by the `openssl` CLI
//!   (`openssl genpkey`), which must therefore be on `PATH`.
#![allow(dead_code, unused_imports)]

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

pub use rcgen::{
    BasicConstraints, CustomExtension, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use rcgen::{CertificateParams, DistinguishedName, KeyIdMethod, SerialNumber, SignatureAlgorithm};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
pub use time::{Duration, OffsetDateTime};

// ---------------------------------------------------------------------------
// OIDs
// ---------------------------------------------------------------------------

/// id-at-commonName, 2.5.4.3.
pub const OID_CN: &[u64] = &[2, 5, 4, 3];
/// id-at-organizationName, 2.5.4.10.
pub const OID_O: &[u64] = &[2, 5, 4, 10];
/// id-at-organizationalUnitName, 2.5.4.11.
pub const OID_OU: &[u64] = &[2, 5, 4, 11];
/// Kubernetes user UID subject attribute, 1.3.6.1.4.1.57683.2.
pub const OID_K8S_UID: &[u64] = &[1, 3, 6, 1, 4, 1, 57683, 2];
/// anyExtendedKeyUsage, 2.5.29.37.0 (also available as `ExtendedKeyUsagePurpose::Any`).
pub const OID_ANY_EKU: &[u64] = &[2, 5, 29, 37, 0];
/// id-kp-clientAuth, 1.3.6.1.5.5.7.3.2.
pub const OID_EKU_CLIENT_AUTH: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 3, 2];
/// id-kp-serverAuth, 1.3.6.1.5.5.7.3.1.
pub const OID_EKU_SERVER_AUTH: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 3, 1];
/// id-ce-keyUsage, 2.5.29.15.
pub const OID_KEY_USAGE: &[u64] = &[2, 5, 29, 15];
/// id-ce-basicConstraints, 2.5.29.19.
pub const OID_BASIC_CONSTRAINTS: &[u64] = &[2, 5, 29, 19];
/// id-ce-extKeyUsage, 2.5.29.37.
pub const OID_EXT_KEY_USAGE: &[u64] = &[2, 5, 29, 37];
/// OID used by [`unknown_critical_extension`]: 1.3.6.1.4.1.32473.1.1, below
/// IANA's "example enterprise number for documentation use" (RFC 5612), so no
/// verifier can possibly understand it.
pub const OID_UNKNOWN_EXT: &[u64] = &[1, 3, 6, 1, 4, 1, 32473, 1, 1];

/// Dotted-string form of an OID (e.g. for comparing with `x509_parser` output).
pub fn oid_string(arcs: &[u64]) -> String {
    arcs.iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(".")
}

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

/// Key algorithm (and size) of a generated key pair.  Each kind maps to a
/// single signature algorithm, see [`KeyKind::signature_algorithm`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// RSA 2048, sha256WithRSAEncryption.
    Rsa2048,
    /// RSA 3072, sha256WithRSAEncryption.
    Rsa3072,
    /// RSA 4096, sha256WithRSAEncryption.
    Rsa4096,
    /// ECDSA P-256, ecdsa-with-SHA256.
    EcdsaP256,
    /// ECDSA P-384, ecdsa-with-SHA384.
    EcdsaP384,
    /// Ed25519.
    Ed25519,
}

type KeyCell = Arc<OnceLock<Arc<KeyPair>>>;

fn key_pool() -> &'static Mutex<HashMap<(KeyKind, usize), KeyCell>> {
    static POOL: OnceLock<Mutex<HashMap<(KeyKind, usize), KeyCell>>> = OnceLock::new();
    POOL.get_or_init(|| Mutex::new(HashMap::new()))
}

impl KeyKind {
    /// Every kind, for table-driven tests.
    pub const ALL: [KeyKind; 6] = [
        KeyKind::Rsa2048,
        KeyKind::Rsa3072,
        KeyKind::Rsa4096,
        KeyKind::EcdsaP256,
        KeyKind::EcdsaP384,
        KeyKind::Ed25519,
    ];

    /// The rcgen signature algorithm used for keys of this kind.
    pub fn signature_algorithm(self) -> &'static SignatureAlgorithm {
        match self {
            KeyKind::Rsa2048 | KeyKind::Rsa3072 | KeyKind::Rsa4096 => &rcgen::PKCS_RSA_SHA256,
            KeyKind::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            KeyKind::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            KeyKind::Ed25519 => &rcgen::PKCS_ED25519,
        }
    }

    /// RSA modulus size in bits, `None` for non-RSA kinds.
    pub fn rsa_bits(self) -> Option<u32> {
        match self {
            KeyKind::Rsa2048 => Some(2048),
            KeyKind::Rsa3072 => Some(3072),
            KeyKind::Rsa4096 => Some(4096),
            _ => None,
        }
    }

    /// Generates a brand-new key pair, never shared with anything else.
    ///
    /// RSA keys are produced with `openssl genpkey` (ring cannot generate RSA
    /// keys); RSA-4096 may take a few seconds.  Prefer [`KeyKind::shared`] /
    /// [`KeyKind::pooled`] unless the test needs a key nobody else uses.
    pub fn fresh(self) -> Arc<KeyPair> {
        Arc::new(generate_key(self))
    }

    /// The process-wide shared key of this kind (same as `pooled(0)`).
    ///
    /// Every call returns the same `Arc` for the same kind.  Fine for most
    /// certificates; use [`KeyKind::fresh`] when key identity matters (e.g. "a
    /// look-alike CA with the same name but a different key").
    pub fn shared(self) -> Arc<KeyPair> {
        self.pooled(0)
    }

    /// A memoized key per `(kind, slot)`: the same slot always yields the same
    /// key within the process, different slots yield different keys.  Chains
    /// built by [`Chain::new`] use slot `i` for the certificate at depth `i`
    /// (root = 0), so keys within one chain are distinct but reused across
    /// tests.  Thread-safe; generation of one slot does not block others.
    pub fn pooled(self, slot: usize) -> Arc<KeyPair> {
        let cell = {
            let mut pool = key_pool().lock().unwrap_or_else(|e| e.into_inner());
            pool.entry((self, slot)).or_default().clone()
        };
        cell.get_or_init(|| Arc::new(generate_key(self))).clone()
    }
}

/// Generates a new key pair of the given kind (not memoized).
pub fn generate_key(kind: KeyKind) -> KeyPair {
    match kind.rsa_bits() {
        Some(bits) => {
            let pem = openssl_genpkey_rsa(bits);
            KeyPair::from_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256)
                .unwrap_or_else(|e| panic!("rcgen rejected openssl RSA-{bits} key: {e}"))
        }
        None => KeyPair::generate_for(kind.signature_algorithm())
            .unwrap_or_else(|e| panic!("cannot generate {kind:?} key: {e}")),
    }
}

/// Runs `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:<bits>` and
/// returns the PKCS#8 PEM it prints.
fn openssl_genpkey_rsa(bits: u32) -> String {
    let out = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            &format!("rsa_keygen_bits:{bits}"),
        ])
        .output()
        .expect("failed to run `openssl` (needed to generate RSA test keys)");
    assert!(
        out.status.success(),
        "openssl genpkey RSA-{bits} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pem = String::from_utf8(out.stdout).expect("openssl output is not UTF-8");
    assert!(
        pem.contains("-----BEGIN PRIVATE KEY-----"),
        "openssl did not print a PKCS#8 key:\n{pem}"
    );
    pem
}

// ---------------------------------------------------------------------------
// Subject attributes
// ---------------------------------------------------------------------------

/// The ASN.1 value of a subject attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttrValue {
    /// UTF8String (what rcgen and Go use by default).
    Utf8(String),
    /// PrintableString (written as given, not validated).
    Printable(String),
    /// IA5String.
    Ia5(String),
    /// INTEGER — a deliberately non-string value.
    Integer(i64),
    /// A complete, pre-encoded DER TLV written verbatim (e.g. `der::null()`,
    /// a BOOLEAN, a SEQUENCE ...).
    Raw(Vec<u8>),
}

impl AttrValue {
    /// DER encoding (tag, length, contents).
    pub fn to_der(&self) -> Vec<u8> {
        match self {
            AttrValue::Utf8(s) => der::tlv(der::TAG_UTF8_STRING, s.as_bytes()),
            AttrValue::Printable(s) => der::tlv(der::TAG_PRINTABLE_STRING, s.as_bytes()),
            AttrValue::Ia5(s) => der::tlv(der::TAG_IA5_STRING, s.as_bytes()),
            AttrValue::Integer(i) => der::integer(*i),
            AttrValue::Raw(v) => v.clone(),
        }
    }
}

impl From<&str> for AttrValue {
    fn from(s: &str) -> Self {
        AttrValue::Utf8(s.to_owned())
    }
}

impl From<String> for AttrValue {
    fn from(s: String) -> Self {
        AttrValue::Utf8(s)
    }
}

impl From<&String> for AttrValue {
    fn from(s: &String) -> Self {
        AttrValue::Utf8(s.clone())
    }
}

/// One AttributeTypeAndValue of a subject RDN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attr {
    /// Attribute type OID arcs.
    pub oid: Vec<u64>,
    /// Attribute value.
    pub value: AttrValue,
}

impl Attr {
    /// Arbitrary attribute.
    pub fn new(oid: &[u64], value: impl Into<AttrValue>) -> Self {
        Attr {
            oid: oid.to_vec(),
            value: value.into(),
        }
    }
    /// `CN=<s>` (UTF8String).
    pub fn cn(s: &str) -> Self {
        Attr::new(OID_CN, s)
    }
    /// `O=<s>` (UTF8String).
    pub fn org(s: &str) -> Self {
        Attr::new(OID_O, s)
    }
    /// Kubernetes UID attribute (1.3.6.1.4.1.57683.2) with any value.
    pub fn uid(value: impl Into<AttrValue>) -> Self {
        Attr::new(OID_K8S_UID, value)
    }
}

// ---------------------------------------------------------------------------
// CertSpec
// ---------------------------------------------------------------------------

/// Everything that describes one certificate except its key and issuer.
///
/// Plain struct with public fields: tweak fields directly, use the chainable
/// helpers, or start from [`ca_spec`], [`intermediate_spec`],
/// [`client_leaf_spec`], [`server_leaf_spec`] or `CertSpec::default()`.
#[derive(Clone, Debug)]
pub struct CertSpec {
    /// `O=` attributes, one RDN each, written first (in this order).
    pub organizations: Vec<String>,
    /// `CN=` attributes, one RDN each, written after the organizations in
    /// this order (first element = earlier in the DER RDNSequence).  So
    /// `["client_cn2", "client_cn"]` yields the subject RDNSequence
    /// `O=..., CN=client_cn2, CN=client_cn`.
    pub common_names: Vec<String>,
    /// Kubernetes UID attributes (OID 1.3.6.1.4.1.57683.2), one RDN each,
    /// written after the CNs.  Empty = none; several = several RDNs; values
    /// need not be strings.
    pub uids: Vec<AttrValue>,
    /// Further single-attribute RDNs appended after the UIDs.
    pub extra_subject_attributes: Vec<Attr>,
    /// If set, the subject is exactly this RDNSequence (outer Vec = RDNs in
    /// order, inner Vec = the attributes of one RDN, >1 = multi-valued RDN,
    /// DER-sorted) and the four fields above are ignored.  `Some(vec![])`
    /// gives an empty subject.
    pub subject_rdns: Option<Vec<Vec<Attr>>>,
    /// notBefore (sub-second part is dropped by rcgen).
    pub not_before: OffsetDateTime,
    /// notAfter (sub-second part is dropped by rcgen).
    pub not_after: OffsetDateTime,
    /// basicConstraints: `Ca(Unconstrained)`, `Ca(Constrained(pathlen))`,
    /// `NoCa` (no extension at all) or `ExplicitNoCa` (`cA=FALSE`).  The
    /// extension is always critical.  A SubjectKeyIdentifier is written for
    /// everything but `NoCa`.
    pub is_ca: IsCa,
    /// keyUsage bits; empty = no keyUsage extension.
    pub key_usages: Vec<KeyUsagePurpose>,
    /// Criticality of the keyUsage extension (default `true`).
    pub key_usage_critical: bool,
    /// extendedKeyUsage purposes in order (non-critical); empty = no EKU
    /// extension.  `ExtendedKeyUsagePurpose::Any` is anyExtendedKeyUsage
    /// (2.5.29.37.0), `Other(oid)` is any OID.
    pub extended_key_usages: Vec<ExtendedKeyUsagePurpose>,
    /// Extra extensions written verbatim after all others (see
    /// [`unknown_critical_extension`], [`basic_constraints_extension`],
    /// [`extended_key_usage_extension`]).
    pub custom_extensions: Vec<CustomExtension>,
    /// Big-endian serial number magnitude (always encoded as positive);
    /// `None` = 16 unique pseudo-random bytes per issued certificate.
    pub serial_number: Option<Vec<u8>>,
    /// subjectAltName entries: DNS names (IP literals become iPAddress
    /// entries).  Empty = no SAN extension.
    pub dns_sans: Vec<String>,
    /// Write an AuthorityKeyIdentifier (= the issuer's key identifier; for
    /// self-signed certificates, its own).  Default `true`.
    pub authority_key_identifier: bool,
    /// Pre-specified key identifier for this certificate: used as its SKI
    /// and as the AKI of the certificates it issues.  `None` = truncated
    /// SHA-256 of the SubjectPublicKeyInfo (RFC 7093 method 1).
    pub subject_key_identifier: Option<Vec<u8>>,
}

/// `now - 1h .. now + 365d` validity.
fn default_validity() -> (OffsetDateTime, OffsetDateTime) {
    let now = OffsetDateTime::now_utc();
    (now - Duration::hours(1), now + Duration::days(365))
}

impl Default for CertSpec {
    /// Empty subject, validity now-1h .. now+1y, `NoCa`, no KU/EKU/SAN/custom
    /// extensions, random serial, AKI on.
    fn default() -> Self {
        let (not_before, not_after) = default_validity();
        CertSpec {
            organizations: Vec::new(),
            common_names: Vec::new(),
            uids: Vec::new(),
            extra_subject_attributes: Vec::new(),
            subject_rdns: None,
            not_before,
            not_after,
            is_ca: IsCa::NoCa,
            key_usages: Vec::new(),
            key_usage_critical: true,
            extended_key_usages: Vec::new(),
            custom_extensions: Vec::new(),
            serial_number: None,
            dns_sans: Vec::new(),
            authority_key_identifier: true,
            subject_key_identifier: None,
        }
    }
}

impl CertSpec {
    /// `CertSpec::default()` with a single CN.
    pub fn with_cn(cn: &str) -> Self {
        CertSpec::default().cn(cn)
    }

    /// Appends a CN attribute (after the existing ones).
    pub fn cn(mut self, cn: &str) -> Self {
        self.common_names.push(cn.to_owned());
        self
    }
    /// Replaces all CN attributes.
    pub fn cns(mut self, cns: &[&str]) -> Self {
        self.common_names = cns.iter().map(|s| s.to_string()).collect();
        self
    }
    /// Appends an O attribute.
    pub fn org(mut self, org: &str) -> Self {
        self.organizations.push(org.to_owned());
        self
    }
    /// Replaces all O attributes.
    pub fn orgs(mut self, orgs: &[&str]) -> Self {
        self.organizations = orgs.iter().map(|s| s.to_string()).collect();
        self
    }
    /// Appends a Kubernetes UID attribute (string → UTF8String, or any
    /// [`AttrValue`], e.g. `AttrValue::Integer(7)`).
    pub fn uid(mut self, value: impl Into<AttrValue>) -> Self {
        self.uids.push(value.into());
        self
    }
    /// Appends an arbitrary single-attribute RDN (after the UIDs).
    pub fn subject_attr(mut self, oid: &[u64], value: impl Into<AttrValue>) -> Self {
        self.extra_subject_attributes.push(Attr::new(oid, value));
        self
    }
    /// Sets the exact subject RDNSequence, see [`CertSpec::subject_rdns`].
    pub fn subject_rdns(mut self, rdns: Vec<Vec<Attr>>) -> Self {
        self.subject_rdns = Some(rdns);
        self
    }
    /// Sets notBefore / notAfter.
    pub fn validity(mut self, not_before: OffsetDateTime, not_after: OffsetDateTime) -> Self {
        self.not_before = not_before;
        self.not_after = not_after;
        self
    }
    /// Validity window that ended yesterday (now-30d .. now-1d).
    pub fn expired(self) -> Self {
        let now = OffsetDateTime::now_utc();
        self.validity(now - Duration::days(30), now - Duration::days(1))
    }
    /// Validity window that starts tomorrow (now+1d .. now+30d).
    pub fn not_yet_valid(self) -> Self {
        let now = OffsetDateTime::now_utc();
        self.validity(now + Duration::days(1), now + Duration::days(30))
    }
    /// Sets basicConstraints, see [`CertSpec::is_ca`].
    pub fn ca(mut self, is_ca: IsCa) -> Self {
        self.is_ca = is_ca;
        self
    }
    /// `IsCa::Ca(BasicConstraints::Constrained(path_len))`.
    pub fn path_len(self, path_len: u8) -> Self {
        self.ca(IsCa::Ca(BasicConstraints::Constrained(path_len)))
    }
    /// Replaces the key usages (empty = no extension).
    pub fn key_usages(mut self, usages: &[KeyUsagePurpose]) -> Self {
        self.key_usages = usages.to_vec();
        self
    }
    /// Replaces the extended key usages (empty = no extension).
    pub fn ekus(mut self, ekus: &[ExtendedKeyUsagePurpose]) -> Self {
        self.extended_key_usages = ekus.to_vec();
        self
    }
    /// Appends one extended key usage.
    pub fn add_eku(mut self, eku: ExtendedKeyUsagePurpose) -> Self {
        self.extended_key_usages.push(eku);
        self
    }
    /// Appends anyExtendedKeyUsage (2.5.29.37.0).
    pub fn any_eku(self) -> Self {
        self.add_eku(ExtendedKeyUsagePurpose::Any)
    }
    /// Appends a custom extension.
    pub fn extension(mut self, ext: CustomExtension) -> Self {
        self.custom_extensions.push(ext);
        self
    }
    /// Appends [`unknown_critical_extension()`].
    pub fn unknown_critical_extension(self) -> Self {
        self.extension(unknown_critical_extension())
    }
    /// Sets the serial number (big-endian magnitude).
    pub fn serial(mut self, serial: &[u8]) -> Self {
        self.serial_number = Some(serial.to_vec());
        self
    }
    /// Appends a DNS (or IP literal) subjectAltName.
    pub fn dns(mut self, name: &str) -> Self {
        self.dns_sans.push(name.to_owned());
        self
    }
    /// Do not write an AuthorityKeyIdentifier.
    pub fn without_aki(mut self) -> Self {
        self.authority_key_identifier = false;
        self
    }
    /// Pre-specifies this certificate's key identifier, see
    /// [`CertSpec::subject_key_identifier`].
    pub fn key_identifier(mut self, ski: &[u8]) -> Self {
        self.subject_key_identifier = Some(ski.to_vec());
        self
    }

    /// The subject as a list of RDNs (each a list of attributes), in order.
    pub fn subject_rdn_list(&self) -> Vec<Vec<Attr>> {
        if let Some(rdns) = &self.subject_rdns {
            return rdns.clone();
        }
        let mut rdns = Vec::new();
        rdns.extend(self.organizations.iter().map(|o| vec![Attr::org(o)]));
        rdns.extend(self.common_names.iter().map(|c| vec![Attr::cn(c)]));
        rdns.extend(self.uids.iter().map(|u| vec![Attr::uid(u.clone())]));
        rdns.extend(
            self.extra_subject_attributes
                .iter()
                .map(|a| vec![a.clone()]),
        );
        rdns
    }

    /// DER encoding of the subject Name.
    pub fn subject_der(&self) -> Vec<u8> {
        der::name(&self.subject_rdn_list())
    }

    /// rcgen parameters for everything except the names (which are spliced
    /// in afterwards, see the module docs).
    fn to_rcgen_params(&self, serial: Vec<u8>) -> CertificateParams {
        let mut p = CertificateParams::new(self.dns_sans.clone())
            .unwrap_or_else(|e| panic!("invalid subjectAltName in {:?}: {e}", self.dns_sans));
        p.distinguished_name = DistinguishedName::new(); // replaced by splicing
        p.not_before = self.not_before;
        p.not_after = self.not_after;
        p.serial_number = Some(SerialNumber::from_slice(&serial));
        p.is_ca = self.is_ca.clone();
        // keyUsage is written by us, see module docs (rcgen 0.13.2 bug).
        p.key_usages = Vec::new();
        p.extended_key_usages = self.extended_key_usages.clone();
        p.custom_extensions = Vec::new();
        if !self.key_usages.is_empty() {
            p.custom_extensions.push(key_usage_extension(
                &self.key_usages,
                self.key_usage_critical,
            ));
        }
        p.custom_extensions
            .extend(self.custom_extensions.iter().cloned());
        p.use_authority_key_identifier_extension = self.authority_key_identifier;
        if let Some(ski) = &self.subject_key_identifier {
            p.key_identifier_method = KeyIdMethod::PreSpecified(ski.clone());
        }
        p
    }
}

/// Self-signed root CA: `CN=<cn>`, `Ca(Unconstrained)`, KU keyCertSign +
/// cRLSign + digitalSignature, no EKU.
pub fn ca_spec(cn: &str) -> CertSpec {
    CertSpec::with_cn(cn)
        .ca(IsCa::Ca(BasicConstraints::Unconstrained))
        .key_usages(&[
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ])
}

/// Intermediate CA: same as [`ca_spec`] (unconstrained path length, so it
/// works at any depth; use `.path_len(n)` to constrain).
pub fn intermediate_spec(cn: &str) -> CertSpec {
    ca_spec(cn)
}

/// Client leaf: `CN=<cn>`, `NoCa` (no basicConstraints), KU
/// digitalSignature, EKU clientAuth.
pub fn client_leaf_spec(cn: &str) -> CertSpec {
    CertSpec::with_cn(cn)
        .key_usages(&[KeyUsagePurpose::DigitalSignature])
        .ekus(&[ExtendedKeyUsagePurpose::ClientAuth])
}

/// Server leaf: `CN=<cn>`, SAN `dns`, `NoCa`, KU digitalSignature +
/// keyEncipherment, EKU serverAuth.
pub fn server_leaf_spec(cn: &str, dns: &str) -> CertSpec {
    CertSpec::with_cn(cn)
        .dns(dns)
        .key_usages(&[
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ])
        .ekus(&[ExtendedKeyUsagePurpose::ServerAuth])
}

// ---------------------------------------------------------------------------
// Extension helpers (as rcgen CustomExtensions)
// ---------------------------------------------------------------------------

/// A critical extension no verifier understands (OID [`OID_UNKNOWN_EXT`],
/// value NULL).  RFC 5280 verifiers must reject certificates carrying it.
pub fn unknown_critical_extension() -> CustomExtension {
    let mut ext = CustomExtension::from_oid_content(OID_UNKNOWN_EXT, der::null());
    ext.set_criticality(true);
    ext
}

/// keyUsage extension with a DER-minimal named BIT STRING.
pub fn key_usage_extension(usages: &[KeyUsagePurpose], critical: bool) -> CustomExtension {
    let mut bits: u16 = 0; // bit 15 = digitalSignature (bit 0 in ASN.1 terms)
    let mut highest = 0usize;
    for u in usages {
        let i = key_usage_bit(*u);
        bits |= 0x8000 >> i;
        highest = highest.max(i);
    }
    let mut content = Vec::new();
    if bits != 0 {
        let nbytes = highest / 8 + 1;
        content.push((7 - highest % 8) as u8); // unused bits in the last byte
        content.extend_from_slice(&bits.to_be_bytes()[..nbytes]);
    } else {
        content.push(0);
    }
    let mut ext =
        CustomExtension::from_oid_content(OID_KEY_USAGE, der::tlv(der::TAG_BIT_STRING, &content));
    ext.set_criticality(critical);
    ext
}

fn key_usage_bit(u: KeyUsagePurpose) -> usize {
    match u {
        KeyUsagePurpose::DigitalSignature => 0,
        KeyUsagePurpose::ContentCommitment => 1,
        KeyUsagePurpose::KeyEncipherment => 2,
        KeyUsagePurpose::DataEncipherment => 3,
        KeyUsagePurpose::KeyAgreement => 4,
        KeyUsagePurpose::KeyCertSign => 5,
        KeyUsagePurpose::CrlSign => 6,
        KeyUsagePurpose::EncipherOnly => 7,
        KeyUsagePurpose::DecipherOnly => 8,
    }
}

/// A hand-made basicConstraints extension, for shapes rcgen's `IsCa` cannot
/// express (non-critical, or `cA=FALSE` with a pathLen).  Use it with
/// `is_ca: IsCa::NoCa` so that rcgen does not write a second one.  `ca =
/// false` omits the (DEFAULT FALSE) cA field as DER requires.
pub fn basic_constraints_extension(
    ca: bool,
    path_len: Option<u8>,
    critical: bool,
) -> CustomExtension {
    let mut fields = Vec::new();
    if ca {
        fields.push(der::boolean(true));
    }
    if let Some(n) = path_len {
        fields.push(der::integer(n as i64));
    }
    let mut ext = CustomExtension::from_oid_content(OID_BASIC_CONSTRAINTS, der::sequence(&fields));
    ext.set_criticality(critical);
    ext
}

/// A hand-made extendedKeyUsage extension (e.g. a *critical* EKU, which
/// rcgen cannot produce).  Use with an empty `extended_key_usages`.
pub fn extended_key_usage_extension(oids: &[&[u64]], critical: bool) -> CustomExtension {
    let items: Vec<Vec<u8>> = oids.iter().map(|o| der::oid(o)).collect();
    let mut ext = CustomExtension::from_oid_content(OID_EXT_KEY_USAGE, der::sequence(&items));
    ext.set_criticality(critical);
    ext
}

// ---------------------------------------------------------------------------
// Issued certificates
// ---------------------------------------------------------------------------

/// A generated certificate plus everything needed to use it or to sign
/// children with it.
#[derive(Clone)]
pub struct Issued {
    /// The spec it was generated from.
    pub spec: CertSpec,
    /// Final DER of the certificate.
    pub cert_der: Vec<u8>,
    /// `cert_der` as a single PEM `CERTIFICATE` block (LF line endings).
    pub pem: String,
    /// The certificate's own key pair.
    pub key: Arc<KeyPair>,
    /// DER of the subject Name, byte-identical to the `issuer` of children.
    pub subject_der: Vec<u8>,
    /// The rcgen certificate used as the `issuer` argument of
    /// `CertificateParams::signed_by` for children (carries the key
    /// identifier method so children get the right AKI).  Its own `der()` is
    /// the pre-splice certificate with an empty subject: do not use it.
    rcgen_cert: Arc<rcgen::Certificate>,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("subject", &self.spec.subject_rdn_list())
            .field("key_alg", &self.key.algorithm())
            .field("der_len", &self.cert_der.len())
            .finish()
    }
}

impl Issued {
    /// The certificate as a `rustls_pki_types::CertificateDer`.
    pub fn der(&self) -> CertificateDer<'static> {
        CertificateDer::from(self.cert_der.clone())
    }
    /// PKCS#8 DER of the private key.
    pub fn key_der(&self) -> Vec<u8> {
        self.key.serialize_der()
    }
    /// PKCS#8 PEM (`PRIVATE KEY`) of the private key.
    pub fn key_pem(&self) -> String {
        self.key.serialize_pem()
    }
    /// The private key as `rustls_pki_types::PrivateKeyDer`.
    pub fn private_key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.serialize_der()))
    }
    /// Issues a child certificate signed by `self` (same as [`issue`]).
    pub fn issue(&self, spec: CertSpec, key: impl Into<Arc<KeyPair>>) -> Issued {
        issue(spec, key, self)
    }
}

/// Builds a self-signed certificate (typically a root CA).
pub fn self_signed(spec: CertSpec, key: impl Into<Arc<KeyPair>>) -> Issued {
    build(spec, key.into(), None)
}

/// Builds a certificate for `key` signed by `issuer` (whose subject becomes
/// the issuer name and whose key identifier becomes the AKI).  No check is
/// made that `issuer` is allowed to issue certificates.
pub fn issue(spec: CertSpec, key: impl Into<Arc<KeyPair>>, issuer: &Issued) -> Issued {
    build(spec, key.into(), Some(issuer))
}

fn build(spec: CertSpec, key: Arc<KeyPair>, issuer: Option<&Issued>) -> Issued {
    let serial = spec.serial_number.clone().unwrap_or_else(unique_serial);
    let params = spec.to_rcgen_params(serial);
    let cert = match issuer {
        None => params.self_signed(&key),
        Some(iss) => params.signed_by(&*key, &iss.rcgen_cert, &iss.key),
    }
    .unwrap_or_else(|e| panic!("rcgen failed to build certificate: {e}"));

    let subject_der = spec.subject_der();
    let (issuer_name, signer): (&[u8], &KeyPair) = match issuer {
        None => (&subject_der, &key),
        Some(iss) => (&iss.subject_der, &iss.key),
    };
    let cert_der = splice_names_and_resign(cert.der(), issuer_name, &subject_der, signer);
    let pem = pem_encode("CERTIFICATE", &cert_der);
    Issued {
        spec,
        cert_der,
        pem,
        key,
        subject_der,
        rcgen_cert: Arc::new(cert),
    }
}

/// 16 bytes that differ for every call in (and, practically, across)
/// processes.  rcgen's own default (a hash of the public key) would give
/// every certificate sharing a pooled key the same serial.
fn unique_serial() -> Vec<u8> {
    use sha2::{Digest, Sha256};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut h = Sha256::new();
    h.update(n.to_be_bytes());
    h.update(nanos.to_be_bytes());
    h.update(std::process::id().to_be_bytes());
    let mut out = h.finalize()[..16].to_vec();
    out[0] &= 0x7f;
    out[0] |= 0x01; // keep it exactly 16 bytes, non-negative
    out
}

/// Replaces the issuer and subject Names in the TBSCertificate of `cert`
/// and re-signs it with `signer` (same algorithm identifier as before).
fn splice_names_and_resign(
    cert: &[u8],
    issuer: &[u8],
    subject: &[u8],
    signer: &KeyPair,
) -> Vec<u8> {
    let (tag, cert_body, rest) = der::parse_tlv(cert);
    assert!(
        tag == der::TAG_SEQUENCE && rest.is_empty(),
        "rcgen output is not a Certificate"
    );
    let (tbs, after_tbs) = der::split_tlv(cert_body);
    let (sig_alg, _signature) = der::split_tlv(after_tbs);

    let (tbs_tag, tbs_body, _) = der::parse_tlv(tbs);
    assert_eq!(tbs_tag, der::TAG_SEQUENCE);
    let mut fields = Vec::new();
    let mut cur = tbs_body;
    while !cur.is_empty() {
        let (f, r) = der::split_tlv(cur);
        fields.push(f);
        cur = r;
    }
    // version [0], serialNumber, signature, issuer, validity, subject, spki, [3] extensions
    assert!(
        fields.len() >= 7 && fields[0][0] == 0xA0,
        "unexpected TBSCertificate layout"
    );
    let mut new_tbs_body = Vec::with_capacity(tbs_body.len() + issuer.len() + subject.len());
    for (i, f) in fields.iter().enumerate() {
        match i {
            3 => new_tbs_body.extend_from_slice(issuer),
            5 => new_tbs_body.extend_from_slice(subject),
            _ => new_tbs_body.extend_from_slice(f),
        }
    }
    let new_tbs = der::tlv(der::TAG_SEQUENCE, &new_tbs_body);
    let signature = raw_sign(signer, &new_tbs);
    let mut bits = vec![0u8];
    bits.extend_from_slice(&signature);
    let mut body = new_tbs;
    body.extend_from_slice(sig_alg);
    body.extend_from_slice(&der::tlv(der::TAG_BIT_STRING, &bits));
    der::tlv(der::TAG_SEQUENCE, &body)
}

/// Signs `msg` with `key` using the signature algorithm rcgen associates
/// with it, through rustls' ring key provider (rcgen keeps its own raw
/// signing API private).
fn raw_sign(key: &KeyPair, msg: &[u8]) -> Vec<u8> {
    use rustls::SignatureScheme;
    let alg = key.algorithm();
    let scheme = if alg == &rcgen::PKCS_RSA_SHA256 {
        SignatureScheme::RSA_PKCS1_SHA256
    } else if alg == &rcgen::PKCS_ECDSA_P256_SHA256 {
        SignatureScheme::ECDSA_NISTP256_SHA256
    } else if alg == &rcgen::PKCS_ECDSA_P384_SHA384 {
        SignatureScheme::ECDSA_NISTP384_SHA384
    } else if alg == &rcgen::PKCS_ED25519 {
        SignatureScheme::ED25519
    } else {
        panic!("unsupported signature algorithm {alg:?}");
    };
    let pkcs8 = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let signing_key = rustls::crypto::ring::sign::any_supported_type(&pkcs8)
        .unwrap_or_else(|e| panic!("rustls cannot load {alg:?} key: {e}"));
    let signer = signing_key
        .choose_scheme(&[scheme])
        .unwrap_or_else(|| panic!("key cannot sign with {scheme:?}"));
    signer
        .sign(msg)
        .unwrap_or_else(|e| panic!("signing failed: {e}"))
}

// ---------------------------------------------------------------------------
// Chains
// ---------------------------------------------------------------------------

/// root → intermediates → leaf, built in one call.
#[derive(Clone, Debug)]
pub struct Chain {
    /// Self-signed root (the trust anchor).
    pub root: Issued,
    /// Intermediates in issuance order: `intermediates[0]` is signed by the
    /// root, the last one signs the leaf.
    pub intermediates: Vec<Issued>,
    /// The end-entity certificate.
    pub leaf: Issued,
}

impl Chain {
    /// Default specs: root `ca_spec("test-root-ca")`, intermediate `i`
    /// (1-based) `intermediate_spec("test-intermediate-ca-<i>")`, leaf
    /// `client_leaf_spec("front-proxy-client")`.  Keys come from
    /// `KeyKind::pooled(depth)` (root depth 0), so they are distinct within
    /// the chain but shared with other chains in the process.
    pub fn new(root: KeyKind, intermediates: &[KeyKind], leaf: KeyKind) -> Chain {
        Chain::with_leaf(
            root,
            intermediates,
            leaf,
            client_leaf_spec("front-proxy-client"),
        )
    }

    /// Like [`Chain::new`] with all certificates of one kind.
    pub fn uniform(kind: KeyKind, intermediates: usize) -> Chain {
        Chain::new(kind, &vec![kind; intermediates], kind)
    }

    /// Like [`Chain::new`] but with a custom leaf spec.
    pub fn with_leaf(
        root: KeyKind,
        intermediates: &[KeyKind],
        leaf: KeyKind,
        leaf_spec: CertSpec,
    ) -> Chain {
        let inters = intermediates
            .iter()
            .enumerate()
            .map(|(i, k)| {
                (
                    intermediate_spec(&format!("test-intermediate-ca-{}", i + 1)),
                    k.pooled(i + 1),
                )
            })
            .collect();
        Chain::from_specs(
            (ca_spec("test-root-ca"), root.pooled(0)),
            inters,
            (leaf_spec, leaf.pooled(intermediates.len() + 1)),
        )
    }

    /// Fully explicit: every certificate's spec and key.
    pub fn from_specs(
        root: (CertSpec, Arc<KeyPair>),
        intermediates: Vec<(CertSpec, Arc<KeyPair>)>,
        leaf: (CertSpec, Arc<KeyPair>),
    ) -> Chain {
        let root = self_signed(root.0, root.1);
        let mut inters: Vec<Issued> = Vec::new();
        for (spec, key) in intermediates {
            let next = issue(spec, key, inters.last().unwrap_or(&root));
            inters.push(next);
        }
        let leaf = issue(leaf.0, leaf.1, inters.last().unwrap_or(&root));
        Chain {
            root,
            intermediates: inters,
            leaf,
        }
    }

    /// The certificate that signed the leaf (last intermediate, or the root);
    /// use it to issue alternative leaves under the same chain.
    pub fn leaf_issuer(&self) -> &Issued {
        self.intermediates.last().unwrap_or(&self.root)
    }

    /// What a client presents: leaf first, then the intermediates from the
    /// one that signed the leaf up to the one signed by the root.  The root
    /// is excluded.
    pub fn presented_der(&self) -> Vec<Vec<u8>> {
        self.presented()
            .iter()
            .map(|c| c.cert_der.clone())
            .collect()
    }

    /// [`Chain::presented_der`] as `&Issued`s.
    pub fn presented(&self) -> Vec<&Issued> {
        std::iter::once(&self.leaf)
            .chain(self.intermediates.iter().rev())
            .collect()
    }

    /// [`Chain::presented_der`] as one PEM bundle.
    pub fn presented_pem(&self) -> String {
        pem_bundle(&self.presented())
    }

    /// Intermediates only, leaf-side first, as `CertificateDer`s (handy for
    /// `webpki::EndEntityCert::verify_for_usage`).
    pub fn intermediates_der(&self) -> Vec<CertificateDer<'static>> {
        self.intermediates.iter().rev().map(|c| c.der()).collect()
    }
}

// ---------------------------------------------------------------------------
// PEM and files
// ---------------------------------------------------------------------------

fn pem_encode(tag: &str, der: &[u8]) -> String {
    pem::encode_config(
        &pem::Pem::new(tag, der.to_vec()),
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    )
}

/// Concatenated PEM `CERTIFICATE` blocks, in the given order.
pub fn pem_bundle(certs: &[&Issued]) -> String {
    certs.iter().map(|c| c.pem.as_str()).collect()
}

/// PEM `CERTIFICATE` block for arbitrary DER (e.g. a corrupted certificate).
pub fn der_to_pem(der: &[u8]) -> String {
    pem_encode("CERTIFICATE", der)
}

/// Returns a copy of `cert_der` with the last signature byte flipped, so the
/// signature no longer verifies while the certificate still parses.
pub fn corrupt_signature(cert_der: &[u8]) -> Vec<u8> {
    let mut v = cert_der.to_vec();
    *v.last_mut().expect("empty certificate") ^= 0x01;
    v
}

/// Writes `contents` to a fresh temporary `*.pem` file that is deleted when
/// the returned handle is dropped.  Pass `file.path()` as a CLI flag.
pub fn write_temp(contents: impl AsRef<[u8]>) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new()
        .prefix("frontproxy-test-")
        .suffix(".pem")
        .tempfile()
        .expect("cannot create temp file");
    f.write_all(contents.as_ref())
        .expect("cannot write temp file");
    f.flush().expect("cannot flush temp file");
    f
}

/// A temporary directory (deleted on drop) for several PEM files.
pub struct PkiDir {
    /// The underlying directory.
    pub dir: tempfile::TempDir,
}

impl PkiDir {
    /// Creates the directory.
    pub fn new() -> PkiDir {
        PkiDir {
            dir: tempfile::Builder::new()
                .prefix("frontproxy-pki-")
                .tempdir()
                .expect("cannot create temp dir"),
        }
    }
    /// Directory path.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    /// Writes `contents` to `<dir>/<name>` and returns the full path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, contents)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", p.display()));
        p
    }
    /// Writes the certificate PEM to `<dir>/<name>`.
    pub fn write_cert(&self, name: &str, cert: &Issued) -> PathBuf {
        self.write(name, &cert.pem)
    }
    /// Writes the PKCS#8 key PEM to `<dir>/<name>`.
    pub fn write_key(&self, name: &str, cert: &Issued) -> PathBuf {
        self.write(name, cert.key_pem())
    }
    /// Writes a PEM bundle to `<dir>/<name>`.
    pub fn write_bundle(&self, name: &str, certs: &[&Issued]) -> PathBuf {
        self.write(name, pem_bundle(certs))
    }
}

impl Default for PkiDir {
    fn default() -> Self {
        PkiDir::new()
    }
}

// ---------------------------------------------------------------------------
// Minimal DER
// ---------------------------------------------------------------------------

/// Minimal DER encoding/decoding helpers (single-byte tags only).
pub mod der {
    /// BOOLEAN.
    pub const TAG_BOOLEAN: u8 = 0x01;
    /// INTEGER.
    pub const TAG_INTEGER: u8 = 0x02;
    /// BIT STRING.
    pub const TAG_BIT_STRING: u8 = 0x03;
    /// OCTET STRING.
    pub const TAG_OCTET_STRING: u8 = 0x04;
    /// NULL.
    pub const TAG_NULL: u8 = 0x05;
    /// OBJECT IDENTIFIER.
    pub const TAG_OID: u8 = 0x06;
    /// UTF8String.
    pub const TAG_UTF8_STRING: u8 = 0x0C;
    /// PrintableString.
    pub const TAG_PRINTABLE_STRING: u8 = 0x13;
    /// IA5String.
    pub const TAG_IA5_STRING: u8 = 0x16;
    /// SEQUENCE (constructed).
    pub const TAG_SEQUENCE: u8 = 0x30;
    /// SET (constructed).
    pub const TAG_SET: u8 = 0x31;

    /// Tag + definite length + contents.
    pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let n = content.len();
        if n < 0x80 {
            out.push(n as u8);
        } else {
            let be = n.to_be_bytes();
            let skip = be.iter().take_while(|b| **b == 0).count();
            out.push(0x80 | (be.len() - skip) as u8);
            out.extend_from_slice(&be[skip..]);
        }
        out.extend_from_slice(content);
        out
    }

    /// SEQUENCE of already-encoded elements, in order.
    pub fn sequence(items: &[Vec<u8>]) -> Vec<u8> {
        tlv(TAG_SEQUENCE, &items.concat())
    }

    /// SET OF already-encoded elements, sorted as DER requires.
    pub fn set_of(items: &[Vec<u8>]) -> Vec<u8> {
        let mut sorted = items.to_vec();
        sorted.sort();
        tlv(TAG_SET, &sorted.concat())
    }

    /// OBJECT IDENTIFIER from its arcs.
    pub fn oid(arcs: &[u64]) -> Vec<u8> {
        assert!(arcs.len() >= 2 && arcs[0] <= 2, "invalid OID {arcs:?}");
        let mut body = Vec::new();
        let mut push_arc = |mut v: u64| {
            let mut tmp = vec![(v & 0x7f) as u8];
            v >>= 7;
            while v > 0 {
                tmp.push(0x80 | (v & 0x7f) as u8);
                v >>= 7;
            }
            tmp.reverse();
            body.extend_from_slice(&tmp);
        };
        push_arc(arcs[0] * 40 + arcs[1]);
        for a in &arcs[2..] {
            push_arc(*a);
        }
        tlv(TAG_OID, &body)
    }

    /// INTEGER (minimal two's complement).
    pub fn integer(v: i64) -> Vec<u8> {
        let be = v.to_be_bytes();
        let mut start = 0;
        while start < 7
            && ((be[start] == 0x00 && be[start + 1] & 0x80 == 0)
                || (be[start] == 0xff && be[start + 1] & 0x80 != 0))
        {
            start += 1;
        }
        tlv(TAG_INTEGER, &be[start..])
    }

    /// BOOLEAN.
    pub fn boolean(b: bool) -> Vec<u8> {
        tlv(TAG_BOOLEAN, &[if b { 0xff } else { 0x00 }])
    }

    /// NULL.
    pub fn null() -> Vec<u8> {
        vec![TAG_NULL, 0x00]
    }

    /// UTF8String.
    pub fn utf8_string(s: &str) -> Vec<u8> {
        tlv(TAG_UTF8_STRING, s.as_bytes())
    }

    /// X.501 Name: SEQUENCE OF RDN, RDN = SET OF AttributeTypeAndValue.
    pub fn name(rdns: &[Vec<super::Attr>]) -> Vec<u8> {
        let rdns: Vec<Vec<u8>> = rdns
            .iter()
            .map(|rdn| {
                let atvs: Vec<Vec<u8>> = rdn
                    .iter()
                    .map(|a| sequence(&[oid(&a.oid), a.value.to_der()]))
                    .collect();
                set_of(&atvs)
            })
            .collect();
        sequence(&rdns)
    }

    /// Parses one TLV at the start of `input`: `(tag, contents, rest)`.
    /// Panics on malformed input (only used on rcgen output).
    pub fn parse_tlv(input: &[u8]) -> (u8, &[u8], &[u8]) {
        let (full, rest) = split_tlv(input);
        let tag = full[0];
        let hdr = header_len(full);
        (tag, &full[hdr..], rest)
    }

    /// Splits `input` into its first complete TLV and the remainder.
    pub fn split_tlv(input: &[u8]) -> (&[u8], &[u8]) {
        assert!(input.len() >= 2, "truncated DER");
        assert!(input[0] & 0x1f != 0x1f, "multi-byte tags unsupported");
        let (hdr, len) = if input[1] & 0x80 == 0 {
            (2, input[1] as usize)
        } else {
            let n = (input[1] & 0x7f) as usize;
            assert!(
                (1..=4).contains(&n) && input.len() >= 2 + n,
                "bad DER length"
            );
            let len = input[2..2 + n]
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | *b as usize);
            (2 + n, len)
        };
        assert!(input.len() >= hdr + len, "truncated DER");
        input.split_at(hdr + len)
    }

    fn header_len(tlv: &[u8]) -> usize {
        if tlv[1] & 0x80 == 0 {
            2
        } else {
            2 + (tlv[1] & 0x7f) as usize
        }
    }
}
