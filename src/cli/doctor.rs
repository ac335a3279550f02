//! `odflash doctor [--json]`: run the machine checks of [`odflash::ops::doctor`] and print each
//! finding with its fix. Sends nothing to any drive. Exits 0 whenever the checks ran, whatever
//! they found: the findings (and the JSON's `worst`) carry the verdict.

use std::path::PathBuf;

use clap::Args;
use nix::unistd::{getegid, geteuid, getgroups, getpid};
use odflash::ops::doctor::{self, Caller, Finding, Machine, Status, SHIPPED_BIN};
use serde::Serialize;

use super::output::print_json;

/// `odflash doctor` arguments.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Print the findings as JSON.
    #[arg(long)]
    pub json: bool,
    /// Read every file under this directory instead of / (tests).
    #[arg(long, hide = true, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
}

/// The JSON document.
#[derive(Serialize)]
struct Report<'a> {
    /// The worst status among the findings.
    worst: Status,
    findings: &'a [Finding],
}

impl DoctorArgs {
    /// Run the checks and print them.
    pub fn run(self) -> anyhow::Result<()> {
        let findings = doctor::run(&self.machine());
        let worst = doctor::worst(&findings);
        if self.json {
            return print_json(&Report {
                worst,
                findings: &findings,
            });
        }
        for f in &findings {
            let subject = match &f.drive {
                Some(drive) => format!("{} {drive}", f.check.as_str()),
                None => f.check.as_str().to_string(),
            };
            println!("{:<4}  {subject}: {}", f.status, f.found);
            if let Some(fix) = &f.fix {
                println!("      fix: {fix}");
            }
        }
        println!("worst: {worst}");
        Ok(())
    }

    /// This process and machine.
    fn machine(&self) -> Machine {
        let mut gids: Vec<u32> = getgroups()
            .unwrap_or_default()
            .into_iter()
            .map(|g| g.as_raw())
            .collect();
        gids.push(getegid().as_raw());
        let mut bin_paths = vec![
            SHIPPED_BIN.to_string(),
            "/usr/local/bin/odflash".to_string(),
        ];
        if let Ok(exe) = std::env::current_exe() {
            bin_paths.push(exe.display().to_string());
        }
        Machine {
            root: self.root.clone(),
            caller: Caller {
                uid: geteuid().as_raw(),
                gids,
                pid: getpid().as_raw().unsigned_abs(),
            },
            bin_paths,
        }
    }
}
