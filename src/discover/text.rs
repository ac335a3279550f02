//! Sanitizing device-provided strings (INQUIRY fields from sysfs, USB strings, udev properties)
//! before anything prints or logs them: a drive or bridge must not be able to move the cursor,
//! recolour the terminal, reorder text or forge log lines.
//!
//! Pure string code; no I/O.

/// Make a device-provided string safe to print and log.
///
/// Removes ANSI escape sequences (CSI `ESC [ ... final`, OSC `ESC ] ... BEL|ESC \`, and two-byte
/// `ESC x`), every other control character (C0, DEL, C1; a tab becomes a space), and invisible
/// Unicode format characters (zero-width and bidirectional controls), then trims surrounding
/// whitespace. Inner spacing is kept, as drives pad INQUIRY fields with it.
pub fn sanitize(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                Some('[') => skip_csi(&mut chars),
                Some(']') => skip_osc(&mut chars),
                _ => {}
            },
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' => skip_osc(&mut chars),
            '\t' => out.push(' '),
            c if c.is_control() || is_invisible_format(c) => {}
            c => out.push(c),
        }
    }
    out.trim().to_owned()
}

/// Skip a CSI sequence's parameter and intermediate bytes up to and including its final byte.
fn skip_csi(chars: &mut impl Iterator<Item = char>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            break;
        }
    }
}

/// Skip an OSC string up to and including BEL or ST (`ESC \`).
fn skip_osc(chars: &mut std::iter::Peekable<impl Iterator<Item = char>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => break,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                break;
            }
            _ => {}
        }
    }
}

/// Zero-width and bidirectional formatting characters (Unicode category Cf that renders as
/// nothing but changes how surrounding text displays).
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// Restrict a udev property value to `[A-Za-z0-9._:-]`, replacing anything else with `_`, so
/// the `KEY=value` lines `IMPORT{program}` parses cannot be split or quoted.
pub(crate) fn udev_value(raw: &str) -> String {
    raw.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_inquiry_strings_keep_inner_spaces() {
        assert_eq!(sanitize("BD-RE  BU40N    \n"), "BD-RE  BU40N");
        assert_eq!(sanitize("HL-DT-ST"), "HL-DT-ST");
    }

    #[test]
    fn escape_sequences_are_removed_whole() {
        assert_eq!(sanitize("A\x1b[2J\x1b[1;31mB"), "AB");
        assert_eq!(sanitize("A\x1b]0;title\x07B"), "AB");
        assert_eq!(sanitize("A\x1b]8;;http://x\x1b\\B"), "AB");
        assert_eq!(sanitize("A\u{9b}31mB"), "AB");
        assert_eq!(sanitize("A\x1bcB"), "AB");
    }

    #[test]
    fn control_and_format_characters_are_removed() {
        assert_eq!(sanitize("a\rb\nc\x00d\x7fe\u{85}f"), "abcdef");
        assert_eq!(sanitize("x\ty"), "x y");
        assert_eq!(sanitize("ok\u{202e}gnp.exe\u{200b}"), "okgnp.exe");
        assert_eq!(sanitize("\x1b["), "");
    }

    #[test]
    fn udev_values_are_restricted() {
        assert_eq!(udev_value("0e8d:1956"), "0e8d:1956");
        assert_eq!(udev_value("a b\"c\n=d"), "a_b_c__d");
    }
}
