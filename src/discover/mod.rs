//! Drive discovery through udev and sysfs: enumeration, sysfs-only classification, monitoring.
