//! Layering rules, checked by scanning `src/` (in the style of freemkv's `tests/no_cdbs.rs`).
//!
//! - Layers never name a layer above them: `scsi/` never names `family`, `ops` or `cli`;
//!   `family/` never names `ops` or `cli`, and never a transport (`sg` anywhere, `emu` outside
//!   its test modules); `ops/` never names `cli`.
//! - Vendor CDB bytes live only in `family/<chip>/cdb.rs` (and in `scsi/cdb.rs`, which builds
//!   the standard layouts, and `emu/` and `bin/gadget/`, the device side that decodes them).
//!   Anywhere else, a CDB-shaped array literal (6, 10, 12 or 16 elements) starting with a vendor
//!   opcode, or a READ/WRITE BUFFER call with a literal mode number, fails the test. The one
//!   exception:
//!   the tests of `scsi/` and `sg/`, which feed opaque vendor CDBs through guards and traces.
//! - Files are created by path only in `ops/atomic.rs` and read whole only in `ops/input.rs`
//!   (the kernel's own files and lock files excepted, see `OWN_FILE_IO`).
//!
//! Vendor opcodes here are WRITE BUFFER (0x3B) and READ BUFFER (0x3C), whose modes carry the
//! vendor protocol, and the vendor-specific groups 6 and 7 (0xC0..=0xFF: 0xDF, 0xF1, 0xFF, ...;
//! SPC-4 §4.2.5.1). The scan works on tokens with comments, strings and char literals removed,
//! so hex in comments, doc tests and messages is never flagged.

use std::fs;
use std::path::{Path, PathBuf};

/// One lexical token of Rust source, with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// An identifier or keyword.
    Ident(String),
    /// An integer literal's value (`None` when not an integer, e.g. a float).
    Int(Option<u64>),
    /// `::`.
    PathSep,
    /// Any other punctuation character.
    Punct(char),
}

/// Tokenize `src`, dropping comments (line, block, doc), string, byte-string, raw-string and
/// char literals, and lifetimes.
fn lex(src: &str) -> Vec<(Tok, usize)> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    let count_lines = |s: &[u8]| s.iter().filter(|&&c| c == b'\n').count();
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == b'\n' {
            line += 1;
            i += 1;
        } else if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'/' && next == Some(b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && next == Some(b'*') {
            let start = i;
            let mut depth = 0;
            while i < b.len() {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            line += count_lines(&b[start..i.min(b.len())]);
        } else if let Some(end) = raw_string_end(b, i) {
            line += count_lines(&b[i..end]);
            i = end;
        } else if c == b'"' || (c == b'b' && next == Some(b'"')) {
            let start = i;
            i += if c == b'b' { 2 } else { 1 };
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            line += count_lines(&b[start..i.min(b.len())]);
        } else if c == b'\'' || (c == b'b' && next == Some(b'\'')) {
            let q = if c == b'b' { i + 1 } else { i };
            match char_literal_end(b, q) {
                Some(end) => i = end,
                // A lifetime or label: drop the quote, the identifier follows as a token.
                None => i = q + 1,
            }
        } else if c.is_ascii_digit() {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
                // Stop at `..` (a range) and at a method call on a literal.
                if b[i] == b'.' && !b.get(i + 1).is_some_and(u8::is_ascii_digit) {
                    break;
                }
                i += 1;
            }
            out.push((Tok::Int(int_value(&src[start..i])), line));
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push((Tok::Ident(src[start..i].to_string()), line));
        } else if c == b':' && next == Some(b':') {
            out.push((Tok::PathSep, line));
            i += 2;
        } else {
            out.push((Tok::Punct(c as char), line));
            i += 1;
        }
    }
    out
}

/// End of a raw (byte) string literal starting at `i` (`r"..."`, `r#"..."#`, `br#"..."#`).
fn raw_string_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    if b.get(j) == Some(&b'b') {
        j += 1;
    }
    if b.get(j) != Some(&b'r') {
        return None;
    }
    j += 1;
    let hashes = b[j..].iter().take_while(|&&c| c == b'#').count();
    j += hashes;
    if b.get(j) != Some(&b'"') {
        return None;
    }
    j += 1;
    let close: Vec<u8> = std::iter::once(b'"')
        .chain(std::iter::repeat(b'#').take(hashes))
        .collect();
    let at = b[j..].windows(close.len()).position(|w| w == close)?;
    Some(j + at + close.len())
}

