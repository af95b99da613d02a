//! The allowed dependency directions (docs/architecture.md, "Module map and dependency directions"), checked on the
//! source text: each rule names parts of the tree and what their code must never refer to. A
//! broken rule fails with every offending line.

use std::path::{Path, PathBuf};

/// Parts of `src/` (folders or files) and the paths their code must not name.
struct Rule {
    parts: &'static [&'static str],
    forbidden: &'static [&'static str],
    why: &'static str,
}

const RULES: &[Rule] = &[
    Rule {
        parts: &["mcp"],
        forbidden: &["crate::oauth", "crate::server", "crate::config"],
        why: "the resource server receives its parts from `server::Shared`, never the authorization server",
    },
    Rule {
        parts: &["oauth"],
        forbidden: &["crate::mcp", "crate::server"],
        why: "the authorization server receives its parts from `server::Shared`",
    },
    Rule {
        parts: &[
            "oauth/authorize.rs",
            "oauth/client.rs",
            "oauth/client_auth.rs",
            "oauth/error.rs",
            "oauth/login.rs",
            "oauth/login",
            "oauth/register.rs",
            "oauth/revoke.rs",
            "oauth/token.rs",
            "oauth/token",
        ],
        forbidden: &["axum"],
        why: "protocol logic returns outcomes; only oauth/http.rs renders them as HTTP",
    },
    Rule {
        parts: &["mcp/stdio.rs", "cli/stdio.rs"],
        forbidden: &["axum", "tower_http", "tokio::net", "std::fs", "crate::server", "norman_mcp::server"],
        why: "stdio serves one person on stdin and stdout: no listener, no HTTP layer, no file",
    },
    Rule {
        parts: &["tokens"],
        forbidden: &[
            "crate::oauth",
            "crate::mcp",
            "crate::server",
            "crate::config",
            "crate::web",
            "axum",
            "tower_http",
            "reqwest",
        ],
        why: "token rules know nothing of the endpoints or of HTTP",
    },
    Rule {
        parts: &["norman"],
        forbidden: &["crate::oauth", "crate::mcp", "crate::server", "crate::tokens"],
        why: "the upstream client knows Norman, not our tokens or endpoints",
    },
    Rule {
        parts: &["guard"],
        forbidden: &["crate::oauth", "crate::mcp", "crate::server", "crate::tokens"],
        why: "both sides use the replay guard, so it depends on neither",
    },
    Rule {
        parts: &["net"],
        forbidden: &["crate::oauth", "crate::mcp", "crate::server", "crate::tokens"],
        why: "guarded fetching serves both sides and depends on neither",
    },
    Rule {
        parts: &["seal.rs"],
        forbidden: &["crate::oauth", "crate::mcp", "crate::server", "crate::tokens"],
        why: "envelopes sit below everything they seal",
    },
    Rule {
        parts: &["i18n.rs"],
        forbidden: &["crate::oauth", "crate::mcp", "crate::server", "axum"],
        why: "the pages' languages and texts serve any page and know no endpoint or HTTP",
    },
    Rule {
        parts: &["redirect.rs"],
        forbidden: &["crate::oauth", "crate::mcp", "crate::server", "crate::tokens"],
        why: "a redirect URI is a value that sealed registrations and the endpoints share",
    },
    Rule {
        parts: &["web.rs"],
        forbidden: &["crate::oauth", "crate::mcp", "crate::server"],
        why: "HTTP glue serves both sides and depends on neither",
    },
    Rule {
        parts: &["page.rs"],
        forbidden: &["crate::oauth", "crate::mcp", "crate::server"],
        why: "the pages' rendering serves the login and the upload page alike and depends on neither side",
    },
    Rule {
        parts: &["limit.rs"],
        forbidden: &["crate::oauth", "crate::mcp", "crate::server"],
        why: "budgets serve both sides and depend on neither",
    },
    Rule {
        parts: &["keyring"],
        forbidden: &["crate::oauth", "crate::mcp", "crate::server", "crate::tokens", "crate::seal"],
        why: "the keyring sits below everything that uses its keys",
    },
];

