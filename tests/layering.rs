//! What Cargo cannot see about the layers, checked on the parsed source (`syn`) of every
//! workspace crate (in the style of freemkv's `tests/no_cdbs.rs`). Which crate may name which is
//! the crate graph's job; this test keeps two rules the graph cannot express:
//!
//! - **Vendor CDB bytes live only in `crates/core/src/family/<chip>/cdb.rs`.** Anywhere else it
//!   fails on a CDB-shaped array literal (6, 10, 12 or 16 elements, also inside `vec![...]` and
//!   other macros) starting with a vendor opcode, an assignment `cdb[0] = <vendor opcode>`, a
//!   named constant holding a vendor opcode or a READ/WRITE BUFFER mode, and a READ/WRITE BUFFER
//!   builder or command given a literal mode number. Exempt, explicitly: the standard builders
//!   (`crates/scsi/src/cdb.rs`), the device side that decodes vendor CDBs (the emulator,
//!   `crates/emu/`, and the VM gadget serving it over USB, `tools/vm-gadget/src/main.rs` and
//!   `gadget/`), and the test code of the transport layers (`crates/scsi/`, `src/sg/`), which
//!   feeds opaque vendor CDBs through guards and traces.
//! - **Files are created by path only in `odflash-files`' `atomic.rs` and read whole only in its
//!   `input.rs`** (the kernel's own files and lock files excepted, see [`OWN_FILE_IO`]).
//!
//! Vendor opcodes here are WRITE BUFFER (0x3B) and READ BUFFER (0x3C), whose modes carry the
//! vendor protocol, and the vendor-specific groups 6 and 7 (0xC0..=0xFF: 0xDF, 0xF1, 0xFF, ...;
//! SPC-4 §4.2.5.1). Comments, doc tests and strings are not code to a parser, so hex in them is
//! never flagged.

use std::fs;
use std::path::{Path, PathBuf};

use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Attribute, Expr, Token};

/// What a violation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A CDB-shaped array literal starting with a vendor opcode.
    VendorCdbArray,
    /// `x[0] = <vendor opcode>`: a vendor CDB built byte by byte.
    VendorOpcodeAssignment,
    /// A constant or static holding a vendor opcode.
    NamedVendorOpcode,
    /// A constant or static naming a READ/WRITE BUFFER mode.
    NamedBufferMode,
    /// A READ/WRITE BUFFER builder or command called with a literal mode.
    BufferModeLiteral,
    /// A file created or read whole by path outside `odflash-files`.
    OwnFileIo,
}

/// One violation: the line and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Violation {
    line: usize,
    kind: Kind,
}

/// Where a file sits, as far as vendor CDB bytes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// `crates/core/src/family/<chip>/cdb.rs`: the one home of a family's vendor CDBs.
    ChipCdb,
    /// `crates/scsi/src/cdb.rs`: the standard builders (READ/WRITE BUFFER take the mode).
    StandardBuilders,
    /// The emulator and the VM gadget: the device side, which decodes vendor CDBs.
    DeviceSide,
    /// The transport layers (`crates/scsi`, `src/sg`): their tests feed opaque vendor CDBs.
    Transport,
    /// Everything else.
    Other,
}

/// Where the device side lives (vendor CDBs decoded, not built).
const DEVICE_SIDE: &[&str] = &[
    "crates/emu/src/",
    "tools/vm-gadget/src/main.rs",
    "tools/vm-gadget/src/gadget/",
];

/// Where the transport layers live.
const TRANSPORT: &[&str] = &["crates/scsi/src/", "src/sg/"];

/// The standard CDB builders.
const STANDARD_BUILDERS: &str = "crates/scsi/src/cdb.rs";

/// The directory of the chip families.
const FAMILIES: &str = "crates/core/src/family/";

