//! The `emu:FAMILY[,key=value...]` device syntax: parsing into a [`Spec`] and printing it back.
//!
//! This module parses text. The one file it reads is a profile named in the family's place
//! (`emu:profile=FILE`, `profile.rs`), since the profile says which family it is; the fault plan
//! and state file named here are read by [`super::Drive::open`].

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::clock::ClockMode;
use super::profile::Profile;
use super::Error;
use crate::image::tsst::Class;

/// Prefix that marks a DEVICE argument as an emulated drive.
pub const PREFIX: &str = "emu:";

/// Default largest data phase (64 KiB: freemkv's read probe tries chunks up to 64 KiB,
/// freemkv-firmware `probe.rs`; docs/protocol.md §2.2).
pub const DEFAULT_MAX_TRANSFER: usize = 0x1_0000;

/// Which emulated drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// MediaTek MT1959 Blu-ray drive (default identity `HL-DT-ST BD-RE BU40N 1.03`).
    Mt1959,
    /// MediaTek MT1939 variant sharing the MT1959 protocol.
    Mt1939,
    /// DVD-era LiteOn/Sony writer (identification and the public vendor reads); `preset` picks
    /// the default identity.
    LiteonDvd(DvdPreset),
    /// A drive of the TSST/Samsung FF download family; `preset` picks the class and identity.
    Tsst(TsstPreset),
}

/// The emulated TSST drives, one per drive class (docs/protocol.md §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TsstPreset {
    /// `TSSTcorp BDDVDW SE-506CB`, MT1939 BD class (the drive of coastermelt's captures).
    Se506cb,
    /// `TSSTcorp DVD-ROM TS-H353C`, MT1339 DVD-ROM class.
    TsH353c,
    /// `SAMSUNG DVD-ROM SD-616F`, SD-616 class.
    Sd616f,
}

impl TsstPreset {
    /// The drive class the preset belongs to.
    pub fn class(self) -> Class {
        match self {
            TsstPreset::Se506cb => Class::Mt1939Bd,
            TsstPreset::TsH353c => Class::Mt1339DvdRom,
            TsstPreset::Sd616f => Class::Sd616,
        }
    }
}

/// Every emulated drive, in the order `emu:` help lists them: the one list of families.
const FAMILIES: [Family; 8] = [
    Family::Mt1959,
    Family::Mt1939,
    Family::LiteonDvd(DvdPreset::Dru710a),
    Family::LiteonDvd(DvdPreset::Sohw1633s),
    Family::LiteonDvd(DvdPreset::Generic),
    Family::Tsst(TsstPreset::Se506cb),
    Family::Tsst(TsstPreset::TsH353c),
    Family::Tsst(TsstPreset::Sd616f),
];

/// Default identities of the DVD-era drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DvdPreset {
    /// `SONY DVD RW DRU-710A`.
    Dru710a,
    /// `LITE-ON DVDRW SOHW-1633S`.
    Sohw1633s,
    /// `liteon-dvd`: a LiteOn DVD writer whose model comes from `model=`.
    Generic,
}

