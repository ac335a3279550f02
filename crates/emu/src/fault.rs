//! Fault plans: data (serde JSON) saying which command goes wrong and how. Shared by tests, the
//! CLI (`faults=FILE`) and the VM gadget. This module decides *whether* a fault fires; the drive
//! carries out the action.
//!
//! ```json
//! { "faults": [
//!     { "trigger": { "phase": "stream", "offset": 1048576 },
//!       "action": { "kind": "power-loss" } },
//!     { "trigger": { "opcode": 0 }, "action": { "kind": "sense", "key": 4, "asc": 68,
//!       "ascq": 0 }, "repeat": true }
//! ] }
//! ```

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::Error;
use odflash_files::input;

/// Largest fault plan file read: thousands of faults fit.
pub const MAX_PLAN_BYTES: usize = 1 << 20;

/// Where a flash write or read stands in the flashing story.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// WRITE BUFFER mode 1 (enter download).
    Prepare,
    /// WRITE BUFFER mode 6 chunks while downloading.
    Stream,
    /// Any command while the drive programs its flash.
    Burn,
    /// WRITE BUFFER mode 7 (commit trailer).
    Commit,
    /// READ BUFFER mode 6 after a burn completed (the host's read-back).
    Verify,
}

/// When a fault fires: every condition given must hold; at least one must be given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// The n-th command the drive receives (1-based, counted over the drive's whole life,
    /// across processes when a state file is used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<u64>,
    /// The command's opcode (CDB byte 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opcode: Option<u8>,
    /// A READ/WRITE BUFFER whose flash window contains this offset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u32>,
    /// The phase the command belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
}

/// What the drive does instead of (or to) the command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Action {
    /// No answer: the host's timeout expires (`TransportError::Timeout`); the command is lost.
    Timeout,
    /// Power is lost before the command runs: staged data vanishes, a burn stops half way, and
    /// the drive reboots (into its boot loader when the image no longer verifies). The host sees
    /// `TransportError::Gone`.
    PowerLoss,
    /// CHECK CONDITION with this sense instead of running the command.
    Sense {
        /// Sense key (low nibble).
        key: u8,
        /// Additional sense code.
        asc: u8,
        /// Additional sense code qualifier.
        ascq: u8,
    },
    /// The command runs but only the first `bytes` of its data phase move, and it still
    /// answers GOOD: the host sees `transferred` = `bytes` (a residual). A data-in reply is
    /// cut; a data-out command (a WRITE BUFFER chunk) reaches the drive as only those bytes,
    /// which it stages as it would a short USB transfer.
    ShortTransfer {
        /// Bytes that actually move.
        bytes: usize,
    },
    /// A USB-style reset: staged download data is lost and the command fails at host level
    /// (`TransportError::Host`, `DID_RESET`); the next command sees UNIT ATTENTION 06/29/00.
    Reset,
}

/// One fault: a trigger, an action, and whether it fires more than once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// When it fires.
    pub trigger: Trigger,
    /// What happens.
    pub action: Action,
    /// Fire on every matching command, not only the first.
    #[serde(default)]
    pub repeat: bool,
}

/// A list of faults; the first unfired match wins.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultPlan {
    /// The faults, in priority order.
    pub faults: Vec<Fault>,
}

/// What the drive knows about a command when it checks the plan.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context {
    /// 1-based command number.
    pub command: u64,
    /// CDB byte 0.
    pub opcode: u8,
    /// Flash window of a READ/WRITE BUFFER (start, length).
    pub window: Option<(u32, u32)>,
    /// The command's phase.
    pub phase: Option<Phase>,
}

impl Trigger {
    /// True when no condition is given.
    fn is_empty(&self) -> bool {
        self.command.is_none()
            && self.opcode.is_none()
            && self.offset.is_none()
            && self.phase.is_none()
    }

    fn matches(&self, ctx: &Context) -> bool {
        let any = !self.is_empty();
        let offset_ok = self.offset.map_or(true, |at| {
            ctx.window.is_some_and(|(start, len)| {
                at >= start && u64::from(at) < u64::from(start) + u64::from(len.max(1))
            })
        });
        any && self.command.map_or(true, |n| n == ctx.command)
            && self.opcode.map_or(true, |o| o == ctx.opcode)
            && self.phase.map_or(true, |p| Some(p) == ctx.phase)
            && offset_ok
    }
}