fn place_of(rel: &str) -> Place {
    let chip_cdb = rel
        .strip_prefix(FAMILIES)
        .and_then(|r| r.strip_suffix("/cdb.rs"))
        .is_some_and(|chip| !chip.is_empty() && !chip.contains('/'));
    if chip_cdb {
        Place::ChipCdb
    } else if rel == STANDARD_BUILDERS {
        Place::StandardBuilders
    } else if DEVICE_SIDE.iter().any(|p| rel.starts_with(p)) {
        Place::DeviceSide
    } else if TRANSPORT.iter().any(|p| rel.starts_with(p)) {
        Place::Transport
    } else {
        Place::Other
    }
}

/// Files that may create or read files by path without `odflash-files`, and why.
const OWN_FILE_IO: &[(&str, &str)] = &[
    (
        "crates/files/src/atomic.rs",
        "the one way files are created",
    ),
    (
        "crates/files/src/input.rs",
        "the one way input files are read",
    ),
    (
        "crates/core/src/ops/lock.rs",
        "a lock file is opened in place: replacing it would drop the lock",
    ),
    (
        "src/sg/",
        "sysfs attributes and device nodes, made by the kernel",
    ),
    ("src/discover/", "sysfs attributes, made by the kernel"),
    (
        "tools/vm-gadget/",
        "the VM gadget's configfs and FunctionFS files, made by the kernel",
    ),
];

/// True for the opcodes whose CDB bytes carry a vendor protocol (see the module docs).
fn is_vendor_opcode(v: u64) -> bool {
    v == 0x3B || v == 0x3C || (0xC0..=0xFF).contains(&v)
}

/// The value of an integer literal expression (through parentheses and casts).
fn int_value(e: &Expr) -> Option<u64> {
    match e {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => i.base10_parse().ok(),
        Expr::Paren(p) => int_value(&p.expr),
        Expr::Group(g) => int_value(&g.expr),
        Expr::Cast(c) => int_value(&c.expr),
        _ => None,
    }
}

/// True when `attrs` make the item test code (`#[cfg(test)]` or `#[test]`).
fn is_test_code(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("test")
            || (a.path().is_ident("cfg") && a.parse_args::<syn::Ident>().is_ok_and(|i| i == "test"))
    })
}

/// The last `n` segments of a path expression's path, as strings.
fn tail(e: &Expr, n: usize) -> Vec<String> {
    let Expr::Path(p) = e else { return Vec::new() };
    let segs: Vec<String> = p
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    segs[segs.len().saturating_sub(n)..].to_vec()
}

/// Walks one file, noting violations of the rules that apply at its place.
struct Scan {
    place: Place,
    /// Whether the file-creation rule applies to it.
    file_rule: bool,
    /// Depth of test items around the current node.
    in_test: usize,
    found: Vec<Violation>,
}

impl Scan {
    fn note(&mut self, at: impl Spanned, kind: Kind) {
        self.found.push(Violation {
            line: at.span().start().line,
            kind,
        });
    }

    /// Whether the vendor CDB rules apply here.
    fn cdb_rules(&self) -> bool {
        match self.place {
            Place::ChipCdb | Place::StandardBuilders | Place::DeviceSide => false,
            Place::Transport => self.in_test == 0,
            Place::Other => true,
        }
    }