impl Family {
    /// The family name as written in the DEVICE string.
    pub fn name(self) -> &'static str {
        match self {
            Family::Mt1959 => "mt1959",
            Family::Mt1939 => "mt1939",
            Family::LiteonDvd(DvdPreset::Dru710a) => "dru-710a",
            Family::LiteonDvd(DvdPreset::Sohw1633s) => "sohw-1633s",
            Family::LiteonDvd(DvdPreset::Generic) => "liteon-dvd",
            Family::Tsst(TsstPreset::Se506cb) => "se-506cb",
            Family::Tsst(TsstPreset::TsH353c) => "ts-h353c",
            Family::Tsst(TsstPreset::Sd616f) => "sd-616f",
        }
    }

    /// The family a DEVICE string names (`mt1959`, `dru-710a`, ...).
    pub fn parse(name: &str) -> Option<Family> {
        FAMILIES
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }

    /// Every family name, comma separated (for messages).
    /// Every family name, for messages.
    pub fn known() -> String {
        FAMILIES.map(Family::name).join(", ")
    }

    /// Default (vendor, model, revision) of the family.
    // ASSUMPTION: illustrative identities. `HL-DT-ST BD-RE BU40N` is the LG slim MT1959 drive of
    // RibShark/OmniDrive#24 (docs/protocol.md §7.3); the MT1939 model, the DVD revisions and the
    // serials are invented, plausible values. The SE-506CB's strings and revision TS01 are the
    // captured drive's (coastermelt `doc/update-ts01-notes.txt`, tests/data/real); the TS-H353C
    // and SD-616F products are redumper's allow-listed strings (`drive/flash_tsst.ixx`,
    // `drive/flash_sd616.ixx`) with invented revisions.
    pub fn default_identity(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Family::Mt1959 => ("HL-DT-ST", "BD-RE BU40N", "1.03"),
            Family::Mt1939 => ("HL-DT-ST", "BD-RE BH16NS40", "1.02"),
            Family::LiteonDvd(DvdPreset::Dru710a) => ("SONY", "DVD RW DRU-710A", "BYX4"),
            Family::LiteonDvd(DvdPreset::Sohw1633s | DvdPreset::Generic) => {
                ("LITE-ON", "DVDRW SOHW-1633S", "BS0S")
            }
            Family::Tsst(TsstPreset::Se506cb) => ("TSSTcorp", "BDDVDW SE-506CB", "TS01"),
            Family::Tsst(TsstPreset::TsH353c) => ("TSSTcorp", "DVD-ROM TS-H353C", "ID01"),
            Family::Tsst(TsstPreset::Sd616f) => ("SAMSUNG", "DVD-ROM SD-616F", "F301"),
        }
    }
}

/// Keys only the MT19xx model reads.
const MT19XX_KEYS: [&str; 3] = ["boot-style", "firmware-reads", "anti-downgrade"];

/// The state an MT19xx drive is created in (ignored when a state file already exists).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartMode {
    /// A valid application image and consistent unit data: the drive runs its firmware.
    App,
    /// The application image fails its integrity check: the boot loader answers.
    Boot,
    /// The firmware runs but the calibration window is blank.
    NeedsAttention,
}

impl StartMode {
    fn name(self) -> &'static str {
        match self {
            StartMode::App => "app",
            StartMode::Boot => "boot",
            StartMode::NeedsAttention => "needs-attention",
        }
    }
}

/// How an emulated MT19xx boot loader presents itself (`boot-style=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BootStyle {
    /// Like the TSST MT1939 loader (coastermelt `doc/bootloader.txt`): revision `BOOT`, GET
    /// CONFIGURATION and READ BUFFER mode 6 answered (default).
    #[default]
    Banner,
    /// As an LG BH16NS40 left by a failed flash shows itself (MakeMKV forum t=29236,
    /// t=31107): revision `BOOT`, no 0x010C/0x0108 features, READ BUFFER refused.
    Bare,
}

/// Whether emulated MT19xx application firmware serves READ BUFFER mode 6 (`firmware-reads=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FirmwareReads {
    /// Served (default).
    #[default]
    Served,
    /// Refused, as newer MT19xx firmware is reported to (docs/protocol.md §9).
    Blocked,
}

/// Whether emulated MT19xx firmware refuses older images (`anti-downgrade=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AntiDowngrade {
    /// Takes any image (default).
    #[default]
    Off,
    /// Answers the last chunk of an older image with ILLEGAL REQUEST 05/24/00 and keeps its
    /// firmware ("Write DRAM NG 05/24/00": docs/protocol.md §7.1).
    On,
}

