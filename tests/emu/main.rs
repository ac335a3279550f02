//! The emulator's tests: its protocol answers (MT19xx, TSST, DVD-era), fault plans, state files
//! and fuzzed inputs, through `Transport` only. One test binary (one link step) for all of them.

mod emu_common;
mod emu_dvd;
mod emu_faults;
mod emu_fuzz;
mod emu_protocol;
mod emu_state;
mod emu_tsst;
