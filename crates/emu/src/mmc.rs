//! Standard SPC/MMC replies shared by every emulated drive: INQUIRY (standard and VPD),
//! GET CONFIGURATION, MODE SENSE(10) page 0x2A and GET EVENT STATUS NOTIFICATION, built from a
//! drive's identity. Pure functions from CDB bytes to a [`Reply`]; no drive state lives here.

use crate::scsi::cdb::{FEATURE_FIRMWARE_DATE, FEATURE_SERIAL, PAGE_CAPABILITIES, VPD_UNIT_SERIAL};
use crate::scsi::{Sense, SenseKey};

/// What a model answers to one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reply {
    /// GOOD with these data-in bytes (already cut to the CDB's allocation length).
    In(Vec<u8>),
    /// GOOD without data in.
    Done,
    /// GOOD, but the device reports only `transferred` bytes of the data phase as moved (a
    /// residual it reports although the data arrived).
    DoneReporting {
        /// Bytes the device says moved.
        transferred: usize,
    },
    /// CHECK CONDITION with this sense.
    Check(Sense),
}

/// ILLEGAL REQUEST, invalid command operation code (05/20/00).
pub(crate) fn invalid_opcode() -> Reply {
    Reply::Check(Sense::new(SenseKey::IllegalRequest, 0x20, 0x00))
}

/// ILLEGAL REQUEST, invalid field in CDB (05/24/00).
pub(crate) fn invalid_field() -> Reply {
    Reply::Check(Sense::new(SenseKey::IllegalRequest, 0x24, 0x00))
}

/// ILLEGAL REQUEST, command sequence error (05/2C/00).
pub(crate) fn sequence_error() -> Reply {
    Reply::Check(Sense::new(SenseKey::IllegalRequest, 0x2C, 0x00))
}

/// NOT READY with the given ASC/ASCQ.
pub(crate) fn not_ready(asc: u8, ascq: u8) -> Reply {
    Reply::Check(Sense::new(SenseKey::NotReady, asc, ascq))
}

/// Medium-access commands of an MMC drive: READ FORMAT CAPACITIES, READ CAPACITY, READ(10),
/// READ TOC/PMA/ATIP, READ DISC INFORMATION, READ TRACK INFORMATION, READ(12), READ DISC
/// STRUCTURE. An empty drive answers them with its readiness (no medium), as a real drive does
/// to the kernel's and udev's probes, rather than ILLEGAL REQUEST.
pub(crate) const MEDIUM_ACCESS: [u8; 8] = [0x23, 0x25, 0x28, 0x43, 0x51, 0x52, 0xA8, 0xAD];

/// PREVENT ALLOW MEDIUM REMOVAL (SPC-4 §6.9) and START STOP UNIT (SBC/MMC): accepted, nothing
/// to lock, load or eject.
pub(crate) const MECHANISM: [u8; 2] = [0x1E, 0x1B];

/// The identity a drive presents through the standard commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Presentation {
    /// INQUIRY vendor (8 bytes, space padded).
    pub vendor: String,
    /// INQUIRY product (16 bytes).
    pub product: String,
    /// INQUIRY revision (4 bytes).
    pub revision: String,
    /// Firmware date, 14 ASCII digits `YYYYMMDDhhmmss`; `None` for drives without feature
    /// 0x010C; all-zero bytes for a boot loader.
    pub date: Option<[u8; 14]>,
    /// Unit serial; also decides whether feature 0x0108 exists.
    pub serial: String,
    /// Whether GET CONFIGURATION reports feature 0x0108.
    pub serial_feature: bool,
    /// MMC profiles the drive lists (feature 0x0000).
    pub profiles: &'static [u16],
    /// Page 0x2A read/write capability bytes (bytes 2 and 3 of the page).
    pub capabilities: [u8; 2],
    /// What standard INQUIRY carries after the revision.
    pub inquiry_tail: InquiryTail,
}

/// The part of the standard INQUIRY data after the revision, which differs between vendors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InquiryTail {
    /// Additional length 91 (96 bytes in all) and the firmware date as 8 digits at bytes
    /// 36..44 (see [`INQUIRY_DATE`]).
    Date,
    /// As the TSST SE-506CB answers (coastermelt `doc/update-ts01-notes.txt`): additional length
    /// 0x1F although 96 bytes follow, these vendor-specific bytes from byte 36, zeros after.
    Tsst(&'static [u8]),
}

/// Longest serial we report: it must fit one-byte length fields, padded to a multiple of 4.
const SERIAL_MAX: usize = 248;

