//! The one table of drives odflash knows, as data (`crates/fw/data/compat.json`, embedded at build time)
//! with the public source of every entry: which models belong to which chip family, which
//! firmware fits which drive (compatibility groups), known boot banners, known-bad USB
//! bridges and the INQUIRY allow-lists of the TSST drive classes. Identification (the boot-mode rule), the udev hints and the gates all read it here.
//!
//! This module answers questions in words for the gates in `ops/`; it decides nothing itself
//! and never touches a device. Model names are compared by tokens (whitespace and `_`
//! separated, case-insensitive) so vendor prefixes and spacing do not matter:
//! `SONY DVD RW DRU-710A`, `DVD RW DRU-710A` and `DRU-710A` are the same model.

use std::sync::OnceLock;

use serde::Deserialize;

use super::tsst;

/// The chip family a row of the table belongs to (as `crates/fw/data/compat.json` spells it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupFamily {
    /// MT1959/MT1939 Blu-ray drives.
    Mt19xx,
    /// TSST MT1939 drives with the TSST download protocol (SE-506CB).
    Tsst,
    /// DVD-era LiteOn/Sony MediaTek writers.
    LiteonDvd,
}

/// A drive model the table knows, and its chip family.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownModel {
    /// Model pattern, matched against one token of the INQUIRY product as in
    /// [`Group::members`] (`SE-506*`).
    pub product: String,
    /// INQUIRY vendors that sell it under this product name (empty: any).
    pub vendors: Vec<String>,
    /// Its chip family.
    pub family: GroupFamily,
    /// Where the public record says it.
    pub source: String,
}

impl KnownModel {
    /// True when `product` has a token matching the pattern.
    fn matches_product(&self, product: &str) -> bool {
        matches_any(std::slice::from_ref(&self.product), product)
    }

    /// True when `vendor` is one of the vendors (or any vendor is).
    fn matches_vendor(&self, vendor: &str) -> bool {
        self.vendors.is_empty()
            || self
                .vendors
                .iter()
                .any(|v| v.eq_ignore_ascii_case(vendor.trim()))
    }
}

/// A set of drive models that take each other's firmware.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// Stable identifier (`liteon-1633`).
    pub id: String,
    /// Name used in messages (`LiteOn 1213/1633/1653 + Sony DRU-710A`).
    pub name: String,
    /// Chip family.
    pub family: GroupFamily,
    /// Controller chip(s), when the public source names them.
    pub controller: Option<String>,
    /// Model patterns, each matched against one token of a model name; `*` matches any run
    /// of characters (`*-1633S*` matches `SOHW-1633S` and `SOHW-1633SX`).
    pub members: Vec<String>,
    /// Groups the cited source says this group's firmware must not go to (and back).
    pub incompatible_with: Vec<String>,
    /// Warnings that hold even inside the group.
    pub caveats: Vec<Caveat>,
    /// What the cited source says, in words.
    pub notes: String,
    /// Where it says it.
    pub source: String,
}

impl Group {
    /// True when some token of `model` matches a member pattern.
    pub fn contains(&self, model: &str) -> bool {
        matches_any(&self.members, model)
    }

    /// Texts of the caveats that apply when `image_model` goes to `drive_model`: those naming
    /// either model, plus (for a crossflash between different models) those naming none.
    fn caveats_for(&self, drive_model: &str, image_model: &str, same_model: bool) -> Vec<String> {
        self.caveats
            .iter()
            .filter(|c| {
                if c.models.is_empty() {
                    !same_model
                } else {
                    matches_any(&c.models, drive_model) || matches_any(&c.models, image_model)
                }
            })
            .map(|c| c.text.clone())
            .collect()
    }
}

/// A warning attached to a group.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Caveat {
    /// Model patterns it concerns (as in [`Group::members`]); empty = any crossflash between
    /// different models of the group.
    pub models: Vec<String>,
    /// The warning, in words, with its source.
    pub text: String,
}

/// True when some token of `model` matches one of `patterns`.
fn matches_any(patterns: &[String], model: &str) -> bool {
    tokens(model).iter().any(|t| {
        patterns
            .iter()
            .any(|p| glob_match(p.as_bytes(), t.as_bytes()))
    })
}

