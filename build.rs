//! Generates Rust bindings for `<scsi/sg.h>` with bindgen into `OUT_DIR/sg_bindings.rs`.
//!
//! The allowlist is kept tight: exactly the SG_IO header, the three ioctl numbers and the three
//! transfer directions `src/sg/` uses. bindgen's layout tests are kept: bindgen emits them as
//! compile-time assertions, so every build of the library (including `cargo test --lib`) checks
//! our view of `sg_io_hdr` against the C compiler's. They are included in `src/sg/sys.rs`.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/sg/wrapper.h");
    println!("cargo:rerun-if-env-changed=LIBCLANG_PATH");

    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    // bindgen panics (rather than returning an error) when it cannot load libclang: catch the
    // panic quietly and report it in `fail`'s message instead of a backtrace.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(|| {
        bindgen::Builder::default()
            .header("src/sg/wrapper.h")
            // Re-run when <scsi/sg.h> (or anything it includes) changes.
            .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
            .allowlist_type("sg_io_hdr")
            .allowlist_var("SG_IO")
            .allowlist_var("SG_GET_VERSION_NUM")
            .allowlist_var("SG_GET_RESERVED_SIZE")
            .allowlist_var("SG_DXFER_NONE")
            .allowlist_var("SG_DXFER_TO_DEV")
            .allowlist_var("SG_DXFER_FROM_DEV")
            .layout_tests(true)
            .generate()
    });
    std::panic::set_hook(default_hook);
    let bindings = match result {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => fail(&format!("bindgen could not process <scsi/sg.h>: {e}")),
        Err(panic) => {
            let detail = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("no details");
            fail(&format!("bindgen could not load libclang ({detail})"))
        }
    };
    bindings
        .write_to_file(out.join("sg_bindings.rs"))
        .expect("write sg_bindings.rs into OUT_DIR");
}

/// Stop the build with a message that names the Debian packages to install.
fn fail(reason: &str) -> ! {
    eprintln!(
        "error: {reason}.\n\
         odflash generates its SG_IO bindings with bindgen, which needs libclang and the C\n\
         library headers (<scsi/sg.h> comes from libc6-dev). On Debian/Ubuntu install them with:\n\n    \
         sudo apt-get install libclang-dev libc6-dev\n"
    );
    std::process::exit(1);
}