    /// A list of elements that may be a CDB: `[a, b, ...]` or `vec![a, b, ...]`.
    fn check_cdb_list<'e>(
        &mut self,
        at: impl Spanned,
        elems: impl ExactSizeIterator<Item = &'e Expr>,
    ) {
        let mut elems = elems;
        let len = elems.len();
        let first = elems.next().and_then(int_value);
        if self.cdb_rules() && [6, 10, 12, 16].contains(&len) && first.is_some_and(is_vendor_opcode)
        {
            self.note(at, Kind::VendorCdbArray);
        }
    }

    /// A `const` or `static` of type `ty` named `name` with value `value`.
    fn check_named(&mut self, name: &syn::Ident, ty: &syn::Type, value: &Expr) {
        let is_u8 = matches!(ty, syn::Type::Path(p) if p.path.is_ident("u8"));
        if !self.cdb_rules() || !is_u8 {
            return;
        }
        if int_value(value).is_some_and(is_vendor_opcode) {
            self.note(name, Kind::NamedVendorOpcode);
        } else if name.to_string().contains("MODE") {
            self.note(name, Kind::NamedBufferMode);
        }
    }

    /// A call of `name` with `args` (`method`: the receiver is not among them).
    fn check_call(&mut self, at: impl Spanned + Copy, name: &str, args: &[&Expr], method: bool) {
        let mode_arg = match name {
            "build_read_buffer" | "build_write_buffer" => 0,
            "read_buffer" | "write_buffer" if method => 0,
            "read_buffer" | "write_buffer" => 1,
            _ => return self.check_file_call(at, name, method),
        };
        if self.cdb_rules() && args.get(mode_arg).is_some_and(|a| int_value(a).is_some()) {
            self.note(at, Kind::BufferModeLiteral);
        }
    }

    fn check_file_call(&mut self, at: impl Spanned, name: &str, method: bool) {
        if method && self.file_rule && self.in_test == 0 && matches!(name, "create" | "create_new")
        {
            self.note(at, Kind::OwnFileIo);
        }
    }
}

impl<'ast> Visit<'ast> for Scan {
    fn visit_item_mod(&mut self, i: &'ast syn::ItemMod) {
        let test = is_test_code(&i.attrs);
        self.in_test += usize::from(test);
        visit::visit_item_mod(self, i);
        self.in_test -= usize::from(test);
    }

    fn visit_item_fn(&mut self, i: &'ast syn::ItemFn) {
        let test = is_test_code(&i.attrs);
        self.in_test += usize::from(test);
        visit::visit_item_fn(self, i);
        self.in_test -= usize::from(test);
    }

    fn visit_impl_item_fn(&mut self, i: &'ast syn::ImplItemFn) {
        let test = is_test_code(&i.attrs);
        self.in_test += usize::from(test);
        visit::visit_impl_item_fn(self, i);
        self.in_test -= usize::from(test);
    }

    fn visit_item_const(&mut self, i: &'ast syn::ItemConst) {
        self.check_named(&i.ident, &i.ty, &i.expr);
        visit::visit_item_const(self, i);
    }

    fn visit_impl_item_const(&mut self, i: &'ast syn::ImplItemConst) {
        self.check_named(&i.ident, &i.ty, &i.expr);
        visit::visit_impl_item_const(self, i);
    }

    fn visit_item_static(&mut self, i: &'ast syn::ItemStatic) {
        self.check_named(&i.ident, &i.ty, &i.expr);
        visit::visit_item_static(self, i);
    }

    fn visit_expr_array(&mut self, i: &'ast syn::ExprArray) {
        self.check_cdb_list(i, i.elems.iter());
        visit::visit_expr_array(self, i);
    }

    fn visit_expr_assign(&mut self, i: &'ast syn::ExprAssign) {
        let first_byte = matches!(&*i.left, Expr::Index(x) if int_value(&x.index) == Some(0));
        if self.cdb_rules() && first_byte && int_value(&i.right).is_some_and(is_vendor_opcode) {
            self.note(i, Kind::VendorOpcodeAssignment);
        }
        visit::visit_expr_assign(self, i);
    }

    fn visit_expr_call(&mut self, i: &'ast syn::ExprCall) {
        let path = tail(&i.func, 2);
        if let Some(name) = path.last() {
            let args: Vec<&Expr> = i.args.iter().collect();
            self.check_call(i, name, &args, false);
        }
        let by_path = matches!(
            path.iter().map(String::as_str).collect::<Vec<_>>()[..],
            ["File", "create" | "create_new"]
                | ["fs", "read" | "read_to_string" | "write" | "copy"]
        );
        if by_path && self.file_rule && self.in_test == 0 {
            self.note(i, Kind::OwnFileIo);
        }
        visit::visit_expr_call(self, i);
    }