impl FaultPlan {
    /// Parse a plan from JSON text; see [`FaultPlan::check`].
    pub fn parse_json(text: &str) -> Result<FaultPlan, Error> {
        let plan: FaultPlan =
            serde_json::from_str(text).map_err(|e| Error::FaultPlan(e.to_string()))?;
        plan.check()?;
        Ok(plan)
    }

    /// Refuse a fault whose trigger names no condition: it would never fire, and the test
    /// relying on it would pass without its fault.
    pub fn check(&self) -> Result<(), Error> {
        match self.faults.iter().position(|f| f.trigger.is_empty()) {
            Some(i) => Err(Error::FaultPlan(format!(
                "fault {} has an empty trigger: give command, opcode, offset or phase",
                i + 1
            ))),
            None => Ok(()),
        }
    }

    /// Read a plan from a JSON file.
    pub fn load(path: &Path) -> Result<FaultPlan, Error> {
        Self::parse_json(&input::read_input_text(path, MAX_PLAN_BYTES, "fault plan")?)
    }
}

/// A plan and which of its faults have fired.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Progress {
    pub plan: FaultPlan,
    pub fired: Vec<bool>,
}

impl Progress {
    pub(crate) fn new(plan: FaultPlan) -> Progress {
        let fired = vec![false; plan.faults.len()];
        Progress { plan, fired }
    }

    /// The action of the first fault that fires for `ctx`, marking it fired.
    pub(crate) fn check(&mut self, ctx: &Context) -> Option<Action> {
        let index = self
            .plan
            .faults
            .iter()
            .enumerate()
            .position(|(i, f)| (f.repeat || !self.fired[i]) && f.trigger.matches(ctx))?;
        self.fired[index] = true;
        Some(self.plan.faults[index].action.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(command: u64, opcode: u8, window: Option<(u32, u32)>, phase: Option<Phase>) -> Context {
        Context {
            command,
            opcode,
            window,
            phase,
        }
    }

    #[test]
    fn json_round_trip_and_once() {
        let plan = FaultPlan::parse_json(
            r#"{"faults":[{"trigger":{"phase":"stream","offset":1048576},
                 "action":{"kind":"power-loss"}}]}"#,
        )
        .unwrap();
        let text = serde_json::to_string(&plan).unwrap();
        assert_eq!(FaultPlan::parse_json(&text).unwrap(), plan);
        let mut p = Progress::new(plan);
        let stream = Some(Phase::Stream);
        assert_eq!(p.check(&ctx(1, 0x3B, Some((0, 0x4000)), stream)), None);
        assert_eq!(
            p.check(&ctx(2, 0x3B, Some((0x10_0000, 0x4000)), stream)),
            Some(Action::PowerLoss)
        );
        assert_eq!(
            p.check(&ctx(3, 0x3B, Some((0x10_0000, 0x4000)), stream)),
            None
        );
    }

    #[test]
    fn repeat_and_conjunction() {
        let mut p = Progress::new(FaultPlan {
            faults: vec![Fault {
                trigger: Trigger {
                    opcode: Some(0),
                    command: None,
                    offset: None,
                    phase: None,
                },
                action: Action::Sense {
                    key: 4,
                    asc: 0x44,
                    ascq: 0,
                },
                repeat: true,
            }],
        });
        assert!(p.check(&ctx(1, 0, None, None)).is_some());
        assert!(p.check(&ctx(2, 0, None, None)).is_some());
        assert!(p.check(&ctx(3, 0x12, None, None)).is_none());
    }

    #[test]
    fn empty_triggers_and_unknown_fields_are_refused() {
        let empty = FaultPlan::parse_json(
            r#"{"faults":[{"trigger":{"opcode":0},"action":{"kind":"reset"}},
                 {"trigger":{},"action":{"kind":"timeout"}}]}"#,
        );
        match empty {
            Err(Error::FaultPlan(why)) => assert!(why.contains("fault 2 has an empty trigger")),
            other => panic!("unexpected {other:?}"),
        }
        assert!(FaultPlan::parse_json(
            r#"{"faults":[{"trigger":{"nth":1},"action":{"kind":"reset"}}]}"#
        )
        .is_err());
    }
}
