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

/// Whether `s` is a non-empty RFC 7230 token (a valid header name). Branch-free over the
/// bytes: header names are short, and every line of every request goes through here.
pub(crate) fn is_token(s: &[u8]) -> bool {
    let t = |b: u8| TCHAR[b as usize] as u8;
    let mut ok = 1u8;
    let mut chunks = s.chunks_exact(4);
    for c in &mut chunks {
        ok &= t(c[0]) & t(c[1]) & t(c[2]) & t(c[3]);
    }
    for &b in chunks.remainder() {
        ok &= t(b);
    }
    !s.is_empty() && ok == 1
}

/// Bytes Go's HTTP server refuses in a field value: controls other than HTAB, and DEL.
pub(crate) fn is_forbidden_value_byte(b: u8) -> bool {
    (b < 0x20) & (b != b'\t') | (b == 0x7f)
}

/// Whether a value holds a byte Go's server refuses: eight bytes at a time (SWAR), without a
/// branch per byte. Controls and DEL are found first; only a value that has one (HTAB, which
/// is allowed, or a real offender) is looked at byte by byte.
#[inline]
pub(crate) fn has_forbidden_value_byte(value: &[u8]) -> bool {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const fn splat(b: u8) -> u64 {
        0x0101_0101_0101_0101 * b as u64
    }
    // High bit set in each byte below 0x20 or equal to 0x7f: for such a byte, (b + 1) & 0x7f
    // is below 0x21 (bytes of 0x80 and above never count).
    let control_or_del = |x: u64| {
        let shifted = ((x & LOW7) + splat(1)) & LOW7;
        !(shifted + splat(0x5f)) & !x & HIGH
    };
    let mut found = 0;
    let mut words = value.chunks_exact(8);
    for w in &mut words {
        found |= control_or_del(u64::from_le_bytes(w.try_into().unwrap_or([0; 8])));
    }
    // The tail, shifted into a word padded with spaces (which are allowed).
    let tail = words
        .remainder()
        .iter()
        .rev()
        .fold(splat(b' '), |w, &b| (w << 8) | u64::from(b));
    found |= control_or_del(tail);
    found != 0 && value.iter().any(|&b| is_forbidden_value_byte(b))
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

/// A header name (or name prefix) to match ASCII case-insensitively, compiled for speed: the
/// lowercase bytes, and a mask with 0x20 where the byte is a letter. A received byte `b`
/// matches pattern byte `p` exactly when `b | mask == p`: for a letter that admits both cases,
/// for anything else only `p` itself. Eight bytes are compared at a time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FoldedName {
    lower: Box<[u8]>,
    mask: Box<[u8]>,
}

impl FoldedName {
    pub(crate) fn new(name: &[u8]) -> FoldedName {
        let lower: Box<[u8]> = name.to_ascii_lowercase().into();
        let mask = lower
            .iter()
            .map(|b| if b.is_ascii_lowercase() { 0x20 } else { 0 })
            .collect();
        FoldedName { lower, mask }
    }

    /// The lowercase name.
    pub(crate) fn lower(&self) -> &[u8] {
        &self.lower
    }

    pub(crate) fn len(&self) -> usize {
        self.lower.len()
    }

    /// Whether `name` is this name, ASCII case-insensitively.
    pub(crate) fn matches(&self, name: &[u8]) -> bool {
        name.len() == self.lower.len() && self.folds_to(name)
    }

    /// Whether `name` starts with this name, ASCII case-insensitively.
    pub(crate) fn is_prefix_of(&self, name: &[u8]) -> bool {
        name.len() >= self.lower.len() && self.folds_to(&name[..self.lower.len()])
    }

    /// `received` has this name's length. Names of 8 bytes and more are compared a word at a
    /// time, the last word overlapping the one before (comparing a byte twice is harmless).
    #[inline]
    fn folds_to(&self, received: &[u8]) -> bool {
        let n = received.len();
        if n < 8 {
            return received
                .iter()
                .zip(self.mask.iter().zip(self.lower.iter()))
                .all(|(&b, (&m, &p))| b | m == p);
        }
        let word =
            |s: &[u8], i: usize| u64::from_le_bytes(s[i..i + 8].try_into().unwrap_or([0; 8]));
        let differs = |i: usize| word(received, i) | word(&self.mask, i) != word(&self.lower, i);
        let mut i = 0;
        while i + 8 < n {
            if differs(i) {
                return false;
            }
            i += 8;
        }
        !differs(n - 8)
    }
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
        // Every byte, at every position of a word and of the tail, against the byte rule.
        for b in 0..=255u8 {
            for len in [1usize, 7, 8, 9, 16, 21] {
                for at in 0..len {
                    let mut v = vec![b'a'; len];
                    v[at] = b;
                    assert_eq!(
                        has_forbidden_value_byte(&v),
                        is_forbidden_value_byte(b),
                        "byte {b:#04x} at {at} of {len}"
                    );
                }
            }
        }
    }

    #[test]
    fn folded_names_match_exactly_the_ascii_case_variants() {
        let name = FoldedName::new(b"X-Remote-Extra-");
        assert!(name.matches(b"x-remote-extra-"));
        assert!(name.matches(b"X-REMOTE-EXTRA-"));
        assert!(name.is_prefix_of(b"X-Remote-Extra-Scopes"));
        assert!(!name.is_prefix_of(b"X-Remote-Extra"));
        // 0x20 folds letters only: '-' (0x2d) is not '\r' (0x0d), '[' is not '{'.
        assert!(!name.matches(b"X\rRemote\rExtra\r"));
        assert!(!FoldedName::new(b"a[b").matches(b"a{b"));
        assert!(!FoldedName::new(b"a{b").matches(b"a[b"));
        // Every byte value against every letter and non-letter, the long path included.
        for p in [b'a', b'z', b'-', b'0', b'@', b'`', b'[', b'{'] {
            let pattern = FoldedName::new(&[p; 11]);
            for b in 0..=255u8 {
                let expect = b.eq_ignore_ascii_case(&p);
                assert_eq!(pattern.matches(&[b; 11]), expect, "{p} vs {b}");
                let mut one = [p; 11];
                one[9] = b;
                assert_eq!(pattern.matches(&one), expect, "{p} vs {b} at 9");
            }
        }
        assert!(FoldedName::new(b"").matches(b""));
        assert!(FoldedName::new(b"").is_prefix_of(b"anything"));
    }

    #[test]
    fn ows_is_space_and_tab_only() {
        assert_eq!(trim_ows(b" \t a b \t"), b"a b");
        assert_eq!(trim_ows(b"   "), b"");
        assert_eq!(trim_ows(b"\x0ba\x0b"), b"\x0ba\x0b");
    }
}