    fn visit_expr_method_call(&mut self, i: &'ast syn::ExprMethodCall) {
        let args: Vec<&Expr> = i.args.iter().collect();
        self.check_call(&i.method, &i.method.to_string(), &args, true);
        visit::visit_expr_method_call(self, i);
    }

    /// Macro bodies are tokens to syn; those that are a comma-separated list of expressions
    /// (`vec![...]`, `assert_eq!(...)`, `format!(...)`) are scanned as code too.
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        let parsed = m.parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated);
        if let Ok(exprs) = parsed {
            if m.path.is_ident("vec") {
                self.check_cdb_list(m, exprs.iter());
            }
            for e in &exprs {
                self.visit_expr(e);
            }
        }
        visit::visit_macro(self, m);
    }
}

/// Every violation in one file (`rel` is its path from the workspace root).
fn violations(rel: &str, src: &str) -> Vec<Violation> {
    let file = syn::parse_file(src).unwrap_or_else(|e| panic!("{rel} does not parse: {e}"));
    let mut scan = Scan {
        place: place_of(rel),
        file_rule: !OWN_FILE_IO.iter().any(|(p, _)| rel.starts_with(p)),
        in_test: 0,
        found: Vec::new(),
    };
    scan.visit_file(&file);
    scan.found
}

/// The kinds of the violations in one file.
fn kinds(rel: &str, src: &str) -> Vec<Kind> {
    violations(rel, src).into_iter().map(|v| v.kind).collect()
}

/// The workspace root (the root package's directory).
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap_or_else(|e| panic!("read {}: {e}", d.display())) {
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

/// The source directories of every workspace member: `src/`, `crates/*/src/`, `tools/*/src/`.
fn source_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![root().join("src")];
    for group in ["crates", "tools"] {
        let mut members: Vec<PathBuf> = fs::read_dir(root().join(group))
            .unwrap_or_else(|e| panic!("read {group}/: {e}"))
            .map(|e| e.expect("dir entry").path().join("src"))
            .filter(|src| src.is_dir())
            .collect();
        members.sort();
        dirs.extend(members);
    }
    dirs
}

/// Every workspace source file, as (path from the root, text).
fn workspace_sources() -> Vec<(String, String)> {
    let root = root();
    source_dirs()
        .iter()
        .flat_map(|dir| rust_files(dir))
        .map(|path| {
            let rel = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let text = fs::read_to_string(&path).unwrap();
            (rel, text)
        })
        .collect()
}

#[test]
fn vendor_cdbs_live_only_in_family_cdb_files_and_files_only_in_odflash_files() {
    let sources = workspace_sources();
    assert!(
        sources.len() > 50,
        "scanned too few files: {}",
        sources.len()
    );
    for member in [
        "src/",
        "crates/core/",
        "crates/scsi/",
        "crates/fw/",
        "tools/vm-gadget/",
    ] {
        assert!(
            sources.iter().any(|(rel, _)| rel.starts_with(member)),
            "nothing scanned under {member}"
        );
    }
    let found: Vec<String> = sources
        .iter()
        .flat_map(|(rel, text)| {
            violations(rel, text)
                .into_iter()
                .map(move |v| format!("{rel}:{}: {:?}", v.line, v.kind))
        })
        .collect();
    assert!(
        found.is_empty(),
        "layering violations:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_exempt_place_exists() {
    let root = root();
    let exempt = DEVICE_SIDE
        .iter()
        .chain(TRANSPORT)
        .chain([&STANDARD_BUILDERS, &FAMILIES])
        .chain(OWN_FILE_IO.iter().map(|(p, _)| p));
    for place in exempt {
        assert!(
            root.join(place).exists(),
            "{place} is exempt but does not exist"
        );
    }
    let chip_cdbs = workspace_sources()
        .iter()
        .filter(|(rel, _)| place_of(rel) == Place::ChipCdb)
        .count();
    assert!(chip_cdbs > 0, "no family/<chip>/cdb.rs found");
}

#[test]
fn comments_strings_and_doc_tests_are_not_code() {
    let src = r##"
        //! Sends `[0x3B, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x0B, 0, 0]` (doc).
        /// ```
        /// let cdb = [0xF1, 0x06, 0, 0, 0, 0, 0, 0, 0, 0];
        /// ```
        /* block [0xDF, 0x83, 0, 0, 0, 0] /* nested */ still comment */
        fn f() -> &'static str {
            let _c = '[';
            let _s = "[0xFF, 0, 0, 0, 0, 0] cdb[0] = 0x3B";
            let _r = r#"[0x3C, 6, 0, 0, 0, 0, 0, 0, 0, 0]"#;
            "ok"
        }
    "##;
    assert_eq!(kinds("crates/core/src/ops/flash.rs", src), []);
    assert_eq!(kinds("crates/core/src/family/mt19xx/flash.rs", src), []);
}

