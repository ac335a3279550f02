//! INQUIRY replies: standard data (SPC-4 §6.6.2) and VPD page 0x80 (unit serial number).

use serde::{Deserialize, Serialize};

/// Peripheral device type of an MMC (CD/DVD/BD) device (SPC-4 table 141).
pub const PERIPHERAL_TYPE_MMC: u8 = 0x05;

/// Standard INQUIRY data, with device strings trimmed of trailing spaces and NULs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inquiry {
    /// Peripheral qualifier (byte 0 bits 7..5).
    pub peripheral_qualifier: u8,
    /// Peripheral device type (byte 0 bits 4..0); 5 for optical drives.
    pub peripheral_type: u8,
    /// Removable medium bit (byte 1 bit 7).
    pub removable: bool,
    /// VERSION byte (byte 2).
    pub version: u8,
    /// T10 vendor identification (bytes 8..15).
    pub vendor: String,
    /// Product identification (bytes 16..31).
    pub product: String,
    /// Product revision level (bytes 32..35).
    pub revision: String,
    /// Vendor-specific bytes 36..55 when returned (many drives put a firmware date here).
    pub vendor_specific: String,
    /// The raw reply as received.
    #[serde(with = "hex_bytes")]
    pub raw: Vec<u8>,
}

/// Serde helper: bytes as a lowercase hex string.
pub mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialize bytes as lowercase hex.
    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(bytes))
    }

    /// Deserialize bytes from hex.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        hex::decode(text).map_err(serde::de::Error::custom)
    }
}