/// Only the `demo` command may use the sandbox crate, behind the `demo` feature.
const SANDBOX: &str = "norman_sandbox";
const SANDBOX_ALLOWED: &str = "cli/demo.rs";

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> =
            std::fs::read_dir(path).unwrap().map(|entry| entry.unwrap().path()).collect();
        entries.sort();
        for entry in entries {
            rust_files(&entry, out);
        }
    } else if path.extension().is_some_and(|ext| ext == "rs") {
        out.push(path.to_owned());
    }
}

/// Whether a line of code names `path`: `crate::oauth` also in `crate::{oauth::…}`, and a
/// crate (`axum`) at the start of a path. Comments do not count.
fn names(line: &str, path: &str) -> bool {
    let code = line.split("//").next().unwrap_or_default();
    let mentions = |needle: &str| {
        code.match_indices(needle).any(|(at, _)| {
            let before = code[..at].chars().next_back();
            let after = code[at + needle.len()..].chars().next();
            let ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            !ident(before) && (needle.ends_with(':') || !ident(after))
        })
    };
    match path.strip_prefix("crate::") {
        Some(module) => mentions(path) || (code.contains("crate::{") && mentions(&format!("{module}::"))),
        None => mentions(&format!("{path}::")) || mentions(&format!("use {path}")),
    }
}

/// Every line under `part` that names one of `forbidden`, as `file:line: text`.
fn offences(part: &str, forbidden: &[&str]) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(&src().join(part), &mut files);
    assert!(!files.is_empty(), "src/{part} has no Rust files: the rule names a part that moved");
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (number, line) in text.lines().enumerate() {
            if forbidden.iter().any(|path| names(line, path)) {
                let shown = file.strip_prefix(src()).unwrap_or(&file).display();
                found.push(format!("src/{shown}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn dependencies_point_one_way() {
    let mut broken = Vec::new();
    for rule in RULES {
        for part in rule.parts {
            for offence in offences(part, rule.forbidden) {
                broken.push(format!("{offence}\n    ({})", rule.why));
            }
        }
    }
    assert!(broken.is_empty(), "dependency rules broken:\n{}", broken.join("\n"));
}

#[test]
fn only_the_demo_command_uses_the_sandbox() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let users: Vec<String> = files
        .iter()
        // This file names the crate only in its own test cases.
        .filter(|file| !file.ends_with(SANDBOX_ALLOWED) && !file.ends_with("architecture.rs"))
        .flat_map(|file| {
            let text = std::fs::read_to_string(file).unwrap();
            let file = file.strip_prefix(src()).unwrap_or(file).display().to_string();
            text.lines()
                .enumerate()
                .filter(|(_, line)| names(line, SANDBOX))
                .map(|(number, line)| format!("src/{file}:{}: {}", number + 1, line.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(users.is_empty(), "product code uses the sandbox crate:\n{}", users.join("\n"));
}

#[test]
fn the_check_sees_every_way_of_naming_a_module() {
    assert!(names("use crate::oauth::AuthServer;", "crate::oauth"));
    assert!(names("use crate::{keyring::Keyring, oauth::client::Clients};", "crate::oauth"));
    assert!(names("    let cors = crate::oauth::http::cors();", "crate::oauth"));
    assert!(names("use axum::http::StatusCode;", "axum"));
    assert!(names("use norman_sandbox::{Sandbox, SandboxConfig};", "norman_sandbox"));
    assert!(!names("// crate::oauth is not used here", "crate::oauth"));
    assert!(!names("use crate::oauthish::Thing;", "crate::oauth"));
    assert!(!names("use crate::tokens::access;", "crate::oauth"));
    assert!(!names("let axum_like = 1;", "axum"));
}