/// A boot banner seen in OEM images (docs/protocol.md §2.3).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownBanner {
    /// Banner ID prefix (`MT1959 Boot BU5`).
    pub banner: String,
    /// What the cited source says about it.
    pub notes: String,
    /// Where it says it.
    pub source: String,
}

/// A USB-SATA bridge known to break flashing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsbBridge {
    /// Chip name (`ASM1051`).
    pub name: String,
    /// USB vendor ID.
    pub vid: u16,
    /// USB product ID.
    pub pid: u16,
    /// What goes wrong, in words.
    pub problem: String,
    /// Where the public source says it.
    pub source: String,
}

/// `UsbBridge` as stored: IDs as hex strings, as `lsusb` prints them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredBridge {
    name: String,
    vid: String,
    pid: String,
    problem: String,
    source: String,
}

/// The drives a public flasher sends one TSST drive class's download to: INQUIRY vendor and
/// product, each exactly as the drive reports it after trimming and collapsing spaces
/// (docs/protocol.md §4.2). Read by [`crate::tsst::Class::of_inquiry`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TsstDrives {
    /// The drive class.
    pub class: tsst::Class,
    /// INQUIRY vendors (`TSSTcorp`, `hp`).
    pub vendors: Vec<String>,
    /// INQUIRY products (`DVD-ROM TS-H353C`).
    pub products: Vec<String>,
    /// Where a public source lists them.
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    models: Vec<KnownModel>,
    groups: Vec<Group>,
    boot_banners: Vec<KnownBanner>,
    usb_bridges: Vec<StoredBridge>,
    tsst_drives: Vec<TsstDrives>,
}

/// The parsed contents of `crates/fw/data/compat.json`.
#[derive(Debug)]
struct Compat {
    models: Vec<KnownModel>,
    groups: Vec<Group>,
    boot_banners: Vec<KnownBanner>,
    usb_bridges: Vec<UsbBridge>,
    tsst_drives: Vec<TsstDrives>,
}

const COMPAT_JSON: &str = include_str!("../data/compat.json");

fn parse_compat(json: &str) -> Result<Compat, String> {
    let stored: Stored = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let hex16 = |s: &str| u16::from_str_radix(s, 16).map_err(|e| format!("USB ID {s:?}: {e}"));
    let usb_bridges = stored
        .usb_bridges
        .into_iter()
        .map(|b| {
            Ok(UsbBridge {
                vid: hex16(&b.vid)?,
                pid: hex16(&b.pid)?,
                name: b.name,
                problem: b.problem,
                source: b.source,
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(Compat {
        models: stored.models,
        groups: stored.groups,
        boot_banners: stored.boot_banners,
        usb_bridges,
        tsst_drives: stored.tsst_drives,
    })
}

fn compat() -> &'static Compat {
    static COMPAT: OnceLock<Compat> = OnceLock::new();
    COMPAT.get_or_init(|| {
        // The embedded file is fixed at build time and checked by `embedded_data_is_valid`.
        parse_compat(COMPAT_JSON).expect("compat.json is valid (checked by unit tests)")
    })
}

/// Every model the table knows.
pub fn models() -> &'static [KnownModel] {
    &compat().models
}

/// The known model an INQUIRY product names, whoever sells it (for hints from the product
/// alone, as sysfs shows it).
pub fn model_by_product(product: &str) -> Option<&'static KnownModel> {
    models().iter().find(|m| m.matches_product(product))
}

/// The known model an INQUIRY vendor and product name together.
pub fn known_model(vendor: &str, product: &str) -> Option<&'static KnownModel> {
    models()
        .iter()
        .find(|m| m.matches_product(product) && m.matches_vendor(vendor))
}

/// INQUIRY revision of a drive running its boot loader: the TSST MT1939 boot loader keeps
/// vendor and product and reports revision `BOOT` (coastermelt `doc/update-ts01-notes.txt`);
/// so does an LG BH16NS40 after a failed flash (MakeMKV forum t=29236, t=31107).
const BOOT_REVISION: &str = "BOOT";

/// Product suffixes of a drive running its boot loader: LiteOn's `LTR-BOOT` (cdrinfo forum,
/// "make a dead flashed Liteon"), and MakeMKV's listing of an ASUS BW-16D1HT as
/// `ASUS_BW-16D1HT_BOOT`.
const BOOT_PRODUCT_SUFFIXES: [&str; 2] = ["-BOOT", "_BOOT"];

