//! The layering rules of ARCHITECTURE.md inside the `meta-messaging` crate, checked on the
//! source: no module may use a module of its own layer or of a layer above it; and, in every
//! crate of the workspace, no source file grows past its seams and no two public types share a
//! name. Between crates the compiler keeps the layers (`tests/crates.rs` checks the graph).

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Each module's rank: a module may use only modules of a lower rank. Listed bottom-up, as in
/// ARCHITECTURE.md.
const RANKS: &[(&str, u32)] = &[
    // Core.
    ("util", 0),
    ("telemetry", 0), // metric names and recording: used by every layer, uses nothing
    ("secret", 1),
    ("user", 1), // UserIdentity: the names of a user (re-exported by `identity`)
    ("graph", 2),
    ("clock", 3),
    ("store", 4),    // the error every store shares (src/store/mod.rs, src/store/error.rs)
    ("envelope", 5), // the shape of a webhook body: sites, the count rule, the one walk, the raw cut
    // Platforms.
    ("whatsapp", 10),
    ("messenger", 11),
    ("instagram", 12), // builds on Messenger's page-messaging models
    // Capabilities.
    ("webhook", 20),
    ("token", 21),
    ("identity", 21), // the identity directory and its store trait
    ("pacing", 22),
    ("delivery", 23),
    // Backends of every capability's store trait.
    ("store::backend", 30),
    // Integrations.
    ("endpoint", 40),
    ("flow_service", 40),
    ("axum", 41),
    ("actix", 41),
    ("testing", 42),
];

/// Names the crate root re-exports, with the module that defines them.
const ROOT_REEXPORTS: &[(&str, &str)] = &[
    ("Client", "graph"),
    ("ClientBuilder", "graph"),
    ("Error", "graph"),
    ("ErrorKind", "graph"),
    ("Platform", "graph"),
    ("Result", "graph"),
    ("Timestamp", "graph"),
    ("AccessToken", "secret"),
    ("AppSecret", "secret"),
    ("SecretValue", "secret"),
    ("VerifyToken", "secret"),
];

/// The longest a source file may grow: past it, a file has more than one seam to cut at.
const MAX_LINES: usize = 800;

fn rank(module: &str) -> u32 {
    RANKS.iter().find(|(name, _)| *name == module).map_or_else(
        || panic!("module `{module}` is not placed in a layer: add it to RANKS and ARCHITECTURE.md"),
        |(_, rank)| *rank,
    )
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source roots of every library crate of the workspace, the facade's first.
fn source_roots() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut roots = vec![root.join("src")];
    let mut crates: Vec<PathBuf> =
        fs::read_dir(root.join("crates")).unwrap().map(|e| e.unwrap().path().join("src")).collect();
    crates.sort();
    roots.extend(crates);
    roots
}

/// The layer a file belongs to: its top module, with the store's engines apart from its core.
fn module_of(relative: &Path) -> Option<String> {
    let parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let top = parts[0].trim_end_matches(".rs").to_owned();
    if top == "lib" {
        return None;
    }
    if top == "store" && parts.len() > 1 && !matches!(parts[1].as_str(), "mod.rs" | "error.rs") {
        return Some("store::backend".to_owned());
    }
    Some(top)
}

/// The modules a line of code names through `crate::`.
fn used_modules(line: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        // `$crate::` in macros, and identifiers ending in `crate`, are not paths of this crate.
        let before = &rest[..at];
        let after = &rest[at + "crate::".len()..];
        rest = after;
        if before.ends_with('$') || before.ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let names: Vec<&str> = if let Some(group) = after.strip_prefix('{') {
            // `crate::{a, b::c, D}`: the first segment of each item (one level of braces).
            let end = group.find('}').unwrap_or(group.len());
            group[..end].split(',').map(|item| item.trim().split("::").next().unwrap_or("").trim()).collect()
        } else {
            vec![after.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or("")]
        };
        for name in names.into_iter().filter(|n| !n.is_empty()) {
            let module = ROOT_REEXPORTS
                .iter()
                .find(|(reexport, _)| *reexport == name)
                .map_or(name, |(_, module)| module);
            used.insert(module.to_owned());
        }
    }
    used
}

