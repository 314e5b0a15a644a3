//! Catalog loading on arbitrary text: an error or a valid catalog, never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use shopstream_core::catalog::{parse_products, parse_users};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_products(Path::new("products.json"), text);
        let _ = parse_users(Path::new("users.json"), text);
    }
});
