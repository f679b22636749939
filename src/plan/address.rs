//! Resource addresses taken apart: `module.a["k.x"].data.aws_ami.b[0]` has
//! the resource type `aws_ami`. A plan's `type` field is only a claim; the
//! address is what every rendering shows, so risk reads both. Nothing here
//! allocates for a well-formed address.

/// The resource type named by an address, or `None` when the address is
/// not of the form `[module.NAME[KEY].]…[data.|ephemeral.]TYPE.NAME[KEY]`.
pub fn resource_type_of(address: &str) -> Option<&str> {
    let mut segments = Segments { rest: address };
    let mut first = segments.next()?;
    // Module steps: `module`, then the call name with an optional key.
    while first.name == "module" && first.key.is_none() {
        segments.next()?;
        first = segments.next()?;
    }
    if matches!(first.name, "data" | "ephemeral") && first.key.is_none() {
        first = segments.next()?;
    }
    let name = segments.next()?;
    let well_formed = first.key.is_none()
        && !first.name.is_empty()
        && !name.name.is_empty()
        && segments.next().is_none()
        && segments.rest.is_empty();
    well_formed.then_some(first.name)
}

/// One dot-separated step: a name and its optional `[key]`.
struct Segment<'a> {
    name: &'a str,
    key: Option<&'a str>,
}

struct Segments<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Segments<'a> {
    type Item = Segment<'a>;

    /// The next step; `None` at the end or at a malformed key (then
    /// `rest` is left non-empty, so the caller can tell).
    fn next(&mut self) -> Option<Segment<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        let text = self.rest;
        let name_end = text.find(['.', '[']).unwrap_or(text.len());
        let name = &text[..name_end];
        let (key, end) = if text[name_end..].starts_with('[') {
            let close = key_end(&text[name_end..])?;
            (
                Some(&text[name_end + 1..name_end + close]),
                name_end + close + 1,
            )
        } else {
            (None, name_end)
        };
        match text[end..].strip_prefix('.') {
            Some(after) if !after.is_empty() => self.rest = after,
            Some(_) => return None,
            None if end == text.len() => self.rest = "",
            None => return None,
        }
        Some(Segment { name, key })
    }
}

/// The offset of the `]` closing the key that `text` starts with (`[`),
/// skipping quoted strings with their escapes.
fn key_end(text: &str) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            ']' if !in_string => return Some(i),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::resource_type_of;

    #[test]
    fn types_are_read_through_modules_keys_and_data() {
        let cases = [
            ("aws_db_instance.main", Some("aws_db_instance")),
            ("aws_db_instance.main[0]", Some("aws_db_instance")),
            ("data.aws_ami.ubuntu", Some("aws_ami")),
            ("module.db.aws_db_instance.main", Some("aws_db_instance")),
            (
                "module.a[\"k.x]\"].module.b[2].data.aws_ami.b[\"x.y\"]",
                Some("aws_ami"),
            ),
            (
                "module.a[\"say \\\"hi]\\\"\"].null_resource.x",
                Some("null_resource"),
            ),
            ("aws_instance", None),
            ("module.db", None),
            ("aws_instance.a.b", None),
            ("aws_instance.a[0", None),
            ("aws_instance.a[0]x", None),
            ("aws_instance.", None),
            ("aws_instance[0].a", None),
            ("", None),
        ];
        for (address, expected) in cases {
            assert_eq!(resource_type_of(address), expected, "{address}");
        }
    }
}
