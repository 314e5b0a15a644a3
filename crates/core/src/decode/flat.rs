//! The fast reader: the flat JSON objects producers write (ShopStream's compact form, or the
//! Python demo's `", "` and `": "`) read straight into a [`RawEvent`], one pass over the bytes.
//!
//! serde_json spends most of a decode on per-field machinery (optional fields, a visitor per
//! value); here a key is matched once and its value read in place. This reader is not a JSON
//! parser: it answers `None` ("not for me") to anything it is not certain of (unknown, escaped
//! or repeated keys, null, exponents, more than two decimals, nesting, ...) and the general
//! reader takes the message; a string with escapes is handed to serde_json alone. So whatever it
//! accepts, serde_json reads into the same fields.

use std::borrow::Cow;

use super::raw::{RawEvent, Text};

/// Reads `text` if it is a flat object this reader is certain of; `None` otherwise.
#[cfg(test)]
pub(super) fn read(text: &str) -> Option<RawEvent<'_>> {
    let mut raw = RawEvent::default();
    read_into(text, &mut raw)?;
    Some(raw)
}

/// Reads `text` into an empty `raw` (filled in place: it is large) if it is a flat object this
/// reader is certain of; `None` otherwise, leaving `raw` partly filled.
pub(super) fn read_into<'a>(text: &'a str, raw: &mut RawEvent<'a>) -> Option<()> {
    let mut reader = Reader { text, at: 0 };
    reader.skip_whitespace();
    reader.expect(b'{')?;
    reader.skip_whitespace();
    loop {
        let slot = reader.key(raw)?;
        reader.skip_whitespace();
        reader.expect(b':')?;
        reader.skip_whitespace();
        match slot {
            Slot::Text(slot) => set(slot, reader.text()?)?,
            Slot::Amount(slot) => set(slot, reader.amount()?)?,
            Slot::Count(slot) => set(slot, reader.count()?)?,
            Slot::Texts(slot) => set(slot, reader.texts()?)?,
        }
        reader.skip_whitespace();
        match reader.next()? {
            b',' => reader.skip_whitespace(),
            b'}' => break,
            _ => return None,
        }
    }
    reader.skip_whitespace();
    reader.at_end().then_some(())
}

/// Where the first byte that ends a plain string is: `"`, `\` or a control character (below
/// 0x20), eight bytes at a time. These strings are short (ids, names), too short for a vector
/// search (memchr) to pay for its set-up on each.
fn find_string_end(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const QUOTES: u64 = ONES * b'"' as u64;
    const BACKSLASHES: u64 = ONES * b'\\' as u64;
    // The high bit of the lowest byte of `word` below `n` (<= 0x80) is set; bits above it may
    // be set too, so only the lowest counts.
    let bytes_below = |word: u64, n: u64| word.wrapping_sub(ONES * n) & !word & HIGHS;
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().ok()?);
        let found = bytes_below(word ^ QUOTES, 1)
            | bytes_below(word ^ BACKSLASHES, 1)
            | bytes_below(word, 0x20);
        if found != 0 {
            return Some(offset + found.trailing_zeros() as usize / 8);
        }
        offset += 8;
    }
    let rest = chunks.remainder();
    let at = rest
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
    Some(offset + at)
}

/// Fills an empty slot; a repeated key is serde's "duplicate field" error, so not for us.
fn set<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    match slot {
        Some(_) => None,
        None => {
            *slot = Some(value);
            Some(())
        }
    }
}

