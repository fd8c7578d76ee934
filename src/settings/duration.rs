//! The contract's DURATION: `300`, `90s`, `5m`, `1h`, at most a day.

use std::time::Duration;

/// Parses a DURATION. The error says what is wrong, for clap or for a variable's message.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let not_a_duration = || format!("`{text}` is not a duration; use e.g. 300, 90s, 5m or 1h");
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return Err(not_a_duration()),
    };
    let value: u64 = digits.parse().map_err(|_| not_a_duration())?;
    let seconds = value
        .checked_mul(scale)
        .filter(|s| *s <= 86_400)
        .ok_or_else(|| format!("`{text}` is longer than a day, the longest a token can live"))?;
    Ok(Duration::from_secs(seconds))
}

/// A DURATION of at least a second.
pub(crate) fn parse_timeout(text: &str) -> Result<Duration, String> {
    let duration = parse_duration(text)?;
    if duration.is_zero() {
        return Err("the timeout must be at least one second".into());
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_accept_the_contract_forms() {
        assert_eq!(parse_duration("300"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
    }

    #[test]
    fn durations_reject_everything_else() {
        for bad in [
            "",
            "m",
            "5 m",
            "-5",
            "1.5h",
            "5d",
            "5min",
            "25h",
            "86401",
            "99999999999999999999",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(parse_timeout("0").is_err());
        assert_eq!(parse_timeout("1"), Ok(Duration::from_secs(1)));
    }
}
