//! Byte checks eight bytes at a time (SWAR: one `u64` holds eight bytes,
//! and arithmetic on it answers a question for each of them). The lines
//! reader validates every byte of every line and the matcher looks at
//! every path; these keep that cost near the cost of reading the bytes.
//!
//! Each check is exact for every byte whatever its neighbours, and each has
//! a byte-at-a-time twin in the tests that it is compared with.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The first eight bytes of `c` as a little-endian `u64` (`c` has at
/// least eight).
#[inline(always)]
pub(crate) fn word(c: &[u8]) -> u64 {
    // One bounds check and one load (indexing each byte checks each).
    c.first_chunk::<8>().map_or(0, |a| u64::from_le_bytes(*a))
}

/// The first eight bytes of `bytes` as a little-endian `u64`, zero-padded
/// when it has fewer.
#[inline]
pub(crate) fn word_padded(bytes: &[u8]) -> u64 {
    match bytes.first_chunk::<8>() {
        Some(w) => u64::from_le_bytes(*w),
        None => {
            let mut w = [0u8; 8];
            w[..bytes.len()].copy_from_slice(bytes);
            u64::from_le_bytes(w)
        }
    }
}

/// `bytes` as text when every byte is printable ASCII (0x20–0x7F), as
/// most lines are; `None` otherwise.
#[inline]
pub(crate) fn plain_ascii(bytes: &[u8]) -> Option<&str> {
    // A byte below 0x20 borrows into its high bit when 0x20 is subtracted;
    // a byte of 0x80 or more has it set already.
    let odd = |w: u64| (w | (w.wrapping_sub(ONES * 0x20) & !w)) & HIGH;
    if any_word(bytes, odd, |b| !(0x20..0x80).contains(&b)) {
        return None;
    }
    // SAFETY: every byte is below 0x80: ASCII, which is valid UTF-8. This
    // saves `from_utf8`'s second pass on the hot path.
    Some(unsafe { std::str::from_utf8_unchecked(bytes) })
}

/// Whether any byte is a control character (0x00–0x1F).
#[inline]
pub(crate) fn has_control(bytes: &[u8]) -> bool {
    // A byte below 0x20 borrows into its high bit when 0x20 is subtracted,
    // unless that bit was set already (bytes of 0x80 and up).
    let below_space = |w: u64| w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    any_word(bytes, below_space, |b| b < 0x20)
}

/// Whether `test` holds for any eight bytes of `bytes` (read as a
/// little-endian `u64`), or `byte` for any byte of a slice shorter than 8.
/// `test` must be exact for any byte, whatever its neighbours. Lines are
/// short: every word is tested, with one branch at the end.
#[inline(always)]
fn any_word(bytes: &[u8], test: impl Fn(u64) -> u64, byte: impl Fn(u8) -> bool) -> bool {
    let n = bytes.len();
    if n < 8 {
        return bytes.iter().any(|&b| byte(b));
    }
    let (words, _) = bytes.as_chunks::<8>();
    let found = words
        .iter()
        .fold(0, |found, w| found | test(u64::from_le_bytes(*w)));
    // The last (overlapping) eight bytes cover the remainder.
    found | test(word(&bytes[n - 8..])) != 0
}

