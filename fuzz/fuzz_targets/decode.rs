//! The event decoder on arbitrary bytes: it must never panic, and what it accepts must encode
//! back to an event it accepts again, equal to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shopstream_core::decode;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = decode(data, None) {
        let json = event.to_json();
        let again = decode(json.as_bytes(), Some(event.topic())).expect("re-encoded event decodes");
        assert_eq!(again, event);
    }
});