/// True when INQUIRY strings show a boot loader: revision `BOOT`, or a product ending in
/// `-BOOT`/`_BOOT`. The INQUIRY date bytes are not looked at: real boot loaders need not zero
/// them.
pub fn shows_boot_loader(product: &str, revision: &str) -> bool {
    revision.trim().eq_ignore_ascii_case(BOOT_REVISION) || boot_suffix_len(product).is_some()
}

/// The product without a boot-loader suffix (`BW-16D1HT_BOOT` -> `BW-16D1HT`).
pub fn without_boot_suffix(product: &str) -> &str {
    let product = product.trim();
    match boot_suffix_len(product) {
        Some(len) => &product[..product.len() - len],
        None => product,
    }
}

fn boot_suffix_len(product: &str) -> Option<usize> {
    let upper = product.trim().to_ascii_uppercase();
    BOOT_PRODUCT_SUFFIXES
        .iter()
        .find(|s| upper.ends_with(*s) && upper.len() > s.len())
        .map(|s| s.len())
}

/// Every compat group.
pub fn groups() -> &'static [Group] {
    &compat().groups
}

/// The group a model belongs to, if any.
pub fn group_of(model: &str) -> Option<&'static Group> {
    groups().iter().find(|g| g.contains(model))
}

/// Boot banners seen in OEM images (docs/protocol.md §2.3).
pub fn boot_banners() -> &'static [KnownBanner] {
    &compat().boot_banners
}

/// The known banner `banner_id` starts with (RibShark/OmniDrive#29 shows suffixed IDs such as
/// `MT1959 Boot BU51`), if any.
pub fn known_banner(banner_id: &str) -> Option<&'static KnownBanner> {
    boot_banners()
        .iter()
        .find(|k| banner_id.trim().starts_with(k.banner.as_str()))
}

/// USB bridges known to break flashing.
pub fn usb_bridges() -> &'static [UsbBridge] {
    &compat().usb_bridges
}

/// The known-bad bridge with this USB vendor and product ID, if any.
pub fn known_bad_bridge(vid: u16, pid: u16) -> Option<&'static UsbBridge> {
    usb_bridges().iter().find(|b| b.vid == vid && b.pid == pid)
}

/// The INQUIRY allow-list of every TSST drive class.
pub fn tsst_drives() -> &'static [TsstDrives] {
    &compat().tsst_drives
}

/// How an image's model relates to a drive's model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompatVerdict {
    /// The same model (vendor prefixes and spacing aside).
    SameModel {
        /// Warnings from the model's group, if it is in one.
        caveats: Vec<String>,
    },
    /// Different models in one compat group: a crossflash forum reports describe as
    /// working (docs/protocol.md §5.7).
    SameGroup {
        /// The group's name.
        group: String,
        /// Warnings that hold even inside the group.
        caveats: Vec<String>,
    },
    /// Different groups.
    DifferentGroups {
        /// The drive's group name.
        drive_group: String,
        /// The image's group name.
        image_group: String,
        /// Why this matters, in words, with sources.
        reason: String,
    },
    /// At least one model is in no group, so nothing is known about the pair.
    Unknown {
        /// The drive's group name, if it has one.
        drive_group: Option<String>,
        /// The image's group name, if it has one.
        image_group: Option<String>,
        /// What is unknown, in words.
        reason: String,
    },
}

/// Judges whether firmware for `image_model` fits a drive reporting `drive_model`.
///
/// Same model: one model's tokens are a trailing part of the other's (`BD-RE BU40N` and
/// `HL-DT-ST BD-RE BU40N`), so vendor prefixes do not matter. Otherwise the two groups
/// decide.
pub fn check(drive_model: &str, image_model: &str) -> CompatVerdict {
    let drive_group = group_of(drive_model);
    let image_group = group_of(image_model);
    if same_model(drive_model, image_model) {
        return CompatVerdict::SameModel {
            caveats: drive_group
                .map(|g| g.caveats_for(drive_model, image_model, true))
                .unwrap_or_default(),
        };
    }
    match (drive_group, image_group) {
        (Some(d), Some(i)) if d.id == i.id => CompatVerdict::SameGroup {
            group: d.name.clone(),
            caveats: d.caveats_for(drive_model, image_model, false),
        },
        (Some(d), Some(i)) => CompatVerdict::DifferentGroups {
            drive_group: d.name.clone(),
            image_group: i.name.clone(),
            reason: different_groups_reason(drive_model, d, i),
        },
        (d, i) => {
            let unknown: Vec<String> = [(d, "drive", drive_model), (i, "image", image_model)]
                .into_iter()
                .filter(|(g, _, _)| g.is_none())
                .map(|(_, side, model)| format!("the {side} model ({model})"))
                .collect();
            CompatVerdict::Unknown {
                drive_group: d.map(|g| g.name.clone()),
                image_group: i.map(|g| g.name.clone()),
                reason: format!(
                    "{} is in no compat group odflash knows, so nothing says this firmware fits \
                     this drive",
                    unknown.join(" and ")
                ),
            }
        }
    }
}

