//! The real-kernel end-to-end suite as a cargo test: one boot (qemu, TCG) of each guest kind
//! runs every scenario in `vm/scenarios/` that declares it against the binaries cargo built for
//! this test (and `odflash`, built beside them first by `vm/test-vm.sh`; the system guest
//! installs the package of `make deb` instead), and each scenario's `ODFLASH-RESULT` line is
//! asserted.
//!
//! Ignored by a plain `cargo test` (it boots a VM, and says so as "ignored", never as a pass):
//! `make test-vm` runs it through `vm/test-vm.sh`; directly, `make deb &&
//! cargo test --release -p odflash-vm-gadget --test vm -- --ignored` (`make deb` builds the
//! release `odflash` and the package). `ODFLASH_VM_SCENARIOS=a-scan-info,g-peer` picks scenarios. A missing prerequisite (qemu, busybox, kernel package, not root to install
//! them, ...) fails the test, and under `CI=true` it says so loudly: never a silent skip.

use std::path::Path;
use std::process::Command;

/// One scenario's verdict, from its `ODFLASH-RESULT <name> PASS|FAIL <detail>` line.
#[derive(Debug, PartialEq, Eq)]
struct Verdict {
    name: String,
    passed: bool,
    detail: String,
}

/// Parse every result line of a console log (lines may carry console noise before the marker).
fn parse_results(console: &str) -> Vec<Verdict> {
    console
        .lines()
        .filter_map(|line| line.split_once("ODFLASH-RESULT ").map(|(_, rest)| rest))
        .filter_map(|rest| {
            let mut parts = rest.splitn(3, ' ');
            let name = parts.next()?.to_string();
            let passed = match parts.next()? {
                "PASS" => true,
                "FAIL" => false,
                _ => return None,
            };
            let detail = parts.next().unwrap_or("").trim().to_string();
            Some(Verdict {
                name,
                passed,
                detail,
            })
        })
        .collect()
}

/// The guest a scenario runs in, from its `# guest: initramfs|system` line (vm/run.sh reads
/// the same line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GuestKind {
    /// busybox init with systemd-udevd (vm/build-guest.sh): the default.
    Initramfs,
    /// Debian with systemd as PID 1 and dpkg (vm/build-system-guest.sh).
    System,
}

impl GuestKind {
    /// The kind a scenario script declares (initramfs when it declares none); the unknown
    /// name it declares otherwise.
    fn of_script(script: &str) -> Result<GuestKind, String> {
        let declared = script
            .lines()
            .find_map(|line| line.strip_prefix("# guest:"))
            .map(str::trim);
        match declared {
            None | Some("initramfs") => Ok(GuestKind::Initramfs),
            Some("system") => Ok(GuestKind::System),
            Some(other) => Err(other.to_string()),
        }
    }
}

/// Scenario names: the files in `vm/scenarios/` except the benchmark.
fn scenario_names(repo: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo.join("vm/scenarios"))
        .expect("vm/scenarios exists")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".sh").map(str::to_string)
        })
        .filter(|n| n != "bench")
        .collect();
    names.sort();
    names
}

