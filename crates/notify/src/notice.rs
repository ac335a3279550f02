//! What the desktop is told about a drive: a [`Notice`] (summary, body, urgency) built from the
//! hotplug helper's [`Classification`], for the two verdicts where the user has something to do.
//! Pure: no file, no bus.

use odflash::discover::sanitize;
use odflash::family::DriveState;
use odflash::ops::hotplug::{Classification, Verdict};

/// How urgent a notice is, as the Desktop Notifications Specification's `urgency` hint
/// (<https://specifications.freedesktop.org/notification-spec/latest/urgency-levels.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// The drive works but its unit data needs repair.
    Normal,
    /// The drive is in its boot loader: it is unusable until reflashed.
    Critical,
}

impl Urgency {
    /// The hint's byte value (0 low, 1 normal, 2 critical).
    pub fn level(self) -> u8 {
        match self {
            Urgency::Normal => 1,
            Urgency::Critical => 2,
        }
    }
}

/// One desktop notification, as plain text (the sender escapes it for servers that render
/// markup).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The drive and its state: "HL-DT-ST BD-RE BU40N (/dev/sg3) is in recovery".
    pub summary: String,
    /// What that means, then the exact command to run next.
    pub body: String,
    /// How urgent it is.
    pub urgency: Urgency,
}

/// The notice for `c`, or `None` when there is nothing to do (healthy, identify-only, unknown
/// or not optical). The file's text is sanitized again: the directory may be given with
/// `--dir`, so its files need not come from the helper.
pub fn notice_for(c: &Classification) -> Option<Notice> {
    let drive = drive_name(c);
    let (summary, explanation, urgency) = match c.verdict {
        Verdict::Recovery => (
            format!("{drive} is in recovery"),
            "Its boot loader runs because the firmware failed its checks: it needs a reflash."
                .to_string(),
            Urgency::Critical,
        ),
        Verdict::NeedsAttention => (
            format!("{drive} needs attention"),
            match &c.state {
                Some(DriveState::NeedsAttention { reason }) => {
                    format!("Its firmware runs, but: {}.", sanitize(reason))
                }
                _ => "Its firmware runs, but its unit data is wrong.".to_string(),
            },
            Urgency::Normal,
        ),
        Verdict::Healthy | Verdict::IdentifyOnly | Verdict::Unknown | Verdict::NotOptical => {
            return None
        }
    };
    let body = match &c.next {
        Some(next) => format!("{explanation}\nNext: {}", sanitize(next)),
        None => explanation,
    };
    Some(Notice {
        summary,
        body,
        urgency,
    })
}

/// "vendor model (device)": the family's identity when it claimed the drive, else INQUIRY's.
fn drive_name(c: &Classification) -> String {
    let (vendor, model) = match &c.identity {
        Some(id) => (id.vendor.as_str(), id.model.as_str()),
        None => (c.inquiry.vendor.as_str(), c.inquiry.product.as_str()),
    };
    let name = format!("{} {}", sanitize(vendor), sanitize(model));
    format!("{} ({})", name.trim(), sanitize(&c.device))
}

#[cfg(test)]
mod tests {
    use super::*;
    use odflash::ops::hotplug::{InquirySummary, Priority};

    fn classification(verdict: Verdict, state: Option<DriveState>) -> Classification {
        Classification {
            device: "/dev/sg3".into(),
            time: "2024-05-01T10:00:00Z".into(),
            verdict,
            family: None,
            state,
            identity: None,
            inquiry: InquirySummary {
                peripheral_type: 5,
                vendor: "HL-DT-ST".into(),
                product: "BD-RE BU40N\u{1b}[2J".into(),
                revision: "1.03".into(),
            },
            bus: None,
            next: Some("sudo odflash rescue /dev/sg3".into()),
            message: String::new(),
            priority: Priority::Warning,
        }
    }

    #[test]
    fn recovery_is_critical_and_names_the_next_command() {
        let n = notice_for(&classification(
            Verdict::Recovery,
            Some(DriveState::Recovery),
        ))
        .unwrap();
        assert_eq!(n.urgency, Urgency::Critical);
        assert!(
            n.summary.contains("(/dev/sg3) is in recovery"),
            "{}",
            n.summary
        );
        assert!(!n.summary.contains('\u{1b}'), "{}", n.summary);
        assert!(
            n.body.ends_with("\nNext: sudo odflash rescue /dev/sg3"),
            "{}",
            n.body
        );
    }

    #[test]
    fn needs_attention_is_normal_and_says_why() {
        let state = DriveState::NeedsAttention {
            reason: "unit data checksum mismatch".into(),
        };
        let n = notice_for(&classification(Verdict::NeedsAttention, Some(state))).unwrap();
        assert_eq!(n.urgency, Urgency::Normal);
        assert!(n.summary.ends_with("needs attention"), "{}", n.summary);
        assert!(n.body.contains("unit data checksum mismatch"), "{}", n.body);
        assert!(
            n.body.contains("Next: sudo odflash rescue /dev/sg3"),
            "{}",
            n.body
        );
    }

    #[test]
    fn nothing_to_do_means_no_notice() {
        for verdict in [
            Verdict::Healthy,
            Verdict::IdentifyOnly,
            Verdict::Unknown,
            Verdict::NotOptical,
        ] {
            assert_eq!(
                notice_for(&classification(verdict, None)),
                None,
                "{verdict:?}"
            );
        }
    }

    #[test]
    fn urgency_levels_are_the_specification_bytes() {
        assert_eq!(Urgency::Normal.level(), 1);
        assert_eq!(Urgency::Critical.level(), 2);
    }
}
