//! The Flows data endpoint: a signed request answered, next to its cryptographic floor.
//!
//! Floor (same run): the work no endpoint can skip, with the same libraries: HMAC-SHA256 of the
//! raw body, the RSA-OAEP unwrap of the AES key (AWS-LC, 2048-bit), AES-128-GCM open of the
//! request and seal of a response. The crate adds the JSON envelope, base64, the request model,
//! the health-check answer and the response encoding. For reference, the unwrap on the `rsa`
//! crate (what the endpoint used before: not constant-time, RUSTSEC-2023-0071).
//!
//! Run: `cargo bench --bench flows`.

use std::hint::black_box;

use aes_gcm::aead::consts::U16;
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{AesGcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use criterion::Criterion;
use hmac::{Hmac, Mac};
use meta_messaging::whatsapp::flows::{FlowEndpoint, FlowResponse, client};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};

const APP_SECRET: &str = "flows-bench-app-secret";
const PEM: &str = include_str!("../tests/fixtures/flows/demo_private_key_pkcs8.pem");

type Cipher = AesGcm<aes::Aes128, U16>;

struct Request {
    body: String,
    signature: String,
    wrapped: Vec<u8>,
    iv: [u8; 16],
    sealed: Vec<u8>,
}

fn request(endpoint: &FlowEndpoint) -> Request {
    let sealed =
        client::seal(&endpoint.public_key(), &serde_json::json!({"version": "3.0", "action": "ping"}))
            .expect("seal");
    let envelope: serde_json::Value = serde_json::from_str(&sealed.body).expect("json");
    let decode = |name: &str| STANDARD.decode(envelope[name].as_str().expect("field")).expect("base64");
    Request {
        signature: sealed.signature(APP_SECRET),
        wrapped: decode("encrypted_aes_key"),
        iv: decode("initial_vector").try_into().expect("iv"),
        sealed: decode("encrypted_flow_data"),
        body: sealed.body,
    }
}

fn bench(c: &mut Criterion) {
    let endpoint = FlowEndpoint::from_pem(PEM).expect("key").app_secret(APP_SECRET);
    let request = request(&endpoint);
    let der = rsa::RsaPrivateKey::from_pkcs8_pem(PEM).expect("key").to_pkcs8_der().expect("der");
    let oaep = aws_lc_rs::rsa::OaepPrivateDecryptingKey::new(
        aws_lc_rs::rsa::PrivateDecryptingKey::from_pkcs8(der.as_bytes()).expect("aws-lc key"),
    )
    .expect("oaep");
    let rsa_key = rsa::RsaPrivateKey::from_pkcs8_pem(PEM).expect("key");
    let mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(APP_SECRET.as_bytes()).expect("mac");

    let mut group = c.benchmark_group("flows");
    group.bench_function("floor", |b| {
        b.iter(|| {
            let tag = mac.clone().chain_update(request.body.as_bytes()).finalize().into_bytes();
            let mut out = [0u8; 256];
            let key = oaep
                .decrypt(&aws_lc_rs::rsa::OAEP_SHA256_MGF1SHA256, &request.wrapped, &mut out, None)
                .expect("unwrap");
            let cipher = Cipher::new_from_slice(key).expect("aes key");
            let plain = cipher
                .decrypt(Nonce::<U16>::from_slice(&request.iv), request.sealed.as_slice())
                .expect("open");
            let flipped = request.iv.map(|b| !b);
            let answer = cipher
                .encrypt(Nonce::<U16>::from_slice(&flipped), br#"{"data":{"status":"active"}}"#.as_slice())
                .expect("seal");
            black_box((tag, plain, answer))
        });
    });
    group.bench_function("crate", |b| {
        b.iter(|| {
            let answer =
                endpoint.respond(request.body.as_bytes(), &request.signature, |_| Ok(FlowResponse::active()));
            assert_eq!(answer.status, 200);
            black_box(answer)
        });
    });
    group.bench_function("reference_rsa_crate_unwrap", |b| {
        b.iter(|| {
            black_box(rsa_key.decrypt(rsa::Oaep::new::<sha2::Sha256>(), &request.wrapped).expect("unwrap"))
        });
    });
    group.bench_function("crate_unsigned_refusal", |b| {
        b.iter(|| black_box(endpoint.respond(request.body.as_bytes(), "sha256=00", |_| unreachable!())));
    });
    group.finish();
}

fn median_ns(id: &str) -> Option<f64> {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".to_owned());
    let text = std::fs::read_to_string(format!("{target}/criterion/flows/{id}/new/estimates.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["median"]["point_estimate"].as_f64()
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion);
    criterion.final_summary();
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    println!("\nflows endpoint, crate vs floor (one core):");
    match (median_ns("floor"), median_ns("crate")) {
        (Some(f), Some(o)) => println!(
            "  signed ping: floor {f:>8.0} ns ({:.0} req/s)  crate {o:>8.0} ns ({:.0} req/s)  ratio {:.2}x",
            1e9 / f,
            1e9 / o,
            o / f
        ),
        _ => println!("  estimates not found (run without filters)"),
    }
    for (label, id) in [
        ("rsa crate unwrap (reference)", "reference_rsa_crate_unwrap"),
        ("unsigned refusal", "crate_unsigned_refusal"),
    ] {
        if let Some(ns) = median_ns(id) {
            println!("  {label}: {ns:.0} ns");
        }
    }
}