impl Presentation {
    /// The serial as reported, cut to [`SERIAL_MAX`] bytes.
    fn serial_bytes(&self) -> &[u8] {
        let b = self.serial.as_bytes();
        &b[..b.len().min(SERIAL_MAX)]
    }
}

/// Length of the standard INQUIRY data we return (freemkv's and coastermelt's 96-byte
/// request; docs/protocol.md §1.1).
const INQUIRY_LEN: usize = 96;
/// Offset of the firmware date in the vendor-specific INQUIRY bytes.
// ASSUMPTION: coastermelt `doc/update-ts01-notes.txt` shows the boot loader's date field zero
// (docs/protocol.md §6.1) without giving its offset; we put an 8-digit date (YYYYMMDD) at
// bytes 36..44, the start of the vendor-specific area.
const INQUIRY_DATE: usize = 36;
/// INQUIRY additional length the TSST SE-506CB reports (coastermelt `doc/update-ts01-notes.txt`).
const TSST_ADDITIONAL_LENGTH: u8 = 0x1F;

fn alloc16(cdb: &[u8], at: usize) -> usize {
    usize::from(u16::from_be_bytes([cdb[at], cdb[at + 1]]))
}

fn cut(mut data: Vec<u8>, alloc: usize) -> Reply {
    data.truncate(alloc);
    Reply::In(data)
}

fn put_padded(dst: &mut [u8], text: &str) {
    dst.fill(b' ');
    let bytes = text.as_bytes();
    let n = bytes.len().min(dst.len());
    dst[..n].copy_from_slice(&bytes[..n]);
}

/// INQUIRY (SPC-4 §6.6): standard data, VPD 0x00 and VPD 0x80.
pub(crate) fn inquiry(cdb: &[u8], p: &Presentation) -> Reply {
    let evpd = cdb[1] & 0x01 != 0;
    let page = cdb[2];
    let alloc = alloc16(cdb, 3);
    if !evpd {
        if page != 0 {
            return invalid_field();
        }
        let mut d = vec![0u8; INQUIRY_LEN];
        d[0] = crate::scsi::inquiry::PERIPHERAL_TYPE_MMC;
        d[1] = 0x80; // removable
                     // NORMACA, HISUP and response data format 2: what real drives answer (LG BU40N and
                     // Pioneer BDR-S09 in freemkv/bdemu `profiles/*/inquiry.bin`, TSST SE-506CB in
                     // coastermelt `doc/update-ts01-notes.txt`).
        d[3] = 0x32;
        put_padded(&mut d[8..16], &p.vendor);
        put_padded(&mut d[16..32], &p.product);
        put_padded(&mut d[32..36], &p.revision);
        match p.inquiry_tail {
            InquiryTail::Date => {
                d[4] = (INQUIRY_LEN - 5) as u8;
                if let Some(date) = &p.date {
                    d[INQUIRY_DATE..INQUIRY_DATE + 8].copy_from_slice(&date[..8]);
                }
            }
            InquiryTail::Tsst(tail) => {
                d[4] = TSST_ADDITIONAL_LENGTH;
                let n = tail.len().min(INQUIRY_LEN - INQUIRY_DATE);
                d[INQUIRY_DATE..INQUIRY_DATE + n].copy_from_slice(&tail[..n]);
            }
        }
        return cut(d, alloc);
    }
    match page {
        0x00 => cut(vec![0x05, 0x00, 0x00, 0x02, 0x00, VPD_UNIT_SERIAL], alloc),
        VPD_UNIT_SERIAL => {
            let serial = p.serial_bytes();
            let mut d = vec![0x05, VPD_UNIT_SERIAL, 0x00, serial.len() as u8];
            d.extend_from_slice(serial);
            cut(d, alloc)
        }
        _ => invalid_field(),
    }
}

fn feature(code: u16, data: Vec<u8>) -> Vec<u8> {
    let mut f = code.to_be_bytes().to_vec();
    f.push(0x03); // version 0, persistent, current
    f.push(data.len() as u8);
    f.extend(data);
    f
}

