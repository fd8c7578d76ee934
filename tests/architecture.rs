//! The layering ARCHITECTURE.md promises, checked against the source: no module imports one
//! in a layer above it, modules of one layer import each other without cycles, and every
//! module under src/ is on the map.

// A test binary shares its helpers through `pub` items, and needs no Debug on fixtures.
#![allow(unreachable_pub, missing_debug_implementations)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The layers, top first, from the fenced block after "## Layers" in ARCHITECTURE.md; and
/// the test-only modules listed under "Test-only modules:".
fn layers() -> (Vec<Vec<String>>, BTreeSet<String>) {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let section = text
        .split("\n## Layers\n")
        .nth(1)
        .expect("ARCHITECTURE.md has a `## Layers` section");
    let block = section
        .split("```text\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("the Layers section starts with a ```text block");
    let layers: Vec<Vec<String>> = block
        .lines()
        .map(|line| line.split('#').next().unwrap_or("").trim())
        .filter(|line| !line.is_empty())
        .map(|line| {
            line.split(|c: char| c == ',' || c.is_whitespace())
                .filter(|word| !word.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .collect();
    let test_only = section
        .lines()
        .find_map(|line| line.strip_prefix("Test-only modules: "))
        .map(|rest| {
            rest.split(',')
                .map(|word| {
                    word.trim()
                        .trim_end_matches('.')
                        .trim_matches('`')
                        .to_owned()
                })
                .filter(|word| !word.is_empty())
                .collect()
        })
        .unwrap_or_default();
    (layers, test_only)
}

/// The top-level module a file under src/ belongs to (`None` for lib.rs and main.rs).
fn module_of(path: &Path) -> Option<String> {
    let relative = path.strip_prefix(root().join("src")).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    match first {
        "lib.rs" | "main.rs" => None,
        name => Some(name.trim_end_matches(".rs").to_owned()),
    }
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

/// The top-level modules named after `crate::` in `source`: `crate::a::b`, `$crate::a`, and
/// the groups of `use crate::{a, b::c}`. Comments are skipped.
fn crate_references(source: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                // `use crate::{a, b::{c, d}, e}`: the first identifier of each item at depth 1.
                let mut depth = 1;
                let mut item_start = true;
                let mut ident = String::new();
                for c in group.chars() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        ',' if depth == 1 => item_start = true,
                        c if depth == 1 && item_start && (c.is_alphanumeric() || c == '_') => {
                            ident.push(c);
                        }
                        _ if depth == 1 && item_start && !ident.is_empty() => {
                            found.insert(std::mem::take(&mut ident));
                            item_start = false;
                        }
                        _ => {}
                    }
                }
                if !ident.is_empty() {
                    found.insert(ident);
                }
            } else {
                let ident: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !ident.is_empty() {
                    found.insert(ident);
                }
            }
        }
    }
    found
}

/// Who imports whom, by top-level module.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let Some(module) = module_of(&file) else {
            continue;
        };
        let source = std::fs::read_to_string(&file).expect("read a source file");
        let references = crate_references(&source);
        let entry = graph.entry(module.clone()).or_default();
        entry.extend(references.into_iter().filter(|other| *other != module));
    }
    graph
}

#[test]
fn no_module_imports_one_above_it() {
    let (layers, test_only) = layers();
    let level: BTreeMap<&str, usize> = layers
        .iter()
        .enumerate()
        .flat_map(|(index, layer)| layer.iter().map(move |module| (module.as_str(), index)))
        .collect();
    let graph = imports();
    let mut problems = Vec::new();
    for (module, uses) in &graph {
        if test_only.contains(module) {
            continue;
        }
        let Some(&own) = level.get(module.as_str()) else {
            problems.push(format!("src/{module} is not in ARCHITECTURE.md's layers"));
            continue;
        };
        for used in uses {
            match level.get(used.as_str()) {
                Some(&other) if other < own => problems.push(format!(
                    "{module} (layer {own}) imports {used} (layer {other}), which is above it"
                )),
                Some(_) => {}
                // Test support any module's tests may use; it is compiled only for tests, so a
                // use outside them does not build.
                None if used == "freed" || used == "testing" => {}
                None if test_only.contains(used) => {
                    problems.push(format!("{module} imports the test-only module {used}"));
                }
                None => problems.push(format!("{module} imports {used}, which is on no layer")),
            }
        }
    }
    for layer in &layers {
        for module in layer {
            if !graph.contains_key(module) {
                problems.push(format!(
                    "ARCHITECTURE.md names `{module}`, which src/ lacks"
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "layering broken:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn modules_of_one_layer_import_each_other_without_a_cycle() {
    let (layers, _) = layers();
    let graph = imports();
    for layer in &layers {
        let members: BTreeSet<&str> = layer.iter().map(String::as_str).collect();
        // Depth-first search for a cycle among the layer's members.
        fn visit<'a>(
            node: &'a str,
            graph: &'a BTreeMap<String, BTreeSet<String>>,
            members: &BTreeSet<&str>,
            path: &mut Vec<&'a str>,
            done: &mut BTreeSet<&'a str>,
        ) -> Option<Vec<String>> {
            if let Some(at) = path.iter().position(|n| *n == node) {
                let mut cycle: Vec<String> = path[at..].iter().map(|n| (*n).to_owned()).collect();
                cycle.push(node.to_owned());
                return Some(cycle);
            }
            if !done.insert(node) {
                return None;
            }
            path.push(node);
            for next in graph.get(node).into_iter().flatten() {
                if members.contains(next.as_str())
                    && let Some(cycle) = visit(next, graph, members, path, done)
                {
                    return Some(cycle);
                }
            }
            path.pop();
            None
        }
        let mut done = BTreeSet::new();
        for member in &members {
            if let Some(cycle) = visit(member, &graph, &members, &mut Vec::new(), &mut done) {
                panic!("an import cycle within a layer: {}", cycle.join(" -> "));
            }
        }
    }
}

#[test]
fn the_reference_scanner_finds_every_form() {
    let found = crate_references(
        "use crate::api::Client;\nuse crate::{error::Error, output::{say, warn}, url};\n\
         $crate::text::sanitize(x);\n// crate::commented_out\nlet a = crate::store::X;",
    );
    let expected: BTreeSet<String> = ["api", "error", "output", "url", "text", "store"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(found, expected);
}

#[test]
fn no_source_file_is_over_500_lines_before_its_tests() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let mut long = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(&file).expect("read");
        let before_tests = source
            .lines()
            .take_while(|line| {
                let line = line.trim_start();
                !(line.starts_with("#[cfg(test)]") || line.starts_with("#[cfg(all(test"))
            })
            .count();
        // A file that is all tests (tests.rs) has nothing before them.
        if before_tests > 500 && !file.ends_with("tests.rs") {
            long.push(format!("{} ({before_tests} lines)", file.display()));
        }
    }
    assert!(
        long.is_empty(),
        "split these by responsibility:\n  {}",
        long.join("\n  ")
    );
}