/// How an emulated DVD-era drive answers its vendor reads `DF 89` / `DF 83` (`vendor-reads=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VendorReads {
    /// Served from the emulated EEPROM and firmware (default).
    #[default]
    Served,
    /// Refused: every `DF` command gets ILLEGAL REQUEST 05/20/00, as the identify-only model
    /// did.
    Refused,
    /// Refused with 05/6F/00 until the drive has answered the challenge read `DF 00 0A` since
    /// its last power-on or reset, then served.
    Challenge,
}

impl VendorReads {
    fn name(self) -> &'static str {
        match self {
            VendorReads::Served => "served",
            VendorReads::Refused => "refused",
            VendorReads::Challenge => "challenge",
        }
    }
}

/// Keys only the DVD-era model reads.
const DVD_KEYS: [&str; 2] = ["eeprom-model", "vendor-reads"];

/// A parsed `emu:` DEVICE string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The emulated drive.
    pub family: Family,
    /// INQUIRY vendor (`vendor=`), else the family default.
    pub vendor: Option<String>,
    /// INQUIRY product (`model=`), else the family default.
    pub model: Option<String>,
    /// INQUIRY revision (`revision=`), else the family default.
    pub revision: Option<String>,
    /// Unit serial (`serial=`), else a default derived from the family.
    pub serial: Option<String>,
    /// Start state (`mode=`, alias `state=`); default [`StartMode::App`].
    pub mode: StartMode,
    /// Fault plan file (`faults=`).
    pub faults: Option<PathBuf>,
    /// Persistent drive state (`state-file=`).
    pub state_file: Option<PathBuf>,
    /// Largest data phase accepted (`max-transfer=`, bytes; `k` suffix = KiB).
    pub max_transfer: usize,
    /// Clock (`clock=virtual|real`); default virtual.
    pub clock: ClockMode,
    /// Boot-loader presentation (`boot-style=banner|bare`).
    pub boot_style: BootStyle,
    /// Flash reads in application mode (`firmware-reads=served|blocked`).
    pub firmware_reads: FirmwareReads,
    /// Downgrade refusal (`anti-downgrade=on|off`).
    pub anti_downgrade: AntiDowngrade,
    /// DVD-era drives: the model string the emulated EEPROM carries (`eeprom-model=`), else
    /// the INQUIRY model. Another group's model emulates a crossflashed unit.
    pub eeprom_model: Option<String>,
    /// DVD-era drives: how the vendor reads are answered (`vendor-reads=`).
    pub vendor_reads: VendorReads,
    /// A recorded identity (`emu:profile=FILE`): its family's model behind its replies.
    pub profile: Option<Loaded>,
}

/// A profile named by `emu:profile=FILE`, as loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// The file.
    pub path: PathBuf,
    /// Its contents.
    pub profile: Profile,
}

impl Spec {
    /// A spec for `family` with every option at its default.
    pub fn new(family: Family) -> Spec {
        Spec {
            family,
            vendor: None,
            model: None,
            revision: None,
            serial: None,
            mode: StartMode::App,
            faults: None,
            state_file: None,
            max_transfer: DEFAULT_MAX_TRANSFER,
            clock: ClockMode::Virtual,
            boot_style: BootStyle::default(),
            firmware_reads: FirmwareReads::default(),
            anti_downgrade: AntiDowngrade::default(),
            eeprom_model: None,
            vendor_reads: VendorReads::default(),
            profile: None,
        }
    }

    /// The recorded identity, for `emu:profile=FILE`.
    pub fn profile(&self) -> Option<&Profile> {
        self.profile.as_ref().map(|l| &l.profile)
    }

    /// True when `device` names an emulated drive (`emu:...`).
    pub fn is_emu(device: &str) -> bool {
        device.starts_with(PREFIX)
    }

    /// Vendor after the profile and defaults.
    pub fn vendor(&self) -> &str {
        self.vendor
            .as_deref()
            .or(self.profile().map(|p| p.vendor.as_str()))
            .unwrap_or(self.family.default_identity().0)
    }

    /// Model after the profile and defaults.
    pub fn model(&self) -> &str {
        self.model
            .as_deref()
            .or(self.profile().map(|p| p.model.as_str()))
            .unwrap_or(self.family.default_identity().1)
    }

