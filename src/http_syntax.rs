//! HTTP's grammar for header fields, as Go's server enforces it: names are tokens, values
//! carry no control characters, and optional whitespace around a value is not part of it.

/// RFC 7230 `tchar`, as a table (this runs over every header name of every request).
const TCHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        b += 1;
    }
    t
};

/// Whether `s` is a non-empty RFC 7230 token (a valid header name).
pub(crate) fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| TCHAR[b as usize])
}

/// Bytes Go's HTTP server refuses in a field value: controls other than HTAB, and DEL.
pub(crate) fn is_forbidden_value_byte(b: u8) -> bool {
    (b < 0x20) & (b != b'\t') | (b == 0x7f)
}

/// Whether a value holds a byte Go's server refuses. Branch-free, so it vectorizes.
pub(crate) fn has_forbidden_value_byte(value: &[u8]) -> bool {
    value
        .iter()
        .fold(false, |bad, &b| bad | is_forbidden_value_byte(b))
}

/// Strips leading and trailing SP/HTAB, as Go's header parser does (spec §1.2 rule 5).
pub(crate) fn trim_ows(v: &[u8]) -> &[u8] {
    let start = v
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(start, |e| e + 1);
    &v[start..end]
}

/// Whether `name` starts with `lower_prefix` (already lowercase), ASCII case-insensitively.
pub(crate) fn has_prefix_ignore_case(name: &[u8], lower_prefix: &[u8]) -> bool {
    name.len() >= lower_prefix.len()
        && name[..lower_prefix.len()].eq_ignore_ascii_case(lower_prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_rfc7230_tchars_and_never_empty() {
        assert!(is_token(b"X-Remote-User"));
        assert!(is_token(b"!#$%&'*+-.^_`|~09azAZ"));
        for bad in [&b""[..], b"X Remote", b"X:Y", b"X\"", b"\xc3\xa9", b"(x)"] {
            assert!(!is_token(bad), "{bad:?}");
        }
    }

    #[test]
    fn values_refuse_controls_but_htab() {
        assert!(!has_forbidden_value_byte(b"a\tb \xff"));
        for bad in [&b"a\rb"[..], b"\x00", b"\x7f", b"x\n"] {
            assert!(has_forbidden_value_byte(bad), "{bad:?}");
        }
    }

    #[test]
    fn ows_is_space_and_tab_only() {
        assert_eq!(trim_ows(b" \t a b \t"), b"a b");
        assert_eq!(trim_ows(b"   "), b"");
        assert_eq!(trim_ows(b"\x0ba\x0b"), b"\x0ba\x0b");
    }
}