/// End of a char literal whose opening quote is at `q`, or `None` for a lifetime.
fn char_literal_end(b: &[u8], q: usize) -> Option<usize> {
    let mut j = q + 1;
    if b.get(j) == Some(&b'\\') {
        j += 2;
        while j < b.len() && b[j] != b'\'' && j - q < 12 {
            j += 1;
        }
    } else {
        // One UTF-8 character.
        j += 1;
        while j < b.len() && (b[j] & 0xC0) == 0x80 {
            j += 1;
        }
    }
    (b.get(j) == Some(&b'\'')).then_some(j + 1)
}

/// The value of an integer literal (`0x3B`, `0x3bu8`, `1_000`, `0o7`, `0b1`).
fn int_value(text: &str) -> Option<u64> {
    let t: String = text.chars().filter(|&c| c != '_').collect();
    let t = t.to_ascii_lowercase();
    let (digits, radix) = if let Some(h) = t.strip_prefix("0x") {
        (h, 16)
    } else if let Some(o) = t.strip_prefix("0o") {
        (o, 8)
    } else if let Some(b) = t.strip_prefix("0b") {
        (b, 2)
    } else {
        (t.as_str(), 10)
    };
    let end = digits
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(digits.len());
    let suffix = &digits[end..];
    if !(suffix.is_empty() || suffix.starts_with('u') || suffix.starts_with('i')) {
        return None;
    }
    u64::from_str_radix(&digits[..end], radix).ok()
}

/// Tokens with `#[cfg(test)]` items (test modules and functions) removed.
fn without_test_items(toks: &[(Tok, usize)]) -> Vec<(Tok, usize)> {
    let is = |i: usize, t: Tok| toks.get(i).map(|(x, _)| x) == Some(&t);
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let cfg_test = is(i, Tok::Punct('#'))
            && is(i + 1, Tok::Punct('['))
            && is(i + 2, Tok::Ident("cfg".into()))
            && is(i + 3, Tok::Punct('('))
            && is(i + 4, Tok::Ident("test".into()))
            && is(i + 5, Tok::Punct(')'))
            && is(i + 6, Tok::Punct(']'));
        if !cfg_test {
            out.push(toks[i].clone());
            i += 1;
            continue;
        }
        // Skip to the item's body and past its closing brace (or to `;` for `mod x;`).
        i += 7;
        while i < toks.len() && !is(i, Tok::Punct('{')) && !is(i, Tok::Punct(';')) {
            i += 1;
        }
        if is(i, Tok::Punct('{')) {
            let mut depth = 0;
            while i < toks.len() {
                match toks[i].0 {
                    Tok::Punct('{') => depth += 1,
                    Tok::Punct('}') => depth -= 1,
                    _ => {}
                }
                i += 1;
                if depth == 0 {
                    break;
                }
            }
        } else {
            i += 1;
        }
    }
    out
}

/// True for the opcodes whose CDB bytes carry a vendor protocol (see the module docs).
fn is_vendor_opcode(v: u64) -> bool {
    v == 0x3B || v == 0x3C || (0xC0..=0xFF).contains(&v)
}

/// Lines where a crate path names module `name`: `crate::name`, `super::name`, or a path
/// starting with `name::` (after `use crate::name`). `std::ops::Range` is not `crate::ops`.
fn path_mentions(toks: &[(Tok, usize)], name: &str) -> Vec<usize> {
    let tok = |i: usize| toks.get(i).map(|(t, _)| t);
    let ident = |i: usize, s: &str| tok(i) == Some(&Tok::Ident(s.to_string()));
    toks.iter()
        .enumerate()
        .filter(|&(i, (t, _))| {
            if *t != Tok::Ident(name.to_string()) {
                return false;
            }
            let after_sep = i > 0 && tok(i - 1) == Some(&Tok::PathSep);
            let rooted = i > 1 && after_sep && (ident(i - 2, "crate") || ident(i - 2, "super"));
            let starts_path = !after_sep && tok(i + 1) == Some(&Tok::PathSep);
            rooted || starts_path
        })
        .map(|(_, (_, line))| *line)
        .collect()
}