/// The index of the first `byte` in `bytes`, if any: for the short
/// haystacks of a path (a container name, a segment), where a call to
/// `memchr` costs more than the search.
#[inline]
pub(crate) fn find_byte(bytes: &[u8], byte: u8) -> Option<usize> {
    let mut i = 0;
    while i + 8 <= bytes.len() {
        let x = word(&bytes[i..]) ^ (ONES * u64::from(byte));
        // The lowest zero byte of x (a match) sets its high bit here first.
        let zero = x.wrapping_sub(ONES) & !x & HIGH;
        if zero != 0 {
            return Some(i + (zero.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    bytes[i..].iter().position(|&b| b == byte).map(|k| i + k)
}

/// The length of the common prefix of `a` and `b`, eight bytes at a time.
#[inline]
pub(crate) fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 8 <= n {
        let d = word(&a[i..]) ^ word(&b[i..]);
        if d != 0 {
            return i + (d.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

/// `a` compared with `b` in byte order (as `a.cmp(b)`), eight bytes at a
/// time: for the short keys of paths, where a call to `memcmp` costs more
/// than the comparison.
#[inline]
pub(crate) fn compare(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let k = common_prefix(a, b);
    match (a.get(k), b.get(k)) {
        (Some(x), Some(y)) => x.cmp(y),
        _ => a.len().cmp(&b.len()),
    }
}

/// The index of every `\n` in a buffer, in order (see
/// [`line_ends`](crate::listing::lines::line_ends)). Inside the crate,
/// `next_line` also tells whether the line before each newline is plain:
/// printable ASCII (0x20–0x7F) only, found from the same blocks.
#[derive(Clone, Debug)]
pub struct LineEnds<'a> {
    bytes: &'a [u8],
    /// Where the 64-byte block of `mask` begins.
    base: usize,
    /// Bit `k`: byte `base + k` is a newline not yet returned.
    mask: u64,
    /// Bit `k`: byte `base + k` may not be printable ASCII (a control
    /// character but `\n`, or 0x80 and up; every bit, where unknown).
    odd: u64,
    /// The bits of this block from the current line's start on.
    from: u64,
    /// Whether the current line has an odd byte in an earlier block.
    odd_before: bool,
}

impl<'a> LineEnds<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> LineEnds<'a> {
        let (mask, odd) = newlines(bytes);
        LineEnds {
            bytes,
            base: 0,
            mask,
            odd,
            from: !0,
            odd_before: false,
        }
    }

    /// The index of the next `\n`, and whether the bytes from the end of
    /// the line before (or the start) up to it are all printable ASCII
    /// (`false` may also mean "not known": the last bytes of a buffer, or a
    /// processor without SSE2, are not classified).
    #[inline]
    pub(crate) fn next_line(&mut self) -> Option<(usize, bool)> {
        while self.mask == 0 {
            self.odd_before |= self.odd & self.from != 0;
            self.base += 64;
            let rest = self.bytes.get(self.base..).filter(|r| !r.is_empty())?;
            (self.mask, self.odd) = newlines(rest);
            self.from = !0;
        }
        let k = self.mask.trailing_zeros();
        let before = (1u64 << k) - 1;
        let plain = !self.odd_before && self.odd & self.from & before == 0;
        self.mask &= self.mask - 1;
        // The next line begins after bit k (none of this block for k = 63).
        self.from = !before << 1;
        self.odd_before = false;
        Some((self.base + k as usize, plain))
    }
}

impl Iterator for LineEnds<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        self.next_line().map(|(end, _)| end)
    }
}

/// For the first 64 bytes: bit `k` set when `bytes[k]` is `\n`, and bit
/// `k` of the second mask when it may not be printable ASCII.
#[inline]
fn newlines(bytes: &[u8]) -> (u64, u64) {
    match bytes.first_chunk::<64>() {
        Some(block) => newlines64(block),
        None => (
            bytes
                .iter()
                .enumerate()
                .fold(0, |m, (k, &b)| m | u64::from(b == b'\n') << k),
            !0,
        ),
    }
}

/// The newlines of a block, and its bytes that are not printable ASCII
/// (below 0x20 but `\n`, or 0x80 and up).
#[cfg(target_arch = "x86_64")]
#[inline]
fn newlines64(block: &[u8; 64]) -> (u64, u64) {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    let (mut mask, mut odd) = (0u64, 0u64);
    for (k, part) in block.chunks_exact(16).enumerate() {
        // SAFETY: SSE2 is part of x86_64; the load reads the 16 bytes of
        // `part` (unaligned loads allowed). A signed compare with 0x20 is
        // true for 0x00-0x1F and for 0x80-0xFF (negative).
        let (bits, below) = unsafe {
            let v = _mm_loadu_si128(part.as_ptr().cast::<__m128i>());
            (
                _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8))),
                _mm_movemask_epi8(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20))),
            )
        };
        mask |= u64::from(bits as u16) << (16 * k);
        odd |= u64::from(below as u16) << (16 * k);
    }
    (mask, odd & !mask)
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn newlines64(block: &[u8; 64]) -> (u64, u64) {
    // Lines are not classified here: every one is checked in full.
    (newlines64_words(block), !0)
}