/// Names each platform's send vocabulary keeps (`whatsapp::Message`, `messenger::Message`): the
/// platform root is their namespace, as `std::io::Error` and `std::fmt::Error` share theirs.
/// Every other public type name is unique in the crate.
const PLATFORM_SEND_NAMES: &[&str] = &["Content", "Message", "Recipient", "SendResponse"];
const SEND_MODULES: &[&str] = &["whatsapp/message", "messenger/message"];

/// Every `pub struct|enum|trait|type` name declared in a source text (outside tests), and the
/// names given to `id_type!`.
fn public_type_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut lines = code_lines(text).map(|(_, l)| l.trim()).take_while(|l| *l != "#[cfg(test)]");
    while let Some(line) = lines.next() {
        for keyword in ["pub struct ", "pub enum ", "pub trait ", "pub type "] {
            if let Some(rest) = line.strip_prefix(keyword) {
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    names.push(name);
                }
            }
        }
        if line.starts_with("id_type! {") {
            if let Some(name) = lines.find(|l| !l.starts_with("///")) {
                names.push(name.to_owned());
            }
        }
    }
    names
}

fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().map(|(i, l)| (i + 1, l)).filter(|(_, l)| !l.trim_start().starts_with("//"))
}

#[test]
fn no_module_uses_its_own_layer_or_one_above() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    let mut violations = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&root).unwrap();
        let Some(module) = module_of(relative) else { continue };
        let own = rank(&module);
        let text = fs::read_to_string(file).unwrap();
        for (number, line) in code_lines(&text) {
            for used in used_modules(line) {
                let target = if used == "store" && module != "store" && module != "store::backend" {
                    // Outside the store, `crate::store::…` names the shared error, unless it names
                    // an engine's type (only integrations and tests may).
                    if line.contains("Sqlite") || line.contains("Postgres") || line.contains("Redis") {
                        "store::backend".to_owned()
                    } else {
                        "store".to_owned()
                    }
                } else {
                    used
                };
                let same = target == module || (module == "store::backend" && target == "store");
                if !same && rank(&target) >= own {
                    violations.push(format!("{}:{number}: `{module}` uses `{target}`", relative.display()));
                }
            }
        }
    }
    assert!(violations.is_empty(), "layering violations (see ARCHITECTURE.md):\n{}", violations.join("\n"));
}

#[test]
fn no_source_file_grows_past_its_seams() {
    let mut files = Vec::new();
    for root in source_roots() {
        sources(&root, &mut files);
    }
    let long: Vec<String> = files
        .iter()
        .filter_map(|file| {
            let lines = fs::read_to_string(file).unwrap().lines().count();
            (lines > MAX_LINES).then(|| format!("{} ({lines} lines)", file.display()))
        })
        .collect();
    assert!(long.is_empty(), "files over {MAX_LINES} lines: cut them at their seams:\n{}", long.join("\n"));
}

#[test]
fn the_checker_reads_grouped_and_root_paths() {
    let used = used_modules("use crate::{Timestamp, messenger, whatsapp::webhook};");
    assert_eq!(used.into_iter().collect::<Vec<_>>(), ["graph", "messenger", "whatsapp"]);
    assert!(used_modules("macro_rules! m { () => { $crate::graph::X } }").is_empty());
    assert_eq!(
        used_modules("let x = crate::pacing::window::WINDOW;").into_iter().collect::<Vec<_>>(),
        ["pacing"]
    );
    assert_eq!(module_of(Path::new("store/sqlite.rs")).as_deref(), Some("store::backend"));
    assert_eq!(module_of(Path::new("store/error.rs")).as_deref(), Some("store"));
}