/// Top-level elements of the bracketed/parenthesized list opening at `open`, as token ranges.
fn list_elements(toks: &[(Tok, usize)], open: usize) -> Vec<std::ops::Range<usize>> {
    let mut depth = 0;
    let mut elements = Vec::new();
    let mut start = open + 1;
    for (i, (t, _)) in toks.iter().enumerate().skip(open) {
        match t {
            Tok::Punct('[' | '(' | '{') => depth += 1,
            Tok::Punct(']' | ')' | '}') => {
                depth -= 1;
                if depth == 0 {
                    if start < i {
                        elements.push(start..i);
                    }
                    return elements;
                }
            }
            Tok::Punct(',') if depth == 1 => {
                elements.push(start..i);
                start = i + 1;
            }
            // A repeat expression `[x; n]` is not a CDB literal.
            Tok::Punct(';') if depth == 1 => return Vec::new(),
            _ => {}
        }
    }
    Vec::new()
}

/// Lines holding a CDB-shaped array literal that starts with a vendor opcode.
fn vendor_cdb_arrays(toks: &[(Tok, usize)]) -> Vec<usize> {
    let mut lines = Vec::new();
    for (i, (t, line)) in toks.iter().enumerate() {
        if *t != Tok::Punct('[') {
            continue;
        }
        let Some((Tok::Int(Some(first)), _)) = toks.get(i + 1) else {
            continue;
        };
        if is_vendor_opcode(*first) && [6, 10, 12, 16].contains(&list_elements(toks, i).len()) {
            lines.push(*line);
        }
    }
    lines
}

/// Lines calling a READ/WRITE BUFFER builder or command with a literal mode number.
fn literal_buffer_modes(toks: &[(Tok, usize)]) -> Vec<usize> {
    let mut lines = Vec::new();
    for (i, (t, line)) in toks.iter().enumerate() {
        let Tok::Ident(name) = t else { continue };
        let mode_arg = match name.as_str() {
            "build_read_buffer" | "build_write_buffer" => 0,
            "read_buffer" | "write_buffer" => 1,
            _ => continue,
        };
        if toks.get(i + 1).map(|x| &x.0) != Some(&Tok::Punct('(')) {
            continue;
        }
        let args = list_elements(toks, i + 1);
        if let Some(arg) = args.get(mode_arg) {
            if arg.len() == 1 && matches!(toks[arg.start].0, Tok::Int(_)) {
                lines.push(*line);
            }
        }
    }
    lines
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).expect("read src dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Where vendor CDB bytes may appear: a chip's `cdb.rs`, the standard builders, the emulator
/// and the VM gadget that serves it over USB (both the device side).
fn may_hold_vendor_cdbs(rel: &str) -> bool {
    let chip_cdb = rel
        .strip_prefix("family/")
        .and_then(|r| r.strip_suffix("/cdb.rs"))
        .is_some_and(|chip| !chip.is_empty() && !chip.contains('/'));
    chip_cdb || rel == "scsi/cdb.rs" || rel.starts_with("emu/") || rel.starts_with("bin/gadget/")
}

/// Every layering violation in one file (`rel` is its path relative to `src/`).
fn violations(rel: &str, src: &str) -> Vec<String> {
    let toks = lex(src);
    let non_test = without_test_items(&toks);
    let mut found = Vec::new();
    let mut forbid = |names: &[&str], toks: &[(Tok, usize)], why: &str| {
        for name in names {
            for line in path_mentions(toks, name) {
                found.push(format!("{rel}:{line}: names `{name}`: {why}"));
            }
        }
    };
    let layer = rel.split('/').next().unwrap_or("");
    match layer {
        "scsi" => forbid(
            &["family", "ops", "cli"],
            &toks,
            "scsi/ never names a layer above it",
        ),
        "family" => {
            forbid(
                &["ops", "cli"],
                &toks,
                "family/ never names a layer above it",
            );
            forbid(
                &["sg"],
                &toks,
                "family/ talks to scsi::Transport, never to sg",
            );
            forbid(
                &["emu"],
                &non_test,
                "family/ talks to scsi::Transport, never to emu",
            );
        }
        "ops" => forbid(&["cli"], &toks, "ops/ never names the cli"),
        _ => {}
    }
    if !may_hold_vendor_cdbs(rel) {
        // The transport layers' own tests feed opaque vendor CDBs through guards and traces.
        let scanned = if layer == "scsi" || layer == "sg" {
            &non_test
        } else {
            &toks
        };
        for line in vendor_cdb_arrays(scanned) {
            found.push(format!(
                "{rel}:{line}: vendor CDB bytes outside family/<chip>/cdb.rs"
            ));
        }
        if !rel.starts_with("scsi/") {
            for line in literal_buffer_modes(&toks) {
                found.push(format!(
                    "{rel}:{line}: READ/WRITE BUFFER mode literal outside family/<chip>/cdb.rs"
                ));
            }
        }
    }
    found
}

#[test]
fn source_tree_respects_the_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    let files = rust_files(&src);
    assert!(files.len() > 10, "scanned too few files: {files:?}");
    for path in files {
        let rel = path
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = fs::read_to_string(&path).unwrap();
        all.extend(violations(&rel, &text));
    }
    assert!(all.is_empty(), "layering violations:\n{}", all.join("\n"));
}

