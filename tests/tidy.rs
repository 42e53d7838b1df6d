//! Tidy: the workspace's layering rules (DESIGN.md, "Workspace layout"), checked on the
//! sources themselves. The command line and the HTTP server are front ends: they reach the
//! store, the index and the classifier only through the application layer (hark-app).

use std::path::{Path, PathBuf};

/// The crates a front end must not depend on, as package and as Rust path names.
const LOWER_LAYERS: &[(&str, &str)] =
    &[("hark-store", "hark_store::"), ("hark-index", "hark_index::"), ("hark-classifier", "hark_classifier::")];

/// The front ends, relative to the workspace root.
const FRONT_ENDS: &[&str] = &["crates/hark-cli", "crates/hark-server"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ sits in the workspace root").to_owned()
}

/// Every dependency a manifest declares (normal, dev and build, also per target), as
/// (table, package name), a renamed dependency by the package it names.
fn dependencies(manifest: &toml::Table) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut collect = |prefix: &str, table: &toml::Table| {
        for kind in ["dependencies", "dev-dependencies", "build-dependencies"] {
            let Some(deps) = table.get(kind).and_then(toml::Value::as_table) else { continue };
            for (name, spec) in deps {
                let package = spec.get("package").and_then(toml::Value::as_str).unwrap_or(name);
                found.push((format!("{prefix}{kind}"), package.to_owned()));
            }
        }
    };
    collect("", manifest);
    if let Some(targets) = manifest.get("target").and_then(toml::Value::as_table) {
        for (target, table) in targets {
            if let Some(table) = table.as_table() {
                collect(&format!("target.{target}."), table);
            }
        }
    }
    found
}

/// Problems in one manifest's text: each dependency on a lower layer.
fn manifest_problems(path: &str, text: &str) -> Vec<String> {
    let manifest: toml::Table = text.parse().unwrap_or_else(|err| panic!("{path} is not valid TOML: {err}"));
    dependencies(&manifest)
        .into_iter()
        .filter(|(_, package)| LOWER_LAYERS.iter().any(|(layer, _)| layer == package))
        .map(|(table, package)| format!("{path}: [{table}] depends on {package}; go through hark-app instead"))
        .collect()
}

/// Problems in one source file's text: each line that names a lower layer's path.
fn source_problems(path: &str, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for (number, line) in text.lines().enumerate() {
        for (_, rust_path) in LOWER_LAYERS {
            if line.contains(rust_path) {
                problems.push(format!("{path}:{}: says `{rust_path}`; go through hark-app instead", number + 1));
            }
        }
    }
    problems
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn front_ends_depend_on_the_application_layer_only() {
    let root = root();
    let mut problems = Vec::new();
    for front_end in FRONT_ENDS {
        let manifest = root.join(front_end).join("Cargo.toml");
        let text =
            std::fs::read_to_string(&manifest).unwrap_or_else(|err| panic!("reading {}: {err}", manifest.display()));
        problems.extend(manifest_problems(&format!("{front_end}/Cargo.toml"), &text));
        let mut files = Vec::new();
        rust_files(&root.join(front_end).join("src"), &mut files);
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_else(|err| panic!("reading {}: {err}", file.display()));
            let shown = file.strip_prefix(&root).unwrap_or(&file).display().to_string();
            problems.extend(source_problems(&shown, &text));
        }
    }
    assert!(problems.is_empty(), "front ends reach below the application layer:\n{}", problems.join("\n"));
}

#[test]
fn the_checks_name_the_offender() {
    let manifest = "[dependencies]\nhark-app.workspace = true\nhark-store.workspace = true\n\n\
                    [dev-dependencies]\nsearch = { package = \"hark-index\", path = \"../../index\" }\n\n\
                    [target.'cfg(unix)'.dependencies]\nhark-classifier.workspace = true\n";
    assert_eq!(
        manifest_problems("crates/x/Cargo.toml", manifest),
        [
            "crates/x/Cargo.toml: [dependencies] depends on hark-store; go through hark-app instead",
            "crates/x/Cargo.toml: [dev-dependencies] depends on hark-index; go through hark-app instead",
            "crates/x/Cargo.toml: [target.cfg(unix).dependencies] depends on hark-classifier; go through hark-app instead",
        ]
    );
    let source =
        "use hark_app::App;\nfn f() { let _ = hark_store::Store::open_in; }\n// \"hark_store=info\" is a log filter\n";
    assert_eq!(
        source_problems("crates/x/src/lib.rs", source),
        ["crates/x/src/lib.rs:2: says `hark_store::`; go through hark-app instead"]
    );
}
