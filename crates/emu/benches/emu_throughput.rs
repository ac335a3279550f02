//! Emulator throughput, plain `std::time` measurement (no harness): commands per second for
//! TEST UNIT READY and for 64 KiB READ BUFFER, and the cost of a state-file drive (open, and a
//! command that saves). Run with `cargo bench -p odflash-emu --bench emu_throughput`.

use std::time::{Duration, Instant};

use odflash_emu::{Drive, Spec};
use odflash_scsi::{cdb, Data, Transport};

const TIMEOUT: Duration = Duration::from_secs(30);

fn open(spec: &str) -> Drive {
    Drive::open(&spec.parse::<Spec>().expect("spec")).expect("open")
}

/// Runs `op` for about `budget`, returns commands per second.
fn rate(budget: Duration, mut op: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for _ in 0..64 {
            op();
        }
        n += 64;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let budget = Duration::from_secs(2);

    let mut d = open("emu:mt1959");
    let tur = cdb::build_test_unit_ready();
    let tur_rate = rate(budget, || {
        d.execute(&tur, Data::None, TIMEOUT).expect("TUR");
        if d.command_log().len() > 1 << 20 {
            d.clear_command_log();
        }
    });
    println!("TEST UNIT READY:        {tur_rate:>12.0} commands/s");

    let mut d = open("emu:mt1959");
    let mut buf = vec![0u8; 0x1_0000];
    let mut offset = 0x1_0000u32;
    let rb_rate = rate(budget, || {
        let c = cdb::build_read_buffer(6, 0, offset, 0x1_0000);
        let o = d
            .execute(&c, Data::In(&mut buf), TIMEOUT)
            .expect("READ BUFFER");
        assert_eq!(o.transferred, 0x1_0000);
        offset = if offset >= 0x1E_0000 {
            0x1_0000
        } else {
            offset + 0x1_0000
        };
    });
    println!(
        "READ BUFFER 64 KiB:     {rb_rate:>12.0} commands/s ({:.0} MiB/s)",
        rb_rate / 16.0
    );

    let dir = std::env::temp_dir().join(format!("odflash-emu-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let spec = format!("emu:mt1959,state-file={}", dir.join("drive.json").display());
    let start = Instant::now();
    drop(open(&spec));
    println!(
        "state file: create      {:>12.1} ms",
        start.elapsed().as_secs_f64() * 1e3
    );
    let start = Instant::now();
    let mut d = open(&spec);
    println!(
        "state file: open        {:>12.1} ms",
        start.elapsed().as_secs_f64() * 1e3
    );
    let saved = rate(budget, || {
        d.execute(&tur, Data::None, TIMEOUT).expect("TUR");
    });
    println!("state file: TUR + save  {saved:>12.0} commands/s");
    let chunk = vec![0x11u8; 0x4000];
    let prep = [0x3B, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x0B, 0, 0];
    d.execute(&prep, Data::None, TIMEOUT).expect("prepare");
    let mut off = 0x1_0000u32;
    let staged = rate(budget, || {
        let c = cdb::build_write_buffer(6, 0, off, 0x4000);
        d.execute(&c, Data::Out(&chunk), TIMEOUT).expect("chunk");
        off = if off >= 0x1E_0000 {
            0x1_0000
        } else {
            off + 0x4000
        };
    });
    println!("state file: 16 KiB chunk + save {staged:>8.0} commands/s");
    std::fs::remove_dir_all(&dir).expect("cleanup");
}