#[test]
#[ignore = "boots a VM: run with `make test-vm`"]
fn vm_suite() {
    let ci = std::env::var("CI").as_deref() == Ok("true");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let gadget = Path::new(env!("CARGO_BIN_EXE_odflash-gadget"));
    let bin_dir = gadget.parent().expect("binaries live in a directory");
    assert_eq!(
        Path::new(env!("CARGO_BIN_EXE_odflash-sgloop")).parent(),
        Some(bin_dir),
        "odflash-sgloop not beside odflash-gadget"
    );
    // odflash is another package's binary: cargo builds it for this test only when asked, as
    // vm/test-vm.sh does (`cargo build -p odflash` with the same profile) before running it.
    let odflash = bin_dir.join("odflash");
    assert!(
        odflash.is_file(),
        "{} is missing: build it with the same profile first (vm/test-vm.sh does)",
        odflash.display()
    );
    let out_dir = repo.join("target/vm-test");

    let names: Vec<String> = match std::env::var("ODFLASH_VM_SCENARIOS") {
        Ok(list) if !list.is_empty() && list != "all" => {
            list.split(',').map(str::to_string).collect()
        }
        _ => scenario_names(&repo),
    };
    let kinds: Vec<GuestKind> = names
        .iter()
        .map(|name| {
            let file = repo.join(format!("vm/scenarios/{name}.sh"));
            let script = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("scenario {name}: cannot read {}: {e}", file.display()));
            GuestKind::of_script(&script)
                .unwrap_or_else(|kind| panic!("scenario {name} declares unknown guest {kind}"))
        })
        .collect();
    for (kind, script) in [
        (GuestKind::Initramfs, "vm/build-guest.sh"),
        (GuestKind::System, "vm/build-system-guest.sh"),
    ] {
        if !kinds.contains(&kind) {
            continue;
        }
        // The system guest's package is the newest target/debian/odflash_*.deb (`make deb`,
        // which vm/test-vm.sh runs first).
        let build = Command::new(repo.join(script))
            .arg(bin_dir)
            .env("ODFLASH_VM_OUT", &out_dir)
            .status()
            .unwrap_or_else(|e| panic!("run {script}: {e}"));
        assert!(
            build.success(),
            "{}{script} failed: a prerequisite is missing or the guest did not build \
             (see its output above)",
            if ci { "CI: " } else { "" }
        );
    }

    let log = out_dir.join("console.log");
    let run = Command::new(repo.join("vm/run.sh"))
        .args(["--scenarios", &names.join(","), "--log"])
        .arg(&log)
        .env("ODFLASH_VM_OUT", &out_dir)
        .status()
        .expect("run vm/run.sh");
    // vm/run.sh appends each boot's console to the log: one ODFLASH-DONE per guest kind.
    let console = std::fs::read_to_string(&log).unwrap_or_default();
    let boots = [GuestKind::Initramfs, GuestKind::System]
        .iter()
        .filter(|kind| kinds.contains(kind))
        .count();
    assert_eq!(
        console.matches("ODFLASH-DONE").count(),
        boots,
        "a guest did not finish (run.sh status {run}); console log: {}",
        log.display()
    );
    let verdicts = parse_results(&console);
    let failed: Vec<String> = names
        .iter()
        .filter_map(|name| match verdicts.iter().rfind(|v| &v.name == name) {
            Some(v) if v.passed => None,
            Some(v) => Some(format!("{name}: {}", v.detail)),
            None => Some(format!("{name}: no result line")),
        })
        .collect();
    assert!(
        failed.is_empty(),
        "VM scenarios failed (console log {}):\n  {}",
        log.display(),
        failed.join("\n  ")
    );
    assert!(
        run.success(),
        "vm/run.sh failed although every scenario passed"
    );
}

#[test]
fn guest_kind_comes_from_the_header_line() {
    assert_eq!(
        GuestKind::of_script("# guest: system\n# l. the package\n"),
        Ok(GuestKind::System)
    );
    assert_eq!(
        GuestKind::of_script("# d. plug-in\ngadget_start x\n"),
        Ok(GuestKind::Initramfs)
    );
    assert_eq!(
        GuestKind::of_script("# guest: initramfs\n"),
        Ok(GuestKind::Initramfs)
    );
    assert_eq!(
        GuestKind::of_script("# guest: container\n"),
        Err("container".to_string())
    );
}

#[test]
fn result_lines_parse_with_console_noise() {
    let console = "boot noise\n\x1b[2JODFLASH-RESULT g-peer PASS bytes agree\n\
                   ODFLASH-RESULT h-scsi-debug FAIL odflash info printed no JSON\n\
                   ODFLASH-RESULT broken MAYBE x\nODFLASH-TIMING boot 3.8 s\n";
    assert_eq!(
        parse_results(console),
        vec![
            Verdict {
                name: "g-peer".into(),
                passed: true,
                detail: "bytes agree".into()
            },
            Verdict {
                name: "h-scsi-debug".into(),
                passed: false,
                detail: "odflash info printed no JSON".into()
            },
        ]
    );
}