#[test]
fn no_two_public_types_share_a_name() {
    let mut seen: std::collections::BTreeMap<String, Vec<String>> = std::collections::BTreeMap::new();
    for root in source_roots() {
        let mut files = Vec::new();
        sources(&root, &mut files);
        for file in &files {
            let relative = file.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
            for name in public_type_names(&fs::read_to_string(file).unwrap()) {
                seen.entry(name).or_default().push(relative.clone());
            }
        }
    }
    let clashes: Vec<String> = seen
        .iter()
        .filter(|(name, places)| {
            let platform_pair = PLATFORM_SEND_NAMES.contains(&name.as_str())
                && places.len() == SEND_MODULES.len()
                && places.iter().zip(SEND_MODULES).all(|(place, module)| place.starts_with(module));
            places.len() > 1 && !platform_pair
        })
        .map(|(name, places)| format!("{name}: {}", places.join(", ")))
        .collect();
    assert!(clashes.is_empty(), "public types sharing a name (rename one):\n{}", clashes.join("\n"));
}

#[test]
fn the_name_reader_sees_declarations_and_ids() {
    let names = public_type_names(
        "pub struct A;\npub struct $name(String);\npub enum B<'a> {}\n// pub struct C;\nid_type! {\n    /// Doc.\n    D\n}\n#[cfg(test)]\npub struct E;",
    );
    assert_eq!(names, ["A", "B", "D"]);
}

/// The file a test path in SECURITY.md points at: `it::a::name` is `tests/it/a.rs`,
/// `x::y::tests::name` is the module `x::y` as `meta_messaging` names it (`src/x/y.rs`, or the
/// crate below that defines it: `webhook::verify` is `crates/webhook/src/verify.rs`), and
/// `suite::name` is `tests/suite.rs`.
fn test_file(path: &[&str]) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if path[0] == "it" {
        return root.join("tests/it").join(format!("{}.rs", path[1]));
    }
    if let Some(at) = path.iter().position(|s| *s == "tests") {
        let module = path[..at].join("/");
        let in_crate = |dir: &str, rest: &str| root.join(dir).join(format!("{rest}.rs"));
        let candidates = [
            in_crate("src", &module),
            in_crate("crates/webhook/src", module.strip_prefix("webhook/").unwrap_or("lib")),
            in_crate("crates/model/src", &module),
            in_crate("crates/core/src", &module),
        ];
        return candidates.iter().find(|p| p.exists()).unwrap_or(&candidates[0]).clone();
    }
    if path[0] == "cli" {
        return root.join("crates/cli/tests/cli.rs");
    }
    root.join("tests").join(format!("{}.rs", path[0]))
}

/// Every promise in SECURITY.md's guarantees names the tests that keep it, and those tests
/// exist (a renamed or deleted test fails here).
#[test]
fn every_security_promise_names_tests_that_exist() {
    let text = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("SECURITY.md")).unwrap();
    let start = text.find("## What the crate guarantees").unwrap();
    let end = text[start..].find("\n## ").map_or(text.len(), |i| start + i);
    let section = &text[start..end];
    let mut checked = 0;
    for bullet in section.split("\n- ").skip(1) {
        let bullet = bullet.split("\n### ").next().unwrap();
        let exempt = bullet.starts_with("**Threat model") || bullet.starts_with("**TLS");
        let Some((_, tests)) = bullet.split_once("**Test:**") else {
            assert!(exempt, "a promise without a test:\n- {bullet}");
            continue;
        };
        let mut file = PathBuf::new();
        for name in tests.split('`').skip(1).step_by(2) {
            if !name.contains("::") {
                continue; // a fuzz target's name, checked by tests/fuzz.rs
            }
            let segments: Vec<&str> = name.split("::").collect();
            if !name.starts_with("::") {
                file = test_file(&segments);
            }
            let function = segments.last().unwrap();
            let source =
                fs::read_to_string(&file).unwrap_or_else(|_| panic!("{name}: no {}", file.display()));
            assert!(
                source.contains(&format!("fn {function}(")) || source.contains(&format!("fn {function}<")),
                "SECURITY.md names `{name}`, which is not a test in {}",
                file.display()
            );
            checked += 1;
        }
    }
    assert!(checked > 60, "only {checked} tests named");
}
