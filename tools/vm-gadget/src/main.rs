//! `odflash-gadget`: serves an emulated drive as a USB mass-storage (Bulk-Only) device through
//! FunctionFS, so a guest kernel's usb-storage, sr and sg drivers talk to the emulator exactly as
//! they would to a drive in a USB enclosure. Test-only: the VM suite (`vm/`) runs it inside the
//! guest after configfs has created the gadget (VID:PID and device strings are set there).
//!
//! Usage: `odflash-gadget serve FFS_DIR emu:SPEC [--flash-out FILE]`, or
//! `odflash-gadget image emu:SPEC -o FILE` to write the image a fresh drive of that spec holds.
//! While serving, the control endpoint answers GET MAX LUN and Bulk-Only Mass Storage Reset; a
//! second thread serves CBWs on the bulk pair. SIGUSR1 writes the emulator's flash to
//! `--flash-out`; SIGTERM/SIGINT write it and exit. With `--udc-file`, a fault plan's power loss
//! takes the device off the bus and back (the drive reboots, as the emulator decides).

mod gadget;

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use nix::errno::Errno;
use nix::sys::signal::{SigSet, Signal};

use gadget::bot::{self, Bulk, Ending, PowerLoss};
use gadget::ffs::{BulkFiles, Ep0, Event, Setup};
use odflash::emu::{ClockMode, Drive, Spec};
use odflash::ops::atomic::{self, Mode};

/// Class-specific requests of the Bulk-Only Transport (BOT 1.0 §3.1, §3.2), as (bmRequestType,
/// bRequest).
const GET_MAX_LUN: (u8, u8) = (0xA1, 0xFE);
/// See [`GET_MAX_LUN`].
const MASS_STORAGE_RESET: (u8, u8) = (0x21, 0xFF);

/// Command line.
#[derive(Debug, Parser)]
#[command(about = "Serve an emulated drive as a USB mass-storage gadget (FunctionFS)")]
enum Args {
    /// Serve the drive on a FunctionFS instance until SIGTERM.
    Serve {
        /// Mount point of the FunctionFS instance (holds ep0).
        ffs_dir: PathBuf,
        /// The emulated drive, as `odflash` accepts it (`emu:mt1959[,mode=boot,faults=FILE,
        /// state-file=FILE,...]`). The clock is always real: a host waits on the other side.
        spec: Spec,
        /// Write the emulator's flash here at start, on SIGUSR1 and on exit.
        #[arg(long)]
        flash_out: Option<PathBuf>,
        /// The interface string the host sees.
        #[arg(long, default_value = "odflash emulated drive")]
        interface: String,
        /// The configfs gadget's UDC attribute. When given, an emulated power loss takes the
        /// device off the bus (unbind), and power comes back after --power-off-ms (rebind);
        /// without it a power loss is answered with a phase error.
        #[arg(long, value_name = "FILE")]
        udc_file: Option<PathBuf>,
        /// How long the drive stays off the bus after a power loss.
        #[arg(long, default_value_t = 1000, value_name = "MS")]
        power_off_ms: u64,
    },
    /// Write the flash a fresh drive of this spec holds (a signed image with the spec's
    /// identity: what the VM tests flash) and exit.
    Image {
        /// The emulated drive (`emu:mt1959,revision=1.04`).
        spec: Spec,
        /// Output file.
        #[arg(short = 'o', long)]
        output: PathBuf,
    },
}

/// The drive behind the gadget, shared by the bulk thread and the signal loop.
type Shared = Arc<Mutex<Drive>>;

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("odflash-gadget: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<()> {
    match args {
        Args::Serve {
            ffs_dir,
            spec,
            flash_out,
            interface,
            udc_file,
            power_off_ms,
        } => {
            let power = udc_file.map(|file| PowerSwitch {
                file,
                off_time: Duration::from_millis(power_off_ms),
            });
            serve(&ffs_dir, spec, flash_out.as_deref(), &interface, power)
        }
        Args::Image { spec, output } => {
            let drive = Drive::open(&spec).with_context(|| format!("open {spec}"))?;
            atomic::write_file(&output, drive.flash(), Mode::Shared)
                .with_context(|| format!("write {}", output.display()))
        }
    }
}

/// Takes the gadget off the bus and back, as a power cycle of the emulated drive looks to the
/// host: through the configfs gadget's UDC attribute.
#[derive(Debug)]
struct PowerSwitch {
    /// The UDC attribute (`/sys/kernel/config/usb_gadget/NAME/UDC`).
    file: PathBuf,
    /// Time between unbind and rebind.
    off_time: Duration,
}

impl PowerSwitch {
    /// Unbind from the UDC, wait, bind to the same UDC again.
    fn cycle(&self) -> io::Result<()> {
        let udc = std::fs::read_to_string(&self.file)?;
        log::info!("emulated power loss: unplugging for {:?}", self.off_time);
        std::fs::write(&self.file, "\n")?;
        thread::sleep(self.off_time);
        std::fs::write(&self.file, udc.trim())?;
        log::info!("power restored: plugged into {}", udc.trim());
        Ok(())
    }
}