#[test]
fn vendor_cdb_arrays_are_found_outside_cdb_rs() {
    let src = "fn f() {\n let c = [0x3B, 0x07, 0, 0, 0, 0, 0, 0, 0, 0, 0x1B, 0x12];\n}\n";
    assert_eq!(
        violations("crates/core/src/ops/flash.rs", src),
        [Violation {
            line: 2,
            kind: Kind::VendorCdbArray
        }]
    );
    assert_eq!(
        kinds("crates/core/src/family/mt19xx/flash.rs", src),
        [Kind::VendorCdbArray]
    );
    assert_eq!(
        kinds(
            "src/cli/flash.rs",
            "const X: [u8; 6] = [0xf1u8, 6, 0, 0, 0, 0];"
        ),
        [Kind::VendorCdbArray]
    );
    // Inside macros too: a `vec!` is an array, an assertion's arguments are code.
    let in_macros = "fn f() { let c = vec![0xDF, 0x83, 0, 0, 0, 0]; \
                     assert_eq!(x, [0x3C, 6, 0, 0, 0, 0, 0, 0, 0, 0]); }";
    assert_eq!(
        kinds("tools/vm-gadget/src/bin/odflash-sgloop.rs", in_macros),
        [Kind::VendorCdbArray, Kind::VendorCdbArray]
    );
    // Opaque vendor CDBs in a transport layer's tests are allowed; in ops tests they are not.
    let in_test = format!("#[cfg(test)]\nmod tests {{\n{src}}}\n");
    assert_eq!(kinds("crates/scsi/src/guard.rs", &in_test), []);
    assert_eq!(kinds("src/sg/transport.rs", &in_test), []);
    assert_eq!(
        kinds("crates/core/src/ops/flash.rs", &in_test),
        [Kind::VendorCdbArray]
    );
    assert_eq!(
        kinds("crates/scsi/src/guard.rs", src),
        [Kind::VendorCdbArray]
    );
    // Allowed homes: a chip's cdb.rs, the standard builders, the device side.
    for home in [
        "crates/core/src/family/mt19xx/cdb.rs",
        "crates/scsi/src/cdb.rs",
        "crates/emu/src/mt19xx.rs",
        "tools/vm-gadget/src/main.rs",
        "tools/vm-gadget/src/gadget/bot.rs",
    ] {
        assert_eq!(kinds(home, src), [], "{home}");
    }
    // Not CDBs: a fill, a short list, standard opcodes, a 0xFF-filled repeat.
    let benign = "fn f() { let a = [0xFF; 16]; let b = [0xFF, 0x00]; \
                  let c = [0x12, 0, 0, 0, 0x60, 0]; let d = vec![0xFFu8; 0x1000]; }";
    assert_eq!(kinds("crates/core/src/ops/backup.rs", benign), []);
}

