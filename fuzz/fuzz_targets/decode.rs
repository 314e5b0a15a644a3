//! The event decoder on arbitrary bytes: it must never panic, its fast reader must give the same
//! answer as serde_json alone (the same event or the same reason), and what it accepts must
//! encode back to an event it accepts again, equal to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shopstream_core::decode::{decode, decode_general};

fuzz_target!(|data: &[u8]| {
    let decoded = decode(data, None);
    assert_eq!(decoded, decode_general(data, None));
    if let Ok(event) = decoded {
        let json = event.to_json();
        let again = decode(json.as_bytes(), Some(event.topic())).expect("re-encoded event decodes");
        assert_eq!(again, event);
    }
});
