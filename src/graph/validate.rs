//! Local validation helpers shared by every platform's request builders.
//!
//! Each returns the [`ValidationError`] a send fails with before any request is made.

use super::error::{ValidationError, Violation};

/// The number of Unicode scalar values in `text`: Meta counts characters, not bytes.
pub(crate) fn chars(text: &str) -> usize {
    text.chars().count()
}

/// `text` has at most `max` characters.
pub(crate) fn max_chars(field: &'static str, text: &str, max: usize) -> Result<(), ValidationError> {
    // Byte length bounds the character count from above: short texts need no count.
    if text.len() <= max {
        return Ok(());
    }
    let actual = chars(text);
    if actual > max {
        return Err(ValidationError::new(field, Violation::TooLong { max, actual }));
    }
    Ok(())
}

/// `text` has something besides white space.
pub(crate) fn not_empty(field: &'static str, text: &str) -> Result<(), ValidationError> {
    if text.trim().is_empty() { Err(ValidationError::new(field, Violation::Missing)) } else { Ok(()) }
}

/// A list has at most `max` items.
pub(crate) fn max_items(field: &'static str, actual: usize, max: usize) -> Result<(), ValidationError> {
    if actual > max { Err(ValidationError::new(field, Violation::TooMany { max, actual })) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_characters_not_bytes() {
        assert!(max_chars("f", "ééé", 3).is_ok());
        let err = max_chars("f", "éééé", 3).unwrap_err();
        assert_eq!(err.violation(), &Violation::TooLong { max: 3, actual: 4 });
        assert!(not_empty("f", " \n").is_err());
        assert!(max_items("f", 11, 10).is_err());
        assert!(max_items("f", 10, 10).is_ok());
    }
}
