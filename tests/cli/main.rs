//! The CLI tests: the real `odflash` binary run on emulated and replayed drives (exit codes,
//! messages, JSON, files, locks, signals), the hotplug helper as udev and systemd run it, the
//! rescue story, and `make install`. One test binary (one link step) for all of them.

mod cli_common;
mod cli_ctrl_c;
mod cli_data;
mod cli_device;
mod cli_doctor;
mod cli_files;
mod cli_flash;
mod cli_image;
mod cli_info;
mod cli_lock;
mod cli_next_steps;
mod cli_privileges;
mod cli_scan;
mod cli_share;
mod cli_trace;
mod cli_transfer;
mod cli_tsst;
mod cli_vendor_reads;
mod hotplug_cli;
mod hotplug_watch;
mod install;
mod man_pages;
mod rescue_cli;
