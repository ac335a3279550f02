//! Linux SG_IO: bindgen bindings, device open (sr -> sg via sysfs), command execution.