    /// Revision after the profile and defaults.
    pub fn revision(&self) -> &str {
        self.revision
            .as_deref()
            .or(self.profile().map(|p| p.revision.as_str()))
            .unwrap_or(self.family.default_identity().2)
    }

    /// The model the EEPROM of a DVD-era drive carries, after defaults.
    pub fn eeprom_model(&self) -> &str {
        self.eeprom_model.as_deref().unwrap_or(self.model())
    }

    /// Serial after defaults.
    // ASSUMPTION: invented default serials, one per family, so tests can tell drives apart.
    pub fn serial(&self) -> &str {
        let recorded = self.profile().and_then(|p| p.serial.as_deref());
        self.serial
            .as_deref()
            .or(recorded)
            .unwrap_or(match self.family {
                Family::Mt1959 => "EMU1959K0001",
                Family::Mt1939 => "EMU1939K0001",
                Family::LiteonDvd(_) => "EMUDVD000001",
                Family::Tsst(_) => "EMUTSST00001",
            })
    }
}

fn bad(spec: &str, why: impl Into<String>) -> Error {
    Error::Spec {
        spec: spec.to_string(),
        why: why.into(),
    }
}

fn parse_size(text: &str) -> Option<usize> {
    let t = text.trim();
    let (digits, scale) = match t.strip_suffix(['k', 'K']) {
        Some(d) => (d, 1024),
        None => (t, 1),
    };
    let value = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(hex) => usize::from_str_radix(hex, 16).ok()?,
        None => digits.parse().ok()?,
    };
    value.checked_mul(scale)
}

impl Spec {
    /// Apply the `key=value` words after the family (or profile) of `text`.
    fn with_keys<'t>(
        self,
        text: &str,
        parts: impl Iterator<Item = &'t str>,
    ) -> Result<Spec, Error> {
        let mut spec = self;
        let mut seen: Vec<&str> = Vec::new();
        for part in parts {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| bad(text, format!("`{part}` is not key=value")))?;
            let key = key.trim();
            // `state` is another name for `mode`: giving both is giving one key twice.
            let canonical = if key == "state" { "mode" } else { key };
            if seen.contains(&canonical) {
                return Err(bad(
                    text,
                    format!("`{canonical}` is given twice: give each key once"),
                ));
            }
            seen.push(canonical);
            let owned = || Some(value.to_string());
            match key {
                "vendor" => spec.vendor = owned(),
                "model" => spec.model = owned(),
                "revision" => spec.revision = owned(),
                "serial" => spec.serial = owned(),
                "mode" | "state" => {
                    spec.mode = match value.trim() {
                        "app" => StartMode::App,
                        "boot" => StartMode::Boot,
                        "needs-attention" => StartMode::NeedsAttention,
                        other => return Err(bad(text, format!("unknown mode `{other}`"))),
                    }
                }
                "faults" => spec.faults = Some(PathBuf::from(value)),
                "state-file" => spec.state_file = Some(PathBuf::from(value)),
                "max-transfer" => {
                    spec.max_transfer = parse_size(value)
                        .filter(|&n| n > 0)
                        .ok_or_else(|| bad(text, format!("bad max-transfer `{value}`")))?
                }
                "clock" => {
                    spec.clock = match value.trim() {
                        "virtual" => ClockMode::Virtual,
                        "real" => ClockMode::Real,
                        other => return Err(bad(text, format!("unknown clock `{other}`"))),
                    }
                }
                "boot-style" => {
                    spec.boot_style = match value.trim() {
                        "banner" => BootStyle::Banner,
                        "bare" => BootStyle::Bare,
                        other => return Err(bad(text, format!("unknown boot-style `{other}`"))),
                    }
                }
                "firmware-reads" => {
                    spec.firmware_reads = match value.trim() {
                        "served" => FirmwareReads::Served,
                        "blocked" => FirmwareReads::Blocked,
                        other => {
                            return Err(bad(text, format!("unknown firmware-reads `{other}`")))
                        }
                    }
                }
                "anti-downgrade" => {
                    spec.anti_downgrade = match value.trim() {
                        "on" => AntiDowngrade::On,
                        "off" => AntiDowngrade::Off,
                        other => {
                            return Err(bad(text, format!("unknown anti-downgrade `{other}`")))
                        }
                    }
                }
                "eeprom-model" => spec.eeprom_model = owned(),
                "vendor-reads" => {
                    spec.vendor_reads = match value.trim() {
                        "served" => VendorReads::Served,
                        "refused" => VendorReads::Refused,
                        "challenge" => VendorReads::Challenge,
                        other => return Err(bad(text, format!("unknown vendor-reads `{other}`"))),
                    }
                }
                "profile" => {
                    return Err(bad(
                        text,
                        "profile= takes the family's place: emu:profile=FILE[,key=value...]",
                    ))
                }
                other => return Err(bad(text, format!("unknown key `{other}`"))),
            }
        }
        if spec.family == Family::LiteonDvd(DvdPreset::Generic) && spec.model.is_none() {
            return Err(bad(text, "liteon-dvd needs model=..."));
        }
        if let Family::Tsst(preset) = spec.family {
            check_tsst(text, preset, &spec, &seen)?;
        }
        let dvd = matches!(spec.family, Family::LiteonDvd(_));
        if let Some(key) = DVD_KEYS.iter().find(|k| !dvd && seen.contains(k)) {
            return Err(bad(
                text,
                format!("`{key}` applies to the DVD-era drives only"),
            ));
        }
        Ok(spec)
    }
}

