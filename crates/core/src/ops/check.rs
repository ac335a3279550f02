//! `image check`: every gate's verdict for an image file, offline or against an identified
//! drive, for every image format odflash recognises. MT19xx images go through the flash
//! engine's own gates; DVD-era images (whose flash protocol is not public) get the checks that
//! need no protocol: size, the model/compat-group gate, and a refusal naming why odflash cannot
//! flash them. It sends no command.

use serde::Serialize;

use crate::family::FamilyId;
use crate::image::{self, dvd, ImageKind};

use super::drive::Drive;
use super::error::Error;
use super::flash::{self, build_compat, FlashOptions, ImageFile};
use super::gates::{self, Gate, GateVerdict, Waivers};

/// The verdicts for one image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageCheck {
    /// What the image is.
    pub format: &'static str,
    /// The model the image was made for, when it says.
    pub model: Option<String>,
    /// Every gate that applies, with its verdict.
    pub gates: Vec<GateVerdict>,
}

impl ImageCheck {
    /// The first refusing gate as an error, if any.
    pub fn refusal(&self) -> Option<Error> {
        gates::first_refusal(&self.gates)
    }
}

/// True when the flash engine takes this image's format (MT19xx); other formats only get
/// [`check_image`]'s verdicts.
pub fn engine_takes(image: &ImageFile) -> bool {
    matches!(image::detect(&image.bytes), ImageKind::Mt19xx)
}

/// Check `image`, against `drive` when given.
pub fn check_image(
    image: &ImageFile,
    drive: Option<&Drive>,
    waivers: &Waivers,
) -> Result<ImageCheck, Error> {
    match image::detect(&image.bytes) {
        ImageKind::Mt19xx => check_mt19xx(image, drive, waivers),
        ImageKind::DvdEra => check_dvd_era(image, drive, waivers),
        ImageKind::Unknown => Err(Error::bad_file(
            &image.path,
            "neither an MT19xx image (2 MiB, MT19 boot banner or MTEKMT19xx tag) nor a DVD-era \
             LiteOn/MediaTek image (128 KiB-1 MiB of 64 KiB banks): check the file",
        )),
    }
}

fn check_mt19xx(
    image: &ImageFile,
    drive: Option<&Drive>,
    waivers: &Waivers,
) -> Result<ImageCheck, Error> {
    let model = image::mt19xx::parse(&image.bytes)
        .ok()
        .and_then(|p| p.model().map(str::to_string));
    let gates = match drive {
        None => flash::check_image(image)?,
        Some(d) if d.family.flash().is_some() => {
            let opts = FlashOptions {
                waivers: *waivers,
                ..FlashOptions::default()
            };
            flash::plan_flash(d, image, &opts)?.gates
        }
        Some(d) => {
            let mut gates = flash::check_image(image)?;
            gates.push(GateVerdict {
                gate: Gate::ChipFamily,
                verdict: gates::refuse(format!(
                    "this is an MT19xx image and the drive is a {} drive",
                    d.family_id()
                )),
            });
            gates
        }
    };
    Ok(ImageCheck {
        format: "mt19xx",
        model,
        gates,
    })
}

fn check_dvd_era(
    image: &ImageFile,
    drive: Option<&Drive>,
    waivers: &Waivers,
) -> Result<ImageCheck, Error> {
    let parsed = dvd::parse_dvd_era(&image.bytes)
        .map_err(|e| Error::bad_file(&image.path, format!("not a DVD-era image: {e}")))?;
    let model = parsed.identity.as_ref().map(|i| i.model.clone());
    let mut gates = vec![GateVerdict {
        gate: Gate::Size,
        verdict: gates::pass(format!(
            "{} KiB, {} banks of 64 KiB",
            parsed.len / 1024,
            parsed.banks
        )),
    }];
    let other_family = drive.filter(|d| d.family_id() != FamilyId::LiteonDvd);
    let family = match other_family {
        Some(d) => format!(
            "this is a DVD-era image and the drive is a {} drive",
            d.family_id()
        ),
        None => "odflash cannot flash DVD-era LiteOn/Sony drives: their flash commands are not \
                 public (docs/protocol.md §5.8); it identifies them and checks images only"
            .to_string(),
    };
    let family = GateVerdict {
        gate: Gate::ChipFamily,
        verdict: gates::refuse(family),
    };
    // A drive of another family is refused on that ground first; for a DVD-era drive the
    // model/group verdict comes first, as it is the one that tells the user what is wrong.
    if other_family.is_some() {
        gates.push(family);
    } else {
        if let (Some(d), Some(m)) = (drive, &model) {
            gates.push(GateVerdict {
                gate: Gate::Model,
                verdict: gates::check_compat(
                    &build_compat(&d.identity.model, m),
                    waivers.crossflash,
                ),
            });
        }
        gates.push(family);
    }
    Ok(ImageCheck {
        format: "liteon-dvd",
        model,
        gates,
    })
}