/// GET CONFIGURATION (MMC-6 §6.6) over features 0x0000, 0x0001, 0x0108 and 0x010C; no medium,
/// so the current profile is 0.
pub(crate) fn get_configuration(cdb: &[u8], p: &Presentation) -> Reply {
    let rt = cdb[1] & 0x03;
    let start = u16::from_be_bytes([cdb[2], cdb[3]]);
    let alloc = alloc16(cdb, 7);
    if rt == 3 {
        return invalid_field();
    }
    let mut features: Vec<(u16, Vec<u8>)> = Vec::new();
    let profiles = p
        .profiles
        .iter()
        .flat_map(|prof| {
            let b = prof.to_be_bytes();
            [b[0], b[1], 0, 0]
        })
        .collect();
    features.push((0x0000, profiles));
    // Core: physical interface ATAPI (2), DBE set.
    features.push((0x0001, vec![0, 0, 0, 2, 0x01, 0, 0, 0]));
    if p.serial_feature {
        let mut s = p.serial_bytes().to_vec();
        while s.len() % 4 != 0 {
            s.push(b' ');
        }
        features.push((FEATURE_SERIAL, s));
    }
    if let Some(date) = &p.date {
        let mut d = date.to_vec();
        d.extend([0, 0]);
        features.push((FEATURE_FIRMWARE_DATE, d));
    }
    let mut out = vec![0u8; 8];
    for (code, data) in features {
        let wanted = match rt {
            2 => code == start,
            _ => code >= start,
        };
        if wanted {
            out.extend(feature(code, data));
        }
    }
    let len = (out.len() - 4) as u32;
    out[..4].copy_from_slice(&len.to_be_bytes());
    cut(out, alloc)
}

/// MODE SENSE(10) (SPC-4 §6.14) for page 0x2A (or 0x3F, all pages); saved values are not
/// supported (05/39/00), as on drives without saveable pages.
pub(crate) fn mode_sense_10(cdb: &[u8], p: &Presentation) -> Reply {
    let pc = cdb[2] >> 6;
    let page = cdb[2] & 0x3F;
    let alloc = alloc16(cdb, 7);
    if page != PAGE_CAPABILITIES && page != 0x3F {
        return invalid_field();
    }
    if pc == 3 {
        return Reply::Check(Sense::new(SenseKey::IllegalRequest, 0x39, 0x00));
    }
    let mut body = [0u8; 0x1C];
    if pc != 1 {
        body[0] = p.capabilities[0];
        body[1] = p.capabilities[1];
        // Bytes 4, 5 and 7 as the LG BU40N and Pioneer BDR-S09 answer them (freemkv/bdemu
        // `profiles/*/mode_2a.bin`): buffer underrun protection, multi-session, mode 2 form 1
        // and 2, audio play; CD-DA commands, accurate stream, R-W, C2 pointers, ISRC, UPC;
        // separate volume levels and channel mute, R-W in lead-in.
        body[2] = 0xF1;
        body[3] = 0x77;
        body[4] = 0x29; // lock, eject, tray loading mechanism
        body[5] = 0x23;
        body[10] = 0x08; // buffer size 0x0800 KiB
    }
    let mut out = vec![0u8; 8];
    out.push(PAGE_CAPABILITIES);
    out.push(body.len() as u8);
    out.extend_from_slice(&body);
    let len = (out.len() - 2) as u16;
    out[..2].copy_from_slice(&len.to_be_bytes());
    cut(out, alloc)
}

/// GET EVENT STATUS NOTIFICATION (MMC-6 §6.8), polled only: media class "no change, no
/// medium"; other classes answered with NEA.
pub(crate) fn event_status(cdb: &[u8]) -> Reply {
    const MEDIA_CLASS: u8 = 0x10;
    if cdb[1] & 0x01 == 0 {
        return invalid_field();
    }
    let alloc = alloc16(cdb, 7);
    if cdb[4] & MEDIA_CLASS != 0 {
        cut(vec![0, 6, 0x04, MEDIA_CLASS, 0, 0, 0, 0], alloc)
    } else {
        cut(vec![0, 2, 0x80, MEDIA_CLASS], alloc)
    }
}