fn different_groups_reason(drive_model: &str, drive: &Group, image: &Group) -> String {
    let documented =
        drive.incompatible_with.contains(&image.id) || image.incompatible_with.contains(&drive.id);
    let verdict = if documented {
        let both_use = match (&drive.controller, &image.controller) {
            (Some(a), Some(b)) if a == b => format!(" although both use {a}"),
            _ => String::new(),
        };
        format!("those groups are incompatible{both_use}")
    } else if drive.family != image.family {
        "those groups belong to different chip families".to_owned()
    } else {
        "no source says firmware crosses between those groups".to_owned()
    };
    let sources = if drive.source == image.source {
        drive.source.clone()
    } else {
        format!("{}; {}", image.source, drive.source)
    };
    format!(
        "the image is for the {} group; this drive ({}) is in the {} group: {verdict} \
         (source: {sources})",
        image.name,
        drive_model.trim(),
        drive.name
    )
}

/// Upper-cased tokens of a model name, split on whitespace and `_`.
fn tokens(model: &str) -> Vec<String> {
    model
        .split(|c: char| c.is_whitespace() || c == '_')
        .filter(|t| !t.is_empty())
        .map(str::to_ascii_uppercase)
        .collect()
}

/// True when one name's tokens end the other's (`DRU-710A` ends `SONY DVD RW DRU-710A`).
fn same_model(a: &str, b: &str) -> bool {
    let (a, b) = (tokens(a), tokens(b));
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    !short.is_empty() && long.ends_with(&short)
}