/// [`newlines64`] eight bytes at a time, for processors without SSE2.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[inline]
fn newlines64_words(block: &[u8; 64]) -> u64 {
    let mut mask = 0u64;
    for (k, w) in block.chunks_exact(8).enumerate() {
        let x = word(w) ^ (ONES * u64::from(b'\n'));
        // Exactly the zero bytes of x (no borrow between bytes): high bit
        // set when the low seven bits and the high bit are all zero.
        let zero = !(((x & !HIGH) + !HIGH) | x) & HIGH;
        // Gather the eight high bits into one byte.
        let bits = ((zero >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) & 0xff;
        mask |= bits << (8 * k);
    }
    mask
}

/// High bits set on the bytes of `w` from `lo` to `hi`; every byte of `w`
/// must be below 0x80.
#[inline(always)]
fn between(w: u64, lo: u8, hi: u8) -> u64 {
    // (byte | 0x80) - lo keeps its high bit iff byte >= lo, and
    // (0x80 + hi) - byte iff byte <= hi; neither borrows across bytes.
    ((w | HIGH) - ONES * u64::from(lo)) & (ONES * (0x80 + u64::from(hi)) - w) & HIGH
}

/// Whether `name` is a valid container name without `$`: 3–63 lowercase
/// letters, digits and hyphens, beginning and ending with a letter or
/// digit, no two hyphens in a row. (Special names like `$root` are
/// checked by `path::is_valid_container_name`.)
#[inline]
pub(crate) fn is_ordinary_container_name(name: &[u8]) -> bool {
    let n = name.len();
    if !(3..=63).contains(&n) || name[0] == b'-' || name[n - 1] == b'-' {
        return false;
    }
    if n < 8 {
        return ordinary_bytes(name);
    }
    // Windows eight bytes wide, seven apart, and the last eight bytes:
    // every pair of neighbours lies within one window.
    let mut at = 0;
    loop {
        let w = word(&name[at..]);
        if w & HIGH != 0 {
            return false;
        }
        let hyphens = between(w, b'-', b'-');
        if between(w, b'a', b'z') | between(w, b'0', b'9') | hyphens != HIGH
            || hyphens & (hyphens >> 8) != 0
        {
            return false;
        }
        if at == n - 8 {
            return true;
        }
        at = (at + 7).min(n - 8);
    }
}

/// Where the container name of `path` (a path without its leading `/`)
/// ends: the index of its first `/`, when that is among its first 64 bytes
/// and the bytes before it are an ordinary container name
/// ([`is_ordinary_container_name`]); `None` otherwise. One pass, 16 bytes
/// at a time, finds the `/` and checks the name's characters together
/// (the same as [`find_byte`] and then [`is_ordinary_container_name`]).
#[inline]
pub(crate) fn ordinary_container_end(path: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        ordinary_container_end_sse2(path)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        ordinary_container_end_words(path)
    }
}

/// [`ordinary_container_end`] with the word-at-a-time checks.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[inline]
fn ordinary_container_end_words(path: &[u8]) -> Option<usize> {
    let slash = find_byte(&path[..path.len().min(64)], b'/')?;
    is_ordinary_container_name(&path[..slash]).then_some(slash)
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn ordinary_container_end_sse2(path: &[u8]) -> Option<usize> {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_cmpgt_epi8, _mm_cmplt_epi8, _mm_loadu_si128,
        _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    // Bit 0: the byte before this block is a hyphen of the name.
    let mut hyphen_before = 0u32;
    let mut at = 0;
    // A name is at most 63 bytes: its '/' is in the first four blocks.
    while at < 64 {
        let mut padded = [0u8; 16];
        let block = match path.get(at..at + 16) {
            Some(b) => b,
            None => {
                // The end of the path: zeros are neither '/' nor valid.
                let rest = path.get(at..).unwrap_or(&[]);
                padded[..rest.len()].copy_from_slice(rest);
                &padded[..]
            }
        };
        // SAFETY: SSE2 is part of x86_64; the load reads the 16 bytes of
        // `block` (unaligned loads allowed). Signed compares: bytes of
        // 0x80 and up are negative, in neither range.
        let (slash, valid, hyphen) = unsafe {
            let v = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
            let within = |lo: u8, hi: u8| {
                _mm_and_si128(
                    _mm_cmpgt_epi8(v, _mm_set1_epi8(lo as i8 - 1)),
                    _mm_cmplt_epi8(v, _mm_set1_epi8(hi as i8 + 1)),
                )
            };
            let hyphen = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'-' as i8));
            let valid = _mm_or_si128(_mm_or_si128(within(b'a', b'z'), within(b'0', b'9')), hyphen);
            (
                _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'/' as i8))) as u32,
                _mm_movemask_epi8(valid) as u32,
                _mm_movemask_epi8(hyphen) as u32,
            )
        };
        // The bytes of this block that belong to the name.
        let len = slash.trailing_zeros().min(16);
        let name = (1u32 << len) - 1;
        let hyphens = hyphen & name;
        if valid & name != name || hyphens & (hyphens << 1 | hyphen_before) != 0 {
            return None;
        }
        if slash != 0 {
            let n = at + len as usize;
            let ok = n >= 3 && path[0] != b'-' && path[n - 1] != b'-';
            return ok.then_some(n);
        }
        hyphen_before = hyphens >> 15;
        at += 16;
    }
    None
}