impl FromStr for Spec {
    type Err = Error;

    /// Parse `emu:FAMILY[,key=value...]` or `emu:profile=FILE[,key=value...]`. Values may
    /// contain spaces but not commas.
    fn from_str(text: &str) -> Result<Spec, Error> {
        let body = text
            .strip_prefix(PREFIX)
            .ok_or_else(|| bad(text, "does not start with `emu:`"))?;
        let mut parts = body.split(',');
        let family_name = parts.next().unwrap_or("").trim();
        if let Some(path) = family_name.strip_prefix("profile=") {
            let profile = Profile::load(std::path::Path::new(path))?;
            let family = profile.emu_family().map_err(|why| bad(text, why))?;
            let mut spec = Spec::new(family);
            spec.profile = Some(Loaded {
                path: PathBuf::from(path),
                profile,
            });
            return spec.with_keys(text, parts);
        }
        let family = Family::parse(family_name).ok_or_else(|| {
            bad(
                text,
                format!(
                    "unknown family `{family_name}` (known: {})",
                    Family::known()
                ),
            )
        })?;
        Spec::new(family).with_keys(text, parts)
    }
}

/// What a TSST drive takes beyond the common keys: `mode=boot` only where a boot loader is
/// public (the MT1939 loader, coastermelt `doc/bootloader.txt`), no `needs-attention` (no
/// public per-unit data, docs/protocol.md §8.3) and none of the MT19xx-only keys.
fn check_tsst(text: &str, preset: TsstPreset, spec: &Spec, seen: &[&str]) -> Result<(), Error> {
    let class = preset.class();
    match spec.mode {
        StartMode::App => {}
        StartMode::Boot if class == Class::Mt1939Bd => {}
        StartMode::Boot => {
            return Err(bad(
                text,
                format!("mode=boot: no boot loader of the {class} class is public"),
            ))
        }
        StartMode::NeedsAttention => {
            return Err(bad(
                text,
                "mode=needs-attention: TSST drives have no modelled unit data",
            ))
        }
    }
    match MT19XX_KEYS.iter().find(|k| seen.contains(k)) {
        Some(key) => Err(bad(
            text,
            format!("`{key}` applies to mt1959 and mt1939 drives only"),
        )),
        None => Ok(()),
    }
}

