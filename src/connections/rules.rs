//! What a connection's name and description may be (the seed "Qlik Cloud connection
//! properties"): names of 1 to 255 characters made of letters, digits, spaces and `_ . + -`;
//! descriptions of at most 4,000 characters.
//!
//! "Letters" are the ASCII letters: a name travels through shells, TOML keys, keyring account
//! names and `--connection` flags, where a name that looks the same but is spelt with other
//! code points (`ä` composed or not) would be a second, invisible name.

/// The longest name, in characters.
pub const MAX_NAME_CHARS: usize = 255;
/// The longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 4_000;

/// The rule, as every refusal states it.
pub const NAME_RULE: &str = "a connection name has 1 to 255 characters: ASCII letters, digits, \
                             spaces and _ . + - only, not starting or ending with a space";

/// `name` if it follows [`NAME_RULE`], else why not (the rule included).
pub fn check_name(name: &str) -> Result<&str, String> {
    let count = name.chars().count();
    let problem = if count == 0 {
        "it is empty".to_string()
    } else if count > MAX_NAME_CHARS {
        format!("it has {count} characters")
    } else if let Some(c) = name.chars().find(|c| !allowed_in_name(*c)) {
        format!("it holds {}", describe(c))
    } else if name.starts_with(' ') || name.ends_with(' ') {
        "it starts or ends with a space".to_string()
    } else {
        return Ok(name);
    };
    Err(format!("invalid connection name ({problem}): {NAME_RULE}"))
}

fn allowed_in_name(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '.' | '+' | '-')
}

/// A description if it is at most [`MAX_DESCRIPTION_CHARS`] characters of text (line breaks
/// and tabs allowed, other control characters not: `show` prints it to a terminal).
pub fn check_description(text: &str) -> Result<&str, String> {
    let count = text.chars().count();
    if count > MAX_DESCRIPTION_CHARS {
        return Err(format!(
            "the description has {count} characters: at most {MAX_DESCRIPTION_CHARS} are allowed"
        ));
    }
    if let Some(c) = text
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\t'))
    {
        return Err(format!(
            "the description holds {}: only text, line breaks and tabs are allowed",
            describe(c)
        ));
    }
    Ok(text)
}

/// A character as a message shows it: printable ones quoted, others by code point.
fn describe(c: char) -> String {
    if c.is_control() || c.is_whitespace() {
        format!("the character U+{:04X}", u32::from(c))
    } else {
        format!("{c:?} (U+{:04X})", u32::from(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_seed() {
        for good in ["prod", "Acme EU 1", "a_b.c+d-e", &"x".repeat(255), "7"] {
            assert_eq!(check_name(good), Ok(good));
        }
        for (bad, why) in [
            ("", "it is empty"),
            (&"x".repeat(256) as &str, "it has 256 characters"),
            ("a/b", "'/'"),
            ("ä", "'ä'"),
            ("tab\there", "U+0009"),
            (" lead", "starts or ends with a space"),
            ("a:b", "':'"),
        ] {
            let err = check_name(bad).unwrap_err();
            assert!(err.contains(why), "{bad:?}: {err}");
            assert!(err.contains(NAME_RULE), "{err}");
        }
    }

    #[test]
    fn descriptions_are_bounded_text() {
        assert!(check_description(&"d".repeat(4_000)).is_ok());
        assert!(check_description("two\nlines\tand a tab").is_ok());
        let err = check_description(&"d".repeat(4_001)).unwrap_err();
        assert!(err.contains("4001") && err.contains("4000"), "{err}");
        assert!(check_description("bell\u{7}")
            .unwrap_err()
            .contains("U+0007"));
    }
}
