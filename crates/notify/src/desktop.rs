//! The desktop's notification server: org.freedesktop.Notifications on the session bus
//! (Desktop Notifications Specification,
//! <https://specifications.freedesktop.org/notification-spec/latest/protocol.html>).
//!
//! [`Desktop`] connects when it first has something to show, and again after any failure (no
//! session bus yet, no server owning the name, a server that restarted), so a notifier started
//! before the desktop's server simply delivers later. Every call is bounded by
//! [`CALL_TIMEOUT`]: a hung server cannot stop the watch.

use std::collections::HashMap;
use std::time::Duration;

use zbus::zvariant::Value;

use crate::announce::{NoticeId, Notifier};
use crate::error::Error;
use crate::notice::Notice;

/// How long one call to the server may take before it counts as failed.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// The application name servers show (and group notices by).
const APP_NAME: &str = "odflash";
/// A freedesktop Icon Naming Specification name every icon theme has.
const APP_ICON: &str = "drive-optical";
/// The specification's category for device notices.
const CATEGORY: &str = "device";
/// Let the server choose how long a notice stays (critical ones stay until dismissed).
const SERVER_DEFAULT_TIMEOUT: i32 = -1;

/// The part of org.freedesktop.Notifications the notifier uses.
#[zbus::proxy(
    interface = "org.freedesktop.Notifications",
    default_service = "org.freedesktop.Notifications",
    default_path = "/org/freedesktop/Notifications",
    gen_async = false,
    blocking_name = "NotificationsProxy"
)]
trait Notifications {
    /// Show a notice (or replace the one with id `replaces_id`, when not 0); its id.
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: &str,
        replaces_id: u32,
        app_icon: &str,
        summary: &str,
        body: &str,
        actions: &[&str],
        hints: HashMap<&str, Value<'_>>,
        expire_timeout: i32,
    ) -> zbus::Result<u32>;

    /// Take a notice away.
    fn close_notification(&self, id: u32) -> zbus::Result<()>;

    /// What the server supports ("body-markup", ...).
    fn get_capabilities(&self) -> zbus::Result<Vec<String>>;
}

/// Whether the server renders markup in the body, so text must be escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyMarkup {
    Rendered,
    Plain,
}

/// A live connection to the server.
struct Session {
    proxy: NotificationsProxy<'static>,
    markup: BodyMarkup,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("markup", &self.markup)
            .finish_non_exhaustive()
    }
}

/// The session bus's notification server, connected on demand.
#[derive(Debug, Default)]
pub struct Desktop {
    session: Option<Session>,
}

impl Desktop {
    /// The session, connecting first when there is none.
    fn session(&mut self) -> Result<&Session, Error> {
        if self.session.is_none() {
            let connection = zbus::blocking::connection::Builder::session()?
                .method_timeout(CALL_TIMEOUT)
                .build()?;
            let proxy = NotificationsProxy::new(&connection)?;
            let markup = if proxy.get_capabilities()?.iter().any(|c| c == "body-markup") {
                BodyMarkup::Rendered
            } else {
                BodyMarkup::Plain
            };
            log::debug!("connected to the notification server (body markup: {markup:?})");
            self.session = Some(Session { proxy, markup });
        }
        Ok(self.session.as_ref().expect("connected above"))
    }
}

impl Notifier for Desktop {
    fn show(&mut self, notice: &Notice, replaces: Option<NoticeId>) -> Result<NoticeId, Error> {
        let result = self.session().and_then(|session| {
            let body = match session.markup {
                BodyMarkup::Rendered => escape_markup(&notice.body),
                BodyMarkup::Plain => notice.body.clone(),
            };
            let hints = HashMap::from([
                ("urgency", Value::U8(notice.urgency.level())),
                ("category", Value::from(CATEGORY)),
            ]);
            let id = session.proxy.notify(
                APP_NAME,
                replaces.map_or(0, |id| id.0),
                APP_ICON,
                &notice.summary,
                &body,
                &[],
                hints,
                SERVER_DEFAULT_TIMEOUT,
            )?;
            Ok(NoticeId(id))
        });
        if result.is_err() {
            // Reconnect next time: the bus or the server may be back by then.
            self.session = None;
        }
        result
    }

    fn withdraw(&mut self, id: NoticeId) {
        let result = self
            .session()
            .and_then(|s| Ok(s.proxy.close_notification(id.0)?));
        if let Err(e) = result {
            log::debug!("could not close notice {}: {e}", id.0);
            self.session = None;
        }
    }
}

/// Escape the characters the specification's body markup gives a meaning (a subset of XML).
fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_are_escaped() {
        assert_eq!(
            escape_markup("odflash rescue 'a<b>&c'"),
            "odflash rescue 'a&lt;b&gt;&amp;c'"
        );
        assert_eq!(
            escape_markup("sudo odflash rescue /dev/sg3"),
            "sudo odflash rescue /dev/sg3"
        );
    }
}