/// Matches `text` against `pattern`, where `*` matches any run of bytes (case-insensitive).
fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|skip| glob_match(rest, &text[skip..])),
        Some((p, rest)) => text
            .split_first()
            .is_some_and(|(t, tail)| p.eq_ignore_ascii_case(t) && glob_match(rest, tail)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_data_is_valid() {
        let data = parse_compat(COMPAT_JSON).unwrap();
        assert!(data.groups.len() >= 4);
        for (n, g) in data.groups.iter().enumerate() {
            assert!(!g.members.is_empty() && !g.source.is_empty(), "{}", g.id);
            assert!(
                !data.groups[..n].iter().any(|o| o.id == g.id),
                "duplicate {}",
                g.id
            );
            for other in &g.incompatible_with {
                assert!(data.groups.iter().any(|o| &o.id == other), "{other}");
            }
            // No member pattern may land in two groups.
            for m in &g.members {
                let probe = m.replace('*', "X");
                let owners = data.groups.iter().filter(|o| o.contains(&probe)).count();
                assert_eq!(owners, 1, "{m} matches {owners} groups");
            }
        }
        assert!(data.boot_banners.iter().all(|b| !b.source.is_empty()));
        // Each TSST class has one allow-list; no drive is in two; every string is stored as
        // it is compared (trimmed, single spaces).
        for class in tsst::Class::ALL {
            assert_eq!(
                data.tsst_drives.iter().filter(|d| d.class == class).count(),
                1,
                "{class}"
            );
        }
        for (n, d) in data.tsst_drives.iter().enumerate() {
            assert!(
                !d.source.is_empty() && !d.products.is_empty(),
                "{}",
                d.class
            );
            for text in d.vendors.iter().chain(&d.products) {
                let normal = text.split_whitespace().collect::<Vec<_>>().join(" ");
                assert_eq!(&normal, text);
            }
            for p in &d.products {
                let owners = data.tsst_drives[n..]
                    .iter()
                    .filter(|o| o.products.contains(p))
                    .count();
                assert_eq!(owners, 1, "{p}");
                // A TSST drive the model rows know is a TSST drive there too.
                if let Some(row) = data.models.iter().find(|m| m.matches_product(p)) {
                    assert_eq!(row.family, GroupFamily::Tsst, "{p}");
                }
            }
        }
        assert!(data.usb_bridges.iter().all(|b| !b.source.is_empty()));
        for (n, m) in data.models.iter().enumerate() {
            assert!(!m.source.is_empty(), "{} has no source", m.product);
            let probe = m.product.replace('*', "X");
            let owners = data
                .models
                .iter()
                .filter(|o| o.matches_product(&probe))
                .count();
            assert_eq!(owners, 1, "{} matches {owners} model rows", m.product);
            // A model in a compat group is of that group's family.
            if let Some(group) = data.groups.iter().find(|g| g.contains(&probe)) {
                assert_eq!(group.family, m.family, "{}", m.product);
            }
            assert!(!data.models[..n].contains(m));
        }
    }

    #[test]
    fn boot_loader_signatures() {
        assert!(shows_boot_loader("BD-RE BH16NS40", "BOOT"));
        assert!(shows_boot_loader("BD-RE BH16NS40", "boot"));
        assert!(shows_boot_loader("BW-16D1HT_BOOT", "3.02"));
        assert!(shows_boot_loader("LTR-BOOT", "0024"));
        assert!(!shows_boot_loader("BD-RE BH16NS40", "1.02"));
        assert!(!shows_boot_loader("BOOT", "1.02"));
        assert!(!shows_boot_loader("_BOOT", "1.02"));
        assert_eq!(without_boot_suffix("BW-16D1HT_BOOT"), "BW-16D1HT");
        assert_eq!(without_boot_suffix("BD-RE BU40N-boot "), "BD-RE BU40N");
        assert_eq!(without_boot_suffix("BD-RE BU40N"), "BD-RE BU40N");
    }

    #[test]
    fn models_are_found_by_vendor_and_product() {
        let bu40n = known_model("HL-DT-ST", "BD-RE BU40N").unwrap();
        assert_eq!(bu40n.family, GroupFamily::Mt19xx);
        // The ASUS boot-loader listing joins the strings with `_`.
        assert_eq!(
            known_model("ASUS", "BW-16D1HT_BOOT").map(|m| m.family),
            Some(GroupFamily::Mt19xx)
        );
        assert_eq!(known_model("PIONEER", "BD-RE BU40N"), None);
        assert_eq!(known_model("HL-DT-ST", "BD-RE BU40NX"), None);
        assert_eq!(model_by_product("BD-RE BU40N"), Some(bu40n));
        assert_eq!(
            model_by_product("BDDVDW SE-506CB").map(|m| m.family),
            Some(GroupFamily::Tsst)
        );
        assert_eq!(
            known_model("SONY", "DVD RW DRU-710A").map(|m| m.family),
            Some(GroupFamily::LiteonDvd)
        );
    }

    #[test]
    fn bad_json_is_an_error() {
        assert!(parse_compat("{}").is_err());
        let bad_id = COMPAT_JSON.replace("\"13fd\"", "\"13fz\"");
        assert!(parse_compat(&bad_id).unwrap_err().contains("13fz"));
    }

    #[test]
    fn the_710a_is_refused_the_720a_image() {
        let verdict = check("SONY DVD RW DRU-710A", "DVD RW DRU-720A");
        let CompatVerdict::DifferentGroups {
            drive_group,
            image_group,
            reason,
        } = verdict
        else {
            panic!("expected different groups, got {verdict:?}");
        };
        assert_eq!(drive_group, "LiteOn 1213/1633/1653 + Sony DRU-710A");
        assert_eq!(image_group, "LiteOn 1673/1693 + Sony DRU-720A/800A");
        assert!(reason.starts_with(
            "the image is for the LiteOn 1673/1693 + Sony DRU-720A/800A group; this drive \
             (SONY DVD RW DRU-710A) is in the LiteOn 1213/1633/1653 + Sony DRU-710A group: \
             those groups are incompatible although both use MT1828E/MT1816E (source: "
        ));
        assert!(reason.contains("myce forum"));
    }

    #[test]
    fn vendor_prefixes_and_spacing_do_not_matter() {
        let same = CompatVerdict::SameModel { caveats: vec![] };
        assert_eq!(check("SONY DVD RW DRU-710A", "DVD RW DRU-710A"), same);
        assert_eq!(check("DVD  RW   DRU-710A", "dru-710a"), same);
        assert_eq!(check("HL-DT-ST BD-RE BU40N", "BD-RE BU40N"), same);
        assert_eq!(check("HL-DT-ST_BD-RE_BU40N", "BU40N"), same);
        assert!(matches!(
            check("DVD RW DRU-710A", "DVD RW DRU-720A"),
            CompatVerdict::DifferentGroups { .. }
        ));
        assert_eq!(
            group_of("LITE-ON DVDRW SOHW-1633SX").map(|g| g.id.as_str()),
            Some("liteon-1633")
        );
    }

    #[test]
    fn same_group_and_caveats() {
        assert_eq!(
            check("LITE-ON DVDRW SOHW-1633S", "SOHW-1653S"),
            CompatVerdict::SameGroup {
                group: "LiteOn 1213/1633/1653 + Sony DRU-710A".into(),
                caveats: vec![group_of("SOHW-1633S").unwrap().caveats[0].text.clone()],
            }
        );
        let CompatVerdict::SameModel { caveats } = check("BD-RE BP60NB10", "BP60NB10") else {
            panic!("same model");
        };
        assert!(caveats[0].contains("NB12"));
        assert_eq!(
            check("BD-RE BU40N", "ASUS SBW-06D2X-U"),
            CompatVerdict::SameGroup {
                group: "MT19xx slim drives (BU40N firmware)".into(),
                caveats: vec![],
            }
        );
        let CompatVerdict::SameGroup { caveats, .. } = check("BD-RE BP60NB10", "BD-RE BU40N")
        else {
            panic!("same group");
        };
        assert_eq!(caveats.len(), 1);
    }

    #[test]
    fn slim_and_desktop_mt19xx_differ() {
        let CompatVerdict::DifferentGroups { reason, .. } =
            check("HL-DT-ST BD-RE WH16NS60", "BD-RE BU40N")
        else {
            panic!("different groups");
        };
        assert!(
            reason.contains("incompatible although both use MT1959"),
            "{reason}"
        );
        assert!(reason.contains("OmniDrive#24"), "{reason}");
    }

    #[test]
    fn undocumented_pairs_and_unknown_models() {
        let CompatVerdict::DifferentGroups { reason, .. } = check("LDW-451S", "SOHW-1633S") else {
            panic!("different groups");
        };
        assert!(reason.contains("no source says"), "{reason}");
        let CompatVerdict::DifferentGroups { reason, .. } = check("BD-RE BU40N", "SOHW-1633S")
        else {
            panic!("different groups");
        };
        assert!(reason.contains("different chip families"), "{reason}");
        assert_eq!(
            check("BD-RE XYZ99", "BD-RE BU40N"),
            CompatVerdict::Unknown {
                drive_group: None,
                image_group: Some("MT19xx slim drives (BU40N firmware)".into()),
                reason: "the drive model (BD-RE XYZ99) is in no compat group odflash knows, so \
                         nothing says this firmware fits this drive"
                    .into(),
            }
        );
        assert!(matches!(check("", ""), CompatVerdict::Unknown { .. }));
    }

    #[test]
    fn banners_and_bridges() {
        assert!(known_banner("MT1959 Boot BU5").is_some());
        assert!(known_banner("MT1959 Boot BU51").is_some());
        assert!(known_banner("MT1959 Boot JB8 ").is_some());
        assert!(known_banner("MT1959 Boot ZZ9").is_none());
        assert_eq!(boot_banners().len(), 2);
        assert_eq!(known_bad_bridge(0x13fd, 0x3609).unwrap().name, "INIC-3609");
        assert_eq!(known_bad_bridge(0x174c, 0x5106).unwrap().name, "ASM1051");
        assert!(known_bad_bridge(0x152e, 0x2571).is_none());
        assert_eq!(usb_bridges().len(), 2);
    }

    #[test]
    fn glob() {
        assert!(glob_match(b"*-1633S*", b"SOHW-1633SX"));
        assert!(glob_match(b"*-1633S*", b"SOHW-1633S"));
        assert!(!glob_match(b"*-1633S*", b"SOHW-16330S"));
        assert!(!glob_match(b"*-451S*", b"SOHW-1451S"));
        assert!(glob_match(b"BU40N", b"bu40n"));
        assert!(!glob_match(b"BU40N", b"BU40NX"));
    }
}