/// REQUEST SENSE (SPC-4 §6.39): `sense` in fixed format, or NO SENSE.
pub(crate) fn request_sense(cdb: &[u8], sense: Option<&Sense>) -> Reply {
    let s = sense
        .cloned()
        .unwrap_or_else(|| Sense::new(SenseKey::NoSense, 0, 0));
    cut(s.to_fixed().to_vec(), usize::from(cdb[4]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scsi::cdb;

    fn p() -> Presentation {
        Presentation {
            vendor: "HL-DT-ST".into(),
            product: "BD-RE BU40N".into(),
            revision: "1.03".into(),
            date: Some(*b"20191108120000"),
            serial: "ABC12".into(),
            serial_feature: true,
            profiles: &[0x43, 0x10],
            capabilities: [0x3F, 0x37],
            inquiry_tail: InquiryTail::Date,
        }
    }

    fn data(r: Reply) -> Vec<u8> {
        match r {
            Reply::In(d) => d,
            other => panic!("expected data, got {other:?}"),
        }
    }

    #[test]
    fn inquiry_standard_fields() {
        let d = data(inquiry(&cdb::build_inquiry(96), &p()));
        assert_eq!(d.len(), 96);
        assert_eq!(d[0], 5);
        assert_eq!(&d[8..16], b"HL-DT-ST");
        assert_eq!(&d[16..32], b"BD-RE BU40N     ");
        assert_eq!(&d[32..36], b"1.03");
        assert_eq!(&d[36..44], b"20191108");
        assert_eq!(d[4] as usize + 5, 96);
        assert_eq!(data(inquiry(&cdb::build_inquiry(36), &p())).len(), 36);
    }

    #[test]
    fn inquiry_vpd_serial_and_bad_page() {
        let d = data(inquiry(&cdb::build_inquiry_vpd(0x80, 0xFC), &p()));
        assert_eq!(&d[4..], b"ABC12");
        assert_eq!(d[3], 5);
        assert_eq!(
            inquiry(&cdb::build_inquiry_vpd(0x83, 0xFC), &p()),
            invalid_field()
        );
        assert_eq!(inquiry(&[0x12, 0, 0x80, 0, 36, 0], &p()), invalid_field());
    }

    #[test]
    fn firmware_date_feature_is_28_bytes() {
        let d = data(get_configuration(
            &cdb::build_get_configuration(2, 0x010C, 28),
            &p(),
        ));
        assert_eq!(d.len(), 28);
        assert_eq!(u32::from_be_bytes([d[0], d[1], d[2], d[3]]), 24);
        assert_eq!(&d[8..10], &[0x01, 0x0C]);
        assert_eq!(d[11], 16);
        assert_eq!(&d[12..26], b"20191108120000");
    }

    #[test]
    fn serial_feature_padded_and_missing_feature_header_only() {
        let d = data(get_configuration(
            &cdb::build_get_configuration(2, 0x0108, 64),
            &p(),
        ));
        assert_eq!(d[11], 8);
        assert_eq!(&d[12..20], b"ABC12   ");
        let mut q = p();
        q.date = None;
        let d = data(get_configuration(
            &cdb::build_get_configuration(2, 0x010C, 64),
            &q,
        ));
        assert_eq!(d.len(), 8);
    }

    #[test]
    fn mode_page_2a() {
        let d = data(mode_sense_10(&cdb::build_mode_sense_10(0x2A, 0x100), &p()));
        assert_eq!(d[8], 0x2A);
        assert_eq!(d[9] as usize, d.len() - 10);
        assert_eq!(d[10], 0x3F);
        assert_eq!(
            mode_sense_10(&cdb::build_mode_sense_10(0x05, 0x100), &p()),
            invalid_field()
        );
    }

    #[test]
    fn flag_bytes_are_those_of_a_real_bu40n() {
        // The LG BU40N 1.03 capture in tests/data/real (freemkv/bdemu profile): INQUIRY bytes
        // 0..8 and page 0x2A bytes 2..8 (read/write media, features, mechanism, audio).
        let inq = data(inquiry(&cdb::build_inquiry(96), &p()));
        assert_eq!(inq[..8], [0x05, 0x80, 0x00, 0x32, 0x5B, 0x00, 0x00, 0x00]);
        let page = data(mode_sense_10(&cdb::build_mode_sense_10(0x2A, 0x100), &p()));
        // Byte 6 of the capture is 0x2B: the same with the tray locked (lock state bit).
        assert_eq!(page[10..16], [0x3F, 0x37, 0xF1, 0x77, 0x29, 0x23]);
    }

    #[test]
    fn long_serials_fit_their_length_fields() {
        let mut q = p();
        q.serial = "X".repeat(400);
        let d = data(inquiry(&cdb::build_inquiry_vpd(0x80, 0xFFFF), &q));
        assert_eq!(d[3] as usize, SERIAL_MAX);
        assert_eq!(d.len(), 4 + SERIAL_MAX);
        let d = data(get_configuration(
            &cdb::build_get_configuration(2, 0x0108, 0xFFFF),
            &q,
        ));
        assert_eq!(d[11] as usize, SERIAL_MAX);
    }

    #[test]
    fn request_sense_reports_and_defaults() {
        let s = Sense::new(SenseKey::NotReady, 0x3A, 0);
        let d = data(request_sense(&cdb::build_request_sense(18), Some(&s)));
        assert_eq!(Sense::parse(&d), Some(s));
        let d = data(request_sense(&cdb::build_request_sense(18), None));
        assert_eq!(Sense::parse(&d).unwrap().key, SenseKey::NoSense);
    }
}