#[test]
fn comments_strings_and_doc_tests_are_not_code() {
    let src = r##"
        //! Sends `[0x3B, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x0B, 0, 0]` (doc).
        /// ```
        /// let cdb = [0xF1, 0x06, 0, 0, 0, 0, 0, 0, 0, 0];
        /// ```
        /* block [0xDF, 0x83, 0, 0, 0, 0] /* nested */ still comment sg::Device */
        fn f() -> &'static str {
            let _c = '[';
            let _s = "[0xFF, 0, 0, 0, 0, 0] crate::sg::open";
            let _r = r#"[0x3C, 6, 0, 0, 0, 0, 0, 0, 0, 0]"#;
            "ok"
        }
    "##;
    assert_eq!(violations("ops/flash.rs", src), Vec::<String>::new());
    assert_eq!(
        violations("family/mt19xx/flash.rs", src),
        Vec::<String>::new()
    );
}

#[test]
fn vendor_cdb_arrays_are_found_outside_cdb_rs() {
    let src = "fn f() {\n let c = [0x3B, 0x07, 0, 0, 0, 0, 0, 0, 0, 0, 0x1B, 0x12];\n}\n";
    let v = violations("ops/flash.rs", src);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].starts_with("ops/flash.rs:2:"));
    assert!(!violations("family/mt19xx/flash.rs", src).is_empty());
    assert!(!violations(
        "cli/flash.rs",
        "const X: [u8; 6] = [0xf1u8, 6, 0, 0, 0, 0];"
    )
    .is_empty());
    // Opaque vendor CDBs in a transport layer's tests are allowed; in ops tests they are not.
    let in_test = format!("#[cfg(test)]\nmod tests {{\n{src}}}\n");
    assert!(violations("scsi/guard.rs", &in_test).is_empty());
    assert!(!violations("ops/flash.rs", &in_test).is_empty());
    // Allowed homes.
    assert!(violations("family/mt19xx/cdb.rs", src).is_empty());
    assert!(violations("emu/mt1959.rs", src).is_empty());
    assert!(violations("scsi/cdb.rs", src).is_empty());
    // Not CDBs: a fill, a short list, standard opcodes, a 0xFF-filled repeat.
    let benign = "fn f() { let a = [0xFF; 16]; let b = [0xFF, 0x00]; \
                  let c = [0x12, 0, 0, 0, 0x60, 0]; let d = vec![0xFFu8; 0x1000]; }";
    assert!(violations("ops/backup.rs", benign).is_empty());
}

#[test]
fn literal_buffer_modes_are_found() {
    let src = "fn f(t: &mut dyn T) {\n let _ = build_write_buffer(6, 0, off, len);\n \
               scsi::read_buffer(t, 0x06, 0, 0x3000, &mut b);\n}\n";
    let v = violations("ops/dump.rs", src);
    assert_eq!(v.len(), 2, "{v:?}");
    // Named modes from a chip's cdb.rs are fine, and scsi/ defines these helpers.
    let named = "fn f() { scsi::read_buffer(t, cdb::MODE_WINDOW, 0, off, b); }";
    assert!(violations("family/mt19xx/flash.rs", named).is_empty());
    assert!(violations("scsi/command.rs", src).is_empty());
}

