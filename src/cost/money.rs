//! Display of monthly amounts: `+$12.34/mo`, `-5.00 EUR/mo`.

use super::CostRange;

/// Formats a monthly delta with an explicit sign: `+$12.34/mo`, `-$5.00/mo`,
/// `$0.00/mo` for USD, `+12.34 EUR/mo` otherwise. Same as [`format_delta`].
pub fn format_money(amount: f64, currency: &str) -> String {
    format_delta(amount, currency)
}

/// Formats a monthly delta with an explicit sign (`+$1,234.50/mo`); an
/// amount that rounds to zero cents has no sign.
pub fn format_delta(amount: f64, currency: &str) -> String {
    format_with_sign(amount, currency, "+")
}

/// Formats a monthly amount (a total): `$1,234.50/mo`, `-$5.00/mo`.
pub fn format_amount(amount: f64, currency: &str) -> String {
    format_with_sign(amount, currency, "")
}

/// Formats a delta range: `+$10.00/mo to +$25.50/mo`, or one figure when
/// the bounds round to the same cents.
pub fn format_delta_range(range: CostRange, currency: &str) -> String {
    let (min, max) = (
        format_delta(range.min, currency),
        format_delta(range.max, currency),
    );
    if min == max {
        min
    } else {
        format!("{min} to {max}")
    }
}

fn format_with_sign(amount: f64, currency: &str, plus: &str) -> String {
    if !amount.is_finite() {
        return "n/a".to_string();
    }
    let cents = format!("{:.2}", amount.abs());
    let sign = if cents == "0.00" {
        ""
    } else if amount < 0.0 {
        "-"
    } else {
        plus
    };
    let number = group_thousands(&cents);
    if currency.eq_ignore_ascii_case("USD") {
        format!("{sign}${number}/mo")
    } else if currency.is_empty() {
        format!("{sign}{number}/mo")
    } else {
        format!("{sign}{number} {currency}/mo")
    }
}

/// `1234567.89` → `1,234,567.89`, `12345` → `12,345` (input: ASCII digits,
/// optionally a dot and decimals).
pub(crate) fn group_thousands(fixed: &str) -> String {
    let (int, frac) = fixed.split_once('.').unwrap_or((fixed, ""));
    let mut grouped = String::with_capacity(fixed.len() + int.len() / 3);
    for (i, digit) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if !frac.is_empty() {
        grouped.push('.');
        grouped.push_str(frac);
    }
    grouped
}
