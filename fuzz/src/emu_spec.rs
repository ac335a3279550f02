//! The `emu:FAMILY[,key=value...]` DEVICE syntax every command accepts: `emu::Spec::from_str`.
//!
//! Properties: no panic; a parsed spec printed with `Display` parses back equal (the printed
//! form is what `scan` lists and what a user copies into the next command).

use std::str::FromStr;

use odflash::emu::Spec;

/// One input of the `emu_spec` target.
pub fn run(raw: &[u8]) {
    let Ok(text) = std::str::from_utf8(raw) else {
        return;
    };
    let Ok(spec) = Spec::from_str(text) else {
        return;
    };
    assert!(Spec::is_emu(text));
    assert!(spec.max_transfer > 0);
    let printed = spec.to_string();
    let again = Spec::from_str(&printed).expect("a printed spec parses");
    assert_eq!(again, spec, "{text:?} printed as {printed:?}");
}