/// [`is_ordinary_container_name`]'s character rules, a byte at a time
/// (for names shorter than a word; the caller checked the length and the
/// hyphens at both ends).
fn ordinary_bytes(name: &[u8]) -> bool {
    name.iter()
        .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.windows(2).any(|w| w == b"--")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rules of a container name without `$`, spelled out.
    fn ordinary_reference(name: &[u8]) -> bool {
        (3..=63).contains(&name.len())
            && name
                .iter()
                .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && name.first() != Some(&b'-')
            && name.last() != Some(&b'-')
            && !name.windows(2).any(|w| w == b"--")
    }

    /// Deterministic pseudo-random strings over an alphabet of the edges
    /// of every range the checks use.
    fn strings(count: usize, max_len: usize) -> Vec<Vec<u8>> {
        const ALPHABET: &[u8] = b"az09-/`{:./@[$A\x80\xff\x1f \x7f";
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        (0..count)
            .map(|_| {
                let len = (next() % (max_len as u64 + 1)) as usize;
                (0..len)
                    .map(|_| {
                        let r = next();
                        // Mostly valid characters, so long valid names occur.
                        if r % 4 != 0 {
                            ALPHABET[(r >> 8) as usize % 5]
                        } else {
                            ALPHABET[(r >> 8) as usize % ALPHABET.len()]
                        }
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn container_ends_agree_with_finding_the_slash_and_checking_the_name() {
        let reference = |path: &[u8]| {
            let slash = path.iter().take(64).position(|&b| b == b'/')?;
            ordinary_reference(&path[..slash]).then_some(slash)
        };
        let mut count = [0usize; 2];
        for mut path in strings(200_000, 90) {
            // Paths with a '/' after a mostly valid name.
            if path.len() > 3 && path[0] != b'/' {
                let at = (path[0] as usize * 7 + path.len()) % path.len();
                path[at] = b'/';
            }
            let want = reference(&path);
            count[usize::from(want.is_some())] += 1;
            assert_eq!(
                ordinary_container_end(&path),
                want,
                "{:?}",
                String::from_utf8_lossy(&path)
            );
            assert_eq!(ordinary_container_end_words(&path), want);
        }
        assert!(count[0] > 1000 && count[1] > 1000, "{count:?}");
        let long = [&[b'a'; 63][..], b"/x"].concat();
        assert_eq!(ordinary_container_end(&long), Some(63));
        let too_long = [&[b'a'; 64][..], b"/x"].concat();
        assert_eq!(ordinary_container_end(&too_long), None);
        assert_eq!(ordinary_container_end(b"ab-/x"), None);
        assert_eq!(ordinary_container_end(b"abcdefghijklmno-/x"), None);
        assert_eq!(ordinary_container_end(b"abcdefghijklmno--x/"), None);
        assert_eq!(ordinary_container_end(b"abcdefghijklmnop/"), Some(16));
    }

    #[test]
    fn container_names_agree_with_the_rules() {
        for name in strings(200_000, 70) {
            assert_eq!(
                is_ordinary_container_name(&name),
                ordinary_reference(&name),
                "{:?}",
                String::from_utf8_lossy(&name)
            );
        }
        for (name, ok) in [
            (&b"abc"[..], true),
            (b"a-b-c-d-e-f-g-h", true),
            (b"abcdefg--hijklmn", false),
            (b"abcdefgh-", false),
            (b"-abcdefgh", false),
            (b"abcdefg-", false),
            (b"abcdefgH", false),
            (&[b'a'; 63][..], true),
            (&[b'a'; 64][..], false),
            (b"ab", false),
        ] {
            assert_eq!(is_ordinary_container_name(name), ok, "{name:?}");
        }
    }

    #[test]
    fn find_byte_finds_the_first() {
        for s in strings(100_000, 80) {
            for byte in [b'/', b'a', 0x80] {
                let want = s.iter().position(|&b| b == byte);
                assert_eq!(find_byte(&s, byte), want, "{s:?} {byte}");
            }
        }
    }

    #[test]
    fn compare_and_common_prefix_agree_with_bytes() {
        let all = strings(3_000, 40);
        for (a, b) in all.iter().zip(all.iter().skip(1)) {
            // Pairs that share a long start, as sorted paths do.
            let mut c = a.clone();
            c.extend_from_slice(b);
            for (x, y) in [(a, b), (a, &c), (&c, a), (a, a)] {
                assert_eq!(compare(x, y), x.cmp(y), "{x:?} {y:?}");
                let want = x.iter().zip(y.iter()).take_while(|(p, q)| p == q).count();
                assert_eq!(common_prefix(x, y), want, "{x:?} {y:?}");
            }
        }
        assert_eq!(common_prefix(b"abcdefghijk", b"abcdefghijx"), 10);
        assert_eq!(common_prefix(b"abcdefgh", b"abcdefgh"), 8);
        assert_eq!(compare(b"", b"a"), std::cmp::Ordering::Less);
    }

    #[test]
    fn padded_words_are_the_bytes_then_zeros() {
        let bytes: Vec<u8> = (1..=12).collect();
        for n in 0..=bytes.len() {
            let mut want = [0u8; 8];
            for (w, b) in want.iter_mut().zip(&bytes[..n]) {
                *w = *b;
            }
            assert_eq!(word_padded(&bytes[..n]), u64::from_le_bytes(want), "{n}");
        }
    }

    #[test]
    fn line_ends_are_every_newline() {
        for s in strings(20_000, 300) {
            // Newlines dense and sparse, at block edges too.
            let s: Vec<u8> = s
                .iter()
                .map(|&b| if b == b'/' || b == 0x1f { b'\n' } else { b })
                .collect();
            let want: Vec<usize> = memchr::memchr_iter(b'\n', &s).collect();
            assert_eq!(LineEnds::new(&s).collect::<Vec<_>>(), want, "{s:?}");
        }
        let all = vec![b'\n'; 200];
        assert_eq!(LineEnds::new(&all).count(), 200);
        assert_eq!(LineEnds::new(b"").next(), None);
        let mut edges = vec![b'a'; 130];
        for i in [0, 63, 64, 127, 128, 129] {
            edges[i] = b'\n';
        }
        assert_eq!(
            LineEnds::new(&edges).collect::<Vec<_>>(),
            [0, 63, 64, 127, 128, 129]
        );
    }

    /// A line called plain is printable ASCII, every byte; and on x86_64,
    /// every printable line that ends inside the whole 64-byte blocks is
    /// called plain (so the flag does its work).
    #[test]
    fn plain_lines_are_printable_ascii() {
        let mut plain_seen = 0;
        for s in strings(20_000, 400) {
            // Long lines over several blocks, mostly printable.
            let s: Vec<u8> = s
                .iter()
                .map(|&b| match b {
                    b'/' => b'\n',
                    b'a' => b'x',
                    b'z' => b'.',
                    _ => b,
                })
                .collect();
            let mut ends = LineEnds::new(&s);
            let mut start = 0;
            while let Some((end, plain)) = ends.next_line() {
                let line = &s[start..end];
                let printable = line.iter().all(|b| (0x20..0x80).contains(b));
                assert!(!plain || printable, "{line:?} in {s:?}");
                if cfg!(target_arch = "x86_64") && end < s.len() / 64 * 64 {
                    assert_eq!(plain, printable, "{line:?} at {start} in {s:?}");
                }
                plain_seen += usize::from(plain);
                start = end + 1;
            }
        }
        if cfg!(target_arch = "x86_64") {
            assert!(plain_seen > 10_000, "{plain_seen}");
        }
    }

    #[test]
    fn newline_masks_agree_with_bytes() {
        for s in strings(20_000, 64) {
            let mut block = [b'\n'; 64];
            for (b, &x) in block.iter_mut().zip(&s) {
                *b = if x == b'/' { b'\n' } else { x ^ 0x0a };
            }
            let want = block
                .iter()
                .enumerate()
                .fold(0u64, |m, (k, &b)| m | u64::from(b == b'\n') << k);
            assert_eq!(newlines64(&block).0, want, "{block:?}");
            assert_eq!(newlines64_words(&block), want, "{block:?}");
        }
    }

    #[test]
    fn plain_ascii_and_control_agree_with_bytes() {
        for s in strings(100_000, 40) {
            let plain = s.iter().all(|b| (0x20..0x80).contains(b));
            assert_eq!(plain_ascii(&s).is_some(), plain, "{s:?}");
            assert_eq!(has_control(&s), s.iter().any(|&b| b < 0x20), "{s:?}");
        }
    }
}
