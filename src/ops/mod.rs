//! Workflows and policy: scan, backup, dump, eeprom, flash, rescue, hotplug.
