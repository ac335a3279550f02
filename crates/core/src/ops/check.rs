//! `image check`: every gate's verdict for an image file, offline or against an identified
//! drive, for every image format odflash reads. An image in a flashable drive's own format goes
//! through the flash engine's gates ([`super::flash::plan_flash`]); any other image gets the
//! checks that need no protocol (size, integrity, the model against the drive's compatibility
//! group) and a chip-family refusal that says why. It sends no command.

use serde::Serialize;

use crate::family::{self, Family};
use crate::image::{self, format::Format};

use super::drive::Drive;
use super::error::Error;
use super::flash::{self, build_compat, FlashOptions, ImageFile};
use super::gates::{self, Gate, GateVerdict, Verdict, Waivers};

/// The verdicts for one image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageCheck {
    /// What the image is (its format's name).
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

/// True when the flash engine takes `image` for `drive`: the drive's family can flash it and
/// reads the image in its own format. Other images only get [`check_image`]'s verdicts.
pub fn engine_takes(drive: &Drive, image: &ImageFile) -> bool {
    drive.family.flash(&drive.identity).is_some()
        && drive
            .family
            .format()
            .is_some_and(|f| f.facts(&image.bytes).is_ok())
}

/// Check `image`, against `drive` when given.
pub fn check_image(
    image: &ImageFile,
    drive: Option<&Drive>,
    waivers: &Waivers,
) -> Result<ImageCheck, Error> {
    if let Some(d) = drive.filter(|d| engine_takes(d, image)) {
        let opts = FlashOptions {
            waivers: *waivers,
            ..FlashOptions::default()
        };
        let plan = flash::plan_flash(d, image, &opts)?;
        return Ok(ImageCheck {
            format: d.family.format().map_or("", |f| f.name()),
            model: plan.image.model,
            gates: plan.gates,
        });
    }
    let format = drive
        .and_then(|d| d.family.format())
        .filter(|f| f.facts(&image.bytes).is_ok())
        .or_else(|| image::detect(&image.bytes))
        .ok_or_else(|| {
            let names: Vec<&str> = image::formats().iter().map(|f| f.name()).collect();
            Error::bad_file(
                &image.path,
                format!(
                    "not a firmware image in any format odflash reads ({}): check the file",
                    names.join(", ")
                ),
            )
        })?;
    let facts = format
        .facts(&image.bytes)
        .map_err(|e| Error::bad_file(&image.path, e.to_string()))?;
    let mut gates = flash::check_image_offline(&facts, format.sizes());
    let owner = owner_of(format);
    match (drive, owner) {
        (Some(d), Some(o)) if o.id() == d.family.id() => {
            // An identify-only drive with an image of its own family: the model verdict first,
            // as it tells the user what is wrong, then why odflash cannot flash it.
            if let Some(model) = facts.model.found() {
                gates.push(GateVerdict {
                    gate: Gate::Model,
                    verdict: gates::check_compat(
                        &build_compat(&d.identity.model, model),
                        waivers.crossflash,
                    ),
                });
            }
            gates.push(family_refusal(cannot_flash(o)));
        }
        (Some(d), _) => gates.push(family_refusal(format!(
            "this image is in the {} format and the drive is a {} drive",
            format.name(),
            d.family.id()
        ))),
        (None, Some(o)) if o.identify_only_reason().is_some() => {
            gates.push(family_refusal(cannot_flash(o)))
        }
        (None, _) => {}
    }
    Ok(ImageCheck {
        format: format.name(),
        model: facts.model.found().map(str::to_string),
        gates,
    })
}

/// The family whose images are in `format`.
fn owner_of(format: &dyn Format) -> Option<&'static dyn Family> {
    family::registry()
        .iter()
        .copied()
        .find(|f| f.format().is_some_and(|own| own.name() == format.name()))
}

/// Why odflash cannot flash `family`'s drives.
fn cannot_flash(family: &dyn Family) -> String {
    format!(
        "odflash cannot flash {} drives: {}; it identifies them and checks images only",
        family.id(),
        family
            .identify_only_reason()
            .unwrap_or("their write commands are not public")
    )
}

fn family_refusal(reason: String) -> GateVerdict {
    GateVerdict {
        gate: Gate::ChipFamily,
        verdict: Verdict::Refused {
            reason,
            waiver: None,
        },
    }
}