impl fmt::Display for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.profile {
            Some(l) => write!(f, "{PREFIX}profile={}", l.path.display())?,
            None => write!(f, "{PREFIX}{}", self.family.name())?,
        }
        let strings = [
            ("vendor", &self.vendor),
            ("model", &self.model),
            ("revision", &self.revision),
            ("serial", &self.serial),
        ];
        for (key, value) in strings {
            if let Some(v) = value {
                write!(f, ",{key}={v}")?;
            }
        }
        if self.mode != StartMode::App {
            write!(f, ",mode={}", self.mode.name())?;
        }
        if let Some(p) = &self.faults {
            write!(f, ",faults={}", p.display())?;
        }
        if let Some(p) = &self.state_file {
            write!(f, ",state-file={}", p.display())?;
        }
        if self.max_transfer != DEFAULT_MAX_TRANSFER {
            write!(f, ",max-transfer={}", self.max_transfer)?;
        }
        if self.clock == ClockMode::Real {
            write!(f, ",clock=real")?;
        }
        if self.boot_style == BootStyle::Bare {
            write!(f, ",boot-style=bare")?;
        }
        if self.firmware_reads == FirmwareReads::Blocked {
            write!(f, ",firmware-reads=blocked")?;
        }
        if self.anti_downgrade == AntiDowngrade::On {
            write!(f, ",anti-downgrade=on")?;
        }
        if let Some(model) = &self.eeprom_model {
            write!(f, ",eeprom-model={model}")?;
        }
        if self.vendor_reads != VendorReads::Served {
            write!(f, ",vendor-reads={}", self.vendor_reads.name())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_family_and_keys_with_spaces() {
        let s: Spec = "emu:mt1959,model=BD-RE BU40N,revision=1.04,max-transfer=32k,clock=real"
            .parse()
            .unwrap();
        assert_eq!(s.family, Family::Mt1959);
        assert_eq!(s.model(), "BD-RE BU40N");
        assert_eq!(s.revision(), "1.04");
        assert_eq!(s.vendor(), "HL-DT-ST");
        assert_eq!(s.max_transfer, 32 * 1024);
        assert_eq!(s.clock, ClockMode::Real);
    }

    #[test]
    fn display_round_trips() {
        let text = "emu:dru-710a,serial=X 1,mode=boot,state-file=/tmp/a b,max-transfer=4096";
        let s: Spec = text.parse().unwrap();
        assert_eq!(s.to_string(), text);
        let text = "emu:mt1959,mode=boot,boot-style=bare,firmware-reads=blocked,anti-downgrade=on";
        let s: Spec = text.parse().unwrap();
        assert_eq!(s.to_string(), text);
        assert_eq!(s.to_string().parse::<Spec>().unwrap(), s);
    }

    #[test]
    fn rejects_bad_input() {
        for text in [
            "mt1959",
            "emu:",
            "emu:mt2000",
            "emu:mt1959,model",
            "emu:mt1959,colour=red",
            "emu:mt1959,mode=sleepy",
            "emu:mt1959,max-transfer=0",
            "emu:mt1959,clock=fast",
            "emu:liteon-dvd",
            "emu:mt1959,boot-style=naked",
            "emu:mt1959,firmware-reads=maybe",
            "emu:mt1959,anti-downgrade=yes",
        ] {
            assert!(text.parse::<Spec>().is_err(), "{text} should not parse");
        }
        assert!(Spec::is_emu("emu:mt1959"));
        assert!(!Spec::is_emu("/dev/sg0"));
    }

    #[test]
    fn a_key_given_twice_is_refused() {
        for text in [
            "emu:mt1959,serial=A,serial=B",
            "emu:mt1959,mode=boot,state=app",
            "emu:mt1959,state-file=a.json,state-file=b.json",
        ] {
            match text.parse::<Spec>() {
                Err(Error::Spec { why, .. }) => assert!(why.contains("given twice"), "{why}"),
                other => panic!("{text}: unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn tsst_drives_parse_with_their_class_and_identity() {
        let s: Spec = "emu:se-506cb,mode=boot".parse().unwrap();
        assert_eq!(s.family, Family::Tsst(TsstPreset::Se506cb));
        assert_eq!(
            (s.vendor(), s.model(), s.revision()),
            ("TSSTcorp", "BDDVDW SE-506CB", "TS01")
        );
        assert_eq!(s.to_string(), "emu:se-506cb,mode=boot");
        for (name, class) in [("ts-h353c", Class::Mt1339DvdRom), ("sd-616f", Class::Sd616)] {
            let s: Spec = format!("emu:{name},vendor=hp,state-file=/tmp/t")
                .parse()
                .unwrap();
            let Family::Tsst(preset) = s.family else {
                panic!("{name} is a TSST drive");
            };
            assert_eq!(preset.class(), class);
            assert_eq!(s.to_string().parse::<Spec>().unwrap(), s);
        }
    }

    #[test]
    fn tsst_drives_refuse_what_they_do_not_have() {
        for (text, why) in [
            (
                "emu:ts-h353c,mode=boot",
                "no boot loader of the MT1339 DVD-ROM class",
            ),
            (
                "emu:sd-616f,mode=boot",
                "no boot loader of the SD-616 class",
            ),
            ("emu:se-506cb,mode=needs-attention", "no modelled unit data"),
            (
                "emu:se-506cb,boot-style=bare",
                "`boot-style` applies to mt1959",
            ),
            ("emu:sd-616f,anti-downgrade=off", "`anti-downgrade` applies"),
        ] {
            match text.parse::<Spec>() {
                Err(Error::Spec { why: got, .. }) => assert!(got.contains(why), "{text}: {got}"),
                other => panic!("{text}: unexpected {other:?}"),
            }
        }
        match "emu:sd616".parse::<Spec>() {
            Err(Error::Spec { why, .. }) => assert!(
                why.ends_with("(known: mt1959, mt1939, dru-710a, sohw-1633s, liteon-dvd, se-506cb, ts-h353c, sd-616f)"),
                "{why}"
            ),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn dvd_drives_take_their_eeprom_model_and_vendor_reads() {
        let text = "emu:dru-710a,eeprom-model=DVD RW DRU-720A,vendor-reads=challenge";
        let s: Spec = text.parse().unwrap();
        assert_eq!(s.eeprom_model(), "DVD RW DRU-720A");
        assert_eq!(s.model(), "DVD RW DRU-710A");
        assert_eq!(s.vendor_reads, VendorReads::Challenge);
        assert_eq!(s.to_string(), text);
        let plain: Spec = "emu:sohw-1633s".parse().unwrap();
        assert_eq!(plain.eeprom_model(), "DVDRW SOHW-1633S");
        assert_eq!(plain.vendor_reads, VendorReads::Served);
        for (text, why) in [
            ("emu:dru-710a,vendor-reads=maybe", "unknown vendor-reads"),
            ("emu:mt1959,vendor-reads=refused", "DVD-era drives only"),
            ("emu:se-506cb,eeprom-model=X", "DVD-era drives only"),
        ] {
            match text.parse::<Spec>() {
                Err(Error::Spec { why: got, .. }) => assert!(got.contains(why), "{text}: {got}"),
                other => panic!("{text}: unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn state_alias_and_hex_size() {
        let s: Spec = "emu:mt1939,state=needs-attention,max-transfer=0x8000"
            .parse()
            .unwrap();
        assert_eq!(s.mode, StartMode::NeedsAttention);
        assert_eq!(s.max_transfer, 0x8000);
        let g: Spec = "emu:liteon-dvd,model=DVDRW SOHW-1653S".parse().unwrap();
        assert_eq!(g.model(), "DVDRW SOHW-1653S");
        assert_eq!(g.vendor(), "LITE-ON");
    }
}
