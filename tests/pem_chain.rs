//! The README's Rust example end to end from PEM files, as kubeadm and cert-manager users hold
//! them: `chain_from_pem_file` gives the presented chain that `verify_peer` and
//! `authenticate_chain` take.

mod common;

use common::pki::*;
use frontproxy::{
    chain_from_pem, chain_from_pem_file, AuthConfig, Authenticator, CaBundle, Decision, Handshake,
    RequestHeaderOptions, RequestHeaders,
};

fn authenticator(chain: &Chain) -> Authenticator {
    let ca = CaBundle::from_pem(
        pem_bundle(&[&chain.root]).as_bytes(),
        "--requestheader-client-ca-file",
    )
    .unwrap();
    let config = AuthConfig::builder()
        .request_header(
            ca,
            RequestHeaderOptions {
                allowed_names: vec!["front-proxy-client".into()],
                ..RequestHeaderOptions::default()
            },
        )
        .build()
        .unwrap();
    Authenticator::new(config)
}

#[test]
fn a_pem_chain_file_authenticates_as_the_readme_shows() {
    let chain = Chain::uniform(KeyKind::EcdsaP256, 1);
    let auth = authenticator(&chain);
    let pki = PkiDir::new();
    let path = pki.write("front-proxy-client.crt", chain.presented_pem());
    let presented = chain_from_pem_file(path.to_str().unwrap()).unwrap();
    assert_eq!(presented.len(), 2, "leaf and intermediate, in order");

    let pairs = [(&b"X-Remote-User"[..], &b"alice"[..])];
    let headers = RequestHeaders::from_pairs(&pairs);
    let mut peer = auth.verify_peer(&presented, Handshake::Full);
    let result = auth.authenticate(&mut peer, &headers);
    assert_eq!(result.user().map(|u| u.name()), Some("alice"), "{result:?}");
    let owned = auth
        .authenticate_chain(&presented, Handshake::Full, &headers)
        .into_owned();
    assert!(
        matches!(owned.decision, Decision::Authenticated { .. }),
        "{owned:?}"
    );
}

#[test]
fn separate_leaf_and_intermediate_files_concatenate() {
    let chain = Chain::uniform(KeyKind::EcdsaP256, 1);
    let auth = authenticator(&chain);
    let text = format!("{}{}", chain.leaf.pem, chain.intermediates[0].pem);
    let presented = chain_from_pem(text.as_bytes()).unwrap();
    let pairs = [(&b"X-Remote-User"[..], &b"alice"[..])];
    let result = auth.authenticate_chain(
        &presented,
        Handshake::Full,
        &RequestHeaders::from_pairs(&pairs),
    );
    assert_eq!(result.user().map(|u| u.name()), Some("alice"), "{result:?}");
}