/// Serve `spec` on the FunctionFS instance at `ffs_dir` until SIGTERM or SIGINT.
fn serve(
    ffs_dir: &Path,
    mut spec: Spec,
    flash_out: Option<&Path>,
    interface: &str,
    power: Option<PowerSwitch>,
) -> Result<()> {
    spec.clock = ClockMode::Real;
    let drive = Drive::open(&spec).with_context(|| format!("open {spec}"))?;
    let drive: Shared = Arc::new(Mutex::new(drive));
    // Signals are taken synchronously by the main thread; the worker threads inherit the mask.
    let mut signals = SigSet::empty();
    for s in [Signal::SIGUSR1, Signal::SIGTERM, Signal::SIGINT] {
        signals.add(s);
    }
    signals.thread_block().context("block signals")?;

    let ep0 = Ep0::open(ffs_dir, interface)
        .with_context(|| format!("write descriptors to {}/ep0", ffs_dir.display()))?;
    let bulk = BulkFiles::open(ffs_dir).context("open the bulk endpoint files")?;
    save_flash(&drive, flash_out)?;
    log::info!("serving {spec} on {}", ffs_dir.display());

    thread::Builder::new()
        .name("ep0".into())
        .spawn(move || serve_control(ep0))
        .context("spawn the ep0 thread")?;
    let bulk_drive = Arc::clone(&drive);
    thread::Builder::new()
        .name("bulk".into())
        .spawn(move || serve_bulk(bulk, bulk_drive, power))
        .context("spawn the bulk thread")?;

    loop {
        let signal = signals.wait().context("wait for signals")?;
        save_flash(&drive, flash_out)?;
        if signal != Signal::SIGUSR1 {
            log::info!("{signal}: exiting");
            return Ok(());
        }
    }
}

/// Answer control requests and log state changes, forever.
fn serve_control(mut ep0: Ep0) {
    loop {
        let events = match ep0.read_events() {
            Ok(events) => events,
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => continue,
            Err(e) => {
                log::error!("ep0 read failed: {e}");
                thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        for event in events {
            match event {
                Event::Setup(setup) => {
                    if let Err(e) = answer_setup(&mut ep0, &setup) {
                        log::warn!("control request {setup:?} failed: {e}");
                    }
                }
                other => log::info!("ep0 event: {other:?}"),
            }
        }
    }
}

/// GET MAX LUN answers 0 (one LUN); the reset needs no action because the bulk engine keeps no
/// state between commands; everything else is stalled.
fn answer_setup(ep0: &mut Ep0, setup: &Setup) -> io::Result<()> {
    match (setup.request_type, setup.request) {
        GET_MAX_LUN => ep0.reply_in(&[0]),
        MASS_STORAGE_RESET => {
            log::info!("Bulk-Only Mass Storage Reset");
            ep0.ack_out()
        }
        _ => {
            log::debug!("stalling control request {setup:?}");
            ep0.stall(setup)
        }
    }
}

impl Bulk for BulkFiles {
    fn read_out(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.ep_out.read(buf)
    }

    fn write_in(&mut self, data: &[u8]) -> io::Result<()> {
        let n = self.ep_in.write(data)?;
        if n != data.len() {
            return Err(io::Error::new(
                io::ErrorKind::WriteZero,
                format!("IN transfer sent {n} of {} bytes", data.len()),
            ));
        }
        Ok(())
    }

    fn halt_in(&mut self) -> io::Result<()> {
        // FunctionFS halts an endpoint when it is read against its direction, and says so with
        // EBADMSG (Documentation/usb/functionfs.rst).
        match self.ep_in.read(&mut [0u8; 1]) {
            Err(e) if e.raw_os_error() == Some(libc::EBADMSG) => Ok(()),
            Err(e) => Err(e),
            Ok(_) => Err(io::Error::other("reading the IN endpoint did not halt it")),
        }
    }
}

/// Serve CBWs forever. While the function is disabled (unplugged), endpoint I/O fails with
/// ESHUTDOWN and the next read blocks until the host configures us again.
fn serve_bulk(mut bulk: BulkFiles, drive: Shared, power: Option<PowerSwitch>) {
    let mut served: u64 = 0;
    let on_power_loss = match power {
        Some(_) => PowerLoss::Disconnect,
        None => PowerLoss::PhaseError,
    };
    loop {
        // The lock is taken only once a command has arrived, so SIGUSR1 can read the flash
        // while the bulk endpoint waits.
        let result = bot::read_cbw(&mut bulk).and_then(|cbw| {
            let mut drive = drive.lock().expect("drive lock poisoned");
            let served = bot::serve_cbw(&mut bulk, &mut *drive, cbw, on_power_loss);
            // The gadget logs every command itself; keep the emulator's log from growing.
            drive.clear_command_log();
            served
        });
        match result {
            Ok(s) => {
                served += 1;
                log::debug!(
                    "#{served} cdb {} moved {} -> {:?}",
                    hex::encode(&s.cdb),
                    s.transferred,
                    s.ending
                );
                if let (Ending::PowerLost, Some(power)) = (s.ending, &power) {
                    if let Err(e) = power.cycle() {
                        log::error!("power cycle through {}: {e}", power.file.display());
                    }
                }
            }
            Err(e) => {
                let errno = e.raw_os_error().map(Errno::from_raw);
                log::info!("bulk: {e} ({errno:?})");
                // Avoid spinning if the endpoint keeps failing without blocking.
                thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// Write the emulator's flash to `path`, when one is given.
fn save_flash(drive: &Shared, path: Option<&Path>) -> Result<()> {
    let Some(path) = path else { return Ok(()) };
    let flash = drive.lock().expect("drive lock poisoned").flash().to_vec();
    // Atomic: the scenarios poll for the file and must never read a partial one.
    atomic::write_file(path, &flash, Mode::Shared)
        .with_context(|| format!("write {}", path.display()))
}
