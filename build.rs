//! Generates Rust bindings for `<scsi/sg.h>` with bindgen into `OUT_DIR/sg_bindings.rs`.
//!
//! The allowlist is kept tight: only the SG_IO header, the ioctl numbers and the flag families
//! odflash uses. bindgen's layout tests are kept, so `cargo test` checks our view of
//! `sg_io_hdr` against the C compiler's.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/sg/wrapper.h");

    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let result = std::panic::catch_unwind(|| {
        bindgen::Builder::default()
            .header("src/sg/wrapper.h")
            .allowlist_type("sg_io_hdr")
            .allowlist_type("sg_io_hdr_t")
            .allowlist_var("SG_IO")
            .allowlist_var("SG_DXFER_.*")
            .allowlist_var("SG_INFO_.*")
            .allowlist_var("SG_FLAG_.*")
            .allowlist_var("SG_GET_VERSION_NUM")
            .allowlist_var("SG_GET_RESERVED_SIZE")
            .allowlist_var("SG_MAX_SENSE")
            .layout_tests(true)
            .derive_default(true)
            .generate()
    });
    let bindings = match result {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => fail(&format!("bindgen could not process <scsi/sg.h>: {e}")),
        Err(_) => fail("bindgen could not load libclang"),
    };
    bindings
        .write_to_file(out.join("sg_bindings.rs"))
        .expect("write sg_bindings.rs into OUT_DIR");
}

/// Stop the build with a message that names the Debian packages to install.
fn fail(reason: &str) -> ! {
    eprintln!(
        "error: {reason}.\n\
         odflash generates its SG_IO bindings with bindgen, which needs libclang and the kernel\n\
         headers. On Debian/Ubuntu install them with:\n\n    \
         sudo apt-get install libclang-dev linux-libc-dev\n\n\
         (or run `make deps`, which installs every build dependency)."
    );
    std::process::exit(1);
}
