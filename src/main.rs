//! The `odflash` command.

mod cli;

fn main() {
    println!("odflash {}", env!("CARGO_PKG_VERSION"));
}
