//! The crate graph of ARCHITECTURE.md, checked on the manifests and on cargo's own resolution:
//! each crate depends only on the crates below it, the models need nothing but serde, and the
//! webhook crate builds without an HTTP client or TLS.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Each crate of the workspace, bottom-up, with the workspace crates it may depend on.
const GRAPH: &[(&str, &str, &[&str])] = &[
    ("meta-messaging-model", "crates/model", &[]),
    ("meta-messaging-core", "crates/core", &["meta-messaging-model"]),
    ("meta-messaging-webhook", "crates/webhook", &["meta-messaging-core", "meta-messaging-model"]),
    ("meta-messaging", ".", &["meta-messaging-core", "meta-messaging-model", "meta-messaging-webhook"]),
    ("meta-messaging-cli", "crates/cli", &["meta-messaging"]),
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The names in a manifest's `[dependencies]` table (not dev- or build-dependencies).
fn dependencies(manifest: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut inside = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            inside = line == "[dependencies]";
            continue;
        }
        if inside && !line.is_empty() && !line.starts_with('#') {
            if let Some((name, _)) = line.split_once('=') {
                names.insert(name.trim().to_owned());
            }
        }
    }
    names
}

fn manifest(dir: &str) -> String {
    std::fs::read_to_string(root().join(dir).join("Cargo.toml")).unwrap()
}

#[test]
fn each_crate_depends_only_on_the_crates_below_it() {
    for (name, dir, allowed) in GRAPH {
        let manifest = manifest(dir);
        assert!(manifest.contains(&format!("name = \"{name}\"")), "{dir}/Cargo.toml is not {name}");
        let inner: BTreeSet<String> =
            dependencies(&manifest).into_iter().filter(|d| d.starts_with("meta-messaging")).collect();
        let allowed: BTreeSet<String> = allowed.iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(inner, allowed, "{name}'s workspace dependencies (see ARCHITECTURE.md)");
    }
}

#[test]
fn every_crate_of_the_workspace_is_placed_in_the_graph() {
    let mut found = BTreeSet::new();
    for entry in std::fs::read_dir(root().join("crates")).unwrap() {
        let dir = entry.unwrap().file_name().to_string_lossy().into_owned();
        found.insert(format!("crates/{dir}"));
    }
    let placed: BTreeSet<String> =
        GRAPH.iter().map(|(_, dir, _)| (*dir).to_owned()).filter(|d| d != ".").collect();
    assert_eq!(found, placed, "a crate under crates/ that GRAPH (and ARCHITECTURE.md) does not place");
}

#[test]
fn the_models_need_nothing_but_serde() {
    let deps = dependencies(&manifest("crates/model"));
    assert_eq!(deps.into_iter().collect::<Vec<_>>(), ["serde", "serde_json"]);
}

#[test]
fn the_manifest_reader_reads_only_the_dependencies_table() {
    let deps = dependencies(
        "[package]\nname = \"x\"\n[dependencies]\na = \"1\"\n# b = 1\nc = { workspace = true }\n[dev-dependencies]\nd = \"1\"\n",
    );
    assert_eq!(deps.into_iter().collect::<Vec<_>>(), ["a", "c"]);
}

/// The crates a package builds with its default features, as cargo resolves them (normal
/// dependencies, the package itself included).
fn resolved(package: &str) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .current_dir(root())
        .args(["tree", "--offline", "-e", "normal", "--prefix", "none", "-p", package])
        .output()
        .unwrap();
    assert!(out.status.success(), "cargo tree: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            Some(format!("{} {}", words.next()?, words.next()?))
        })
        .collect()
}

#[test]
fn the_webhook_crate_builds_without_an_http_client_or_tls() {
    let tree = resolved("meta-messaging-webhook");
    let names: BTreeSet<&str> = tree.iter().filter_map(|c| c.split(' ').next()).collect();
    for forbidden in ["reqwest", "hyper", "rustls", "ring", "aws-lc-rs", "url", "tokio-rustls", "h2"] {
        assert!(!names.contains(forbidden), "meta-messaging-webhook pulls {forbidden}");
    }
    assert!(names.contains("meta-messaging-model") && names.contains("hmac"), "{names:?}");
}

/// DESIGN.md's footprint budget: the crate users add builds at most 101 crates by default (the
/// leanest peer's count), itself included. README "Build footprint" lists where they go.
#[test]
fn the_facade_default_build_stays_within_101_crates() {
    let tree = resolved("meta-messaging");
    let names: BTreeSet<&str> = tree.iter().filter_map(|c| c.split(' ').next()).collect();
    assert!(tree.len() <= 101, "{} crates: {names:?}", tree.len());
    // What keeps it there: no second AES-GCM beside ring's, no MIME tables, SHA-1 on opt-in.
    for absent in ["aes-gcm", "mime_guess", "sha1", "thiserror", "aws-lc-sys"] {
        assert!(!names.contains(absent), "the default build pulls {absent}");
    }
}

#[test]
fn the_models_resolve_to_serde_alone() {
    let tree = resolved("meta-messaging-model");
    let names: BTreeSet<&str> = tree.iter().filter_map(|c| c.split(' ').next()).collect();
    let expected: BTreeSet<&str> = [
        "meta-messaging-model",
        "serde",
        "serde_core",
        "serde_derive",
        "serde_json",
        "itoa",
        "memchr",
        "zmij",
        "proc-macro2",
        "quote",
        "syn",
        "unicode-ident",
    ]
    .into();
    assert!(names.is_subset(&expected), "the models pull more than serde: {:?}", names.difference(&expected));
}