#[test]
fn upward_and_transport_names_are_found() {
    assert_eq!(
        violations("scsi/guard.rs", "use crate::family::FamilyId;").len(),
        1
    );
    assert_eq!(
        violations("family/mod.rs", "use crate::sg::Device;").len(),
        1
    );
    assert_eq!(
        violations("family/mt19xx/mod.rs", "fn f() { sg::open(p); }").len(),
        1
    );
    assert_eq!(
        violations("family/mod.rs", "use crate::emu::Drive;").len(),
        1
    );
    let test_only = "#[cfg(test)]\nmod tests {\n use crate::emu::Drive;\n}\n";
    assert!(violations("family/mod.rs", test_only).is_empty());
    assert_eq!(violations("ops/scan.rs", "use crate::cli::Args;").len(), 1);
    // Words, fields, variables and other crates' modules are not paths to our layers.
    let words = "use std::ops::Range; fn f(family: &dyn Family) { let sg = 1; family.id(); }";
    assert!(violations("scsi/trace.rs", words).is_empty());
    assert!(violations("family/mod.rs", words).is_empty());
}

#[test]
fn integer_literals_are_decoded() {
    assert_eq!(int_value("0x3B"), Some(0x3B));
    assert_eq!(int_value("0x3bu8"), Some(0x3B));
    assert_eq!(int_value("0xFF_u8"), Some(0xFF));
    assert_eq!(int_value("1_000"), Some(1000));
    assert_eq!(int_value("0b1010"), Some(10));
    assert_eq!(int_value("1.5"), None);
}

/// Files that may create or read files by path without `ops::atomic` / `ops::input`, and why.
const OWN_FILE_IO: &[(&str, &str)] = &[
    ("ops/atomic.rs", "the one way files are created"),
    ("ops/input.rs", "the one way input files are read"),
    (
        "ops/lock.rs",
        "a lock file is opened in place: replacing it would drop the lock",
    ),
    (
        "sg/",
        "sysfs attributes and device nodes, made by the kernel",
    ),
    ("discover/", "sysfs attributes, made by the kernel"),
    (
        "bin/",
        "the VM gadget's configfs and FunctionFS files, made by the kernel",
    ),
];

/// Lines that create or read a file by path: `File::create`, `fs::{read, read_to_string,
/// write, copy}`, and `.create(`/`.create_new(` calls (`OpenOptions`, `DirBuilder`).
fn own_file_io(toks: &[(Tok, usize)]) -> Vec<usize> {
    let ident = |i: usize, names: &[&str]| matches!(toks.get(i), Some((Tok::Ident(s), _)) if names.contains(&s.as_str()));
    let is = |i: usize, t: Tok| toks.get(i).map(|(x, _)| x) == Some(&t);
    (0..toks.len())
        .filter(|&i| {
            let path_call = |module: &[&str], functions: &[&str]| {
                ident(i, module) && is(i + 1, Tok::PathSep) && ident(i + 2, functions)
            };
            path_call(&["File"], &["create", "create_new"])
                || path_call(&["fs"], &["read", "read_to_string", "write", "copy"])
                || (is(i, Tok::Punct('.'))
                    && ident(i + 1, &["create", "create_new"])
                    && is(i + 2, Tok::Punct('(')))
        })
        .map(|i| toks[i].1)
        .collect()
}

#[test]
fn files_are_created_and_read_only_through_atomic_and_input() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for path in rust_files(&src) {
        let rel = path
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if OWN_FILE_IO
            .iter()
            .any(|(prefix, _)| rel.starts_with(prefix))
        {
            continue;
        }
        let toks = without_test_items(&lex(&fs::read_to_string(&path).unwrap()));
        for line in own_file_io(&toks) {
            found.push(format!("{rel}:{line}"));
        }
    }
    assert!(
        found.is_empty(),
        "files created or read outside ops::atomic / ops::input:\n{}",
        found.join("\n")
    );
}

#[test]
fn own_file_io_is_found() {
    let src = "fn f() { let _ = File::create(p); let _ = std::fs::read(p); \
               OpenOptions::new().write(true).create(true).open(p); fs::read_dir(d); }";
    assert_eq!(own_file_io(&lex(src)).len(), 3);
}