#[test]
fn vendor_opcode_assignments_are_found() {
    let src = "fn f(cdb: &mut [u8; 10]) {\n cdb[0] = 0x3B;\n cdb[1] = 6;\n}\n";
    assert_eq!(
        violations("src/cli/flash.rs", src),
        [Violation {
            line: 2,
            kind: Kind::VendorOpcodeAssignment
        }]
    );
    assert_eq!(kinds("crates/core/src/family/mt19xx/cdb.rs", src), []);
    // Standard opcodes and other bytes are not vendor CDBs.
    let benign = "fn f(b: &mut [u8]) { b[0] = 0x12; b[3] = 0xFF; b[0] = (0x70); }";
    assert_eq!(kinds("crates/core/src/ops/dump.rs", benign), []);
}

#[test]
fn named_vendor_opcodes_and_buffer_modes_are_found() {
    let src = "const MODE_VENDOR_FLASH: u8 = 6;\npub const OP_DOWNLOAD: u8 = 0xF1;\n\
               struct S;\nimpl S {\n const MODE: u8 = 0x07;\n}\nstatic MODE_X: u8 = 1;\n";
    assert_eq!(
        violations("tools/vm-gadget/src/bin/odflash-sgloop.rs", src),
        [
            Violation {
                line: 1,
                kind: Kind::NamedBufferMode
            },
            Violation {
                line: 2,
                kind: Kind::NamedVendorOpcode
            },
            Violation {
                line: 5,
                kind: Kind::NamedBufferMode
            },
            Violation {
                line: 7,
                kind: Kind::NamedBufferMode
            },
        ]
    );
    assert_eq!(kinds("crates/core/src/family/mt19xx/cdb.rs", src), []);
    assert_eq!(kinds("crates/emu/src/mt19xx.rs", src), []);
    // Other constants are not CDB bytes.
    let benign = "pub const STATUS_LEN: usize = 16; const TYPE_MMC: u8 = 5; \
                  const BLOCK_MODE: usize = 2; const ERASED: u16 = 0xFFFF;";
    assert_eq!(kinds("crates/core/src/ops/flash.rs", benign), []);
}

#[test]
fn literal_buffer_modes_are_found() {
    let src = "fn f(t: &mut dyn T) {\n let _ = build_write_buffer(6, 0, off, len);\n \
               scsi::read_buffer(t, 0x06, 0, 0x3000, &mut b);\n dev.write_buffer(7, 0, 0, b);\n}\n";
    assert_eq!(
        kinds("crates/core/src/ops/dump.rs", src),
        [Kind::BufferModeLiteral; 3]
    );
    // Named modes from a chip's cdb.rs are fine, and the standard builders take the mode.
    let named = "fn f() { scsi::read_buffer(t, cdb::MODE_WINDOW, 0, off, b); }";
    assert_eq!(kinds("crates/core/src/family/mt19xx/flash.rs", named), []);
    assert_eq!(kinds("crates/scsi/src/cdb.rs", src), []);
}

#[test]
fn own_file_io_is_found() {
    let src = "fn f() { let _ = File::create(p); let _ = std::fs::read(p); \
               OpenOptions::new().write(true).create(true).open(p); fs::read_dir(d); }";
    assert_eq!(
        kinds("crates/core/src/ops/backup.rs", src),
        [Kind::OwnFileIo; 3]
    );
    assert_eq!(
        kinds("crates/emu/src/persist.rs", src),
        [Kind::OwnFileIo; 3]
    );
    assert_eq!(kinds("crates/files/src/atomic.rs", src), []);
    assert_eq!(kinds("src/sg/device.rs", src), []);
    let in_test = format!("#[cfg(test)]\nmod tests {{\n{src}}}\n");
    assert_eq!(kinds("crates/core/src/ops/backup.rs", &in_test), []);
}