/// The field of a [`RawEvent`] that a key names, by the kind of value it takes.
enum Slot<'r, 'a> {
    Text(&'r mut Option<Text<'a>>),
    Amount(&'r mut Option<f64>),
    Count(&'r mut Option<u32>),
    Texts(&'r mut Option<Vec<Text<'a>>>),
}

/// Most digits in the whole part of an amount read here; longer ones go to the general reader,
/// which also decides whether they are too large.
const MAX_AMOUNT_DIGITS: usize = 10;
/// Longest count read here (u32::MAX has 10 digits; the range check follows).
const MAX_COUNT_DIGITS: usize = 10;

struct Reader<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Reader<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        Some(byte)
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.next()? == byte).then_some(())
    }

    fn at_end(&self) -> bool {
        self.at == self.bytes().len()
    }

    /// JSON's four whitespace bytes.
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// The field of `raw` that the next key names, if this reader knows the key: compared in
    /// place with each name that starts with its first letter (a known name has no escapes, so
    /// its closing quote is the real one).
    fn key<'r>(&mut self, raw: &'r mut RawEvent<'a>) -> Option<Slot<'r, 'a>> {
        self.expect(b'"')?;
        let rest = &self.bytes()[self.at..];
        macro_rules! keys {
            ($($name:ident: $kind:ident),+) => {{
                $(
                    let name = concat!(stringify!($name), "\"");
                    if rest.starts_with(name.as_bytes()) {
                        self.at += name.len();
                        return Some(Slot::$kind(&mut raw.$name));
                    }
                )+
                None
            }};
        }
        match rest.first()? {
            b'e' => keys!(event_id: Text, event_type: Text),
            b't' => keys!(timestamp: Text, total: Amount),
            b'u' => keys!(user_id: Text),
            b's' => keys!(session_id: Text),
            b'r' => keys!(region: Text, results_count: Count),
            b'c' => keys!(customer_type: Text, category: Text),
            b'p' => {
                keys!(product_id: Text, product_name: Text, price: Amount, payment_method: Text)
            }
            b'b' => keys!(brand: Text),
            b'q' => keys!(quantity: Count, query: Text),
            b'o' => keys!(order_id: Text),
            b'd' => keys!(device: Text),
            b'f' => keys!(fields_updated: Texts),
            _ => None,
        }
    }

    /// A string value, borrowed from the text when it has no escapes (nearly always).
    fn text(&mut self) -> Option<Text<'a>> {
        let quote = self.at;
        self.expect(b'"')?;
        let end = quote + 1 + find_string_end(&self.bytes()[quote + 1..])?;
        match self.bytes()[end] {
            b'"' => {
                self.at = end + 1;
                // Both ends are ASCII quotes, so this slice falls on character boundaries.
                self.text
                    .get(quote + 1..end)
                    .map(|s| Text(Cow::Borrowed(s)))
            }
            b'\\' => self.escaped_text(quote),
            // A control character: not allowed in a JSON string; the general reader says so.
            _ => None,
        }
    }

    /// A string with escapes, from its opening quote: serde_json unescapes that one string and
    /// says where it ended (a string needs nothing after it to end, unlike a number).
    fn escaped_text(&mut self, quote: usize) -> Option<Text<'a>> {
        let rest = self.text.get(quote..)?;
        let mut strings = serde_json::Deserializer::from_str(rest).into_iter::<Text<'a>>();
        let text = strings.next()?.ok()?;
        self.at = quote + strings.byte_offset();
        Some(text)
    }

    /// `[]` or `["a","b",...]` of plain strings.
    fn texts(&mut self) -> Option<Vec<Text<'a>>> {
        self.expect(b'[')?;
        self.skip_whitespace();
        let mut texts = Vec::new();
        if self.peek()? == b']' {
            self.at += 1;
            return Some(texts);
        }
        loop {
            texts.push(self.text()?);
            self.skip_whitespace();
            match self.next()? {
                b',' => self.skip_whitespace(),
                b']' => return Some(texts),
                _ => return None,
            }
        }
    }

    /// Up to `max` ASCII digits as a number, with JSON's rule against leading zeros.
    fn digits(&mut self, max: usize) -> Option<(u64, usize)> {
        let start = self.at;
        let mut value = 0u64;
        while let Some(digit @ b'0'..=b'9') = self.peek() {
            value = value * 10 + u64::from(digit - b'0');
            self.at += 1;
            if self.at - start > max {
                return None;
            }
        }
        let count = self.at - start;
        if count == 0 || (count > 1 && self.bytes()[start] == b'0') {
            return None;
        }
        Some((value, count))
    }

    /// A non-negative count such as `3`; a sign, fraction or exponent is left to serde_json
    /// (it rejects them for a u32 field, with its own wording).
    fn count(&mut self) -> Option<u32> {
        let (value, _) = self.digits(MAX_COUNT_DIGITS)?;
        u32::try_from(value).ok()
    }

    /// An amount such as `29.99`, `15.0` or `7`: computed from whole cents, so the f64 is the
    /// nearest one to the decimal, as serde_json's own reading.
    fn amount(&mut self) -> Option<f64> {
        let (whole, _) = self.digits(MAX_AMOUNT_DIGITS)?;
        let mut cents = whole * 100;
        if self.peek() == Some(b'.') {
            self.at += 1;
            let first = self.peek().filter(u8::is_ascii_digit)?;
            self.at += 1;
            cents += u64::from(first - b'0') * 10;
            if let Some(second @ b'0'..=b'9') = self.peek() {
                self.at += 1;
                cents += u64::from(second - b'0');
            }
        }
        // A third decimal or an exponent stops the caller: it expects `,` or `}` next.
        Some(cents as f64 / 100.0)
    }
}

#[cfg(test)]
mod tests;
