use super::*;

fn entry(key: &str, value: Option<&str>) -> StateEntry {
    StateEntry {
        key: key.to_string(),
        value: value.map(|v| v.as_bytes().to_vec()),
    }
}

#[test]
fn a_frame_reads_back_whole_and_every_cut_of_it_is_broken() {
    let bytes = frame(b"hello").unwrap();
    assert_eq!(bytes.len() as u64, FRAME_HEAD + 5);
    assert_eq!(
        read_frame(&mut bytes.as_slice()).unwrap(),
        Frame::Whole(b"hello".to_vec())
    );
    assert_eq!(read_frame(&mut &[][..]).unwrap(), Frame::End);
    for cut in 1..bytes.len() {
        assert_eq!(
            read_frame(&mut &bytes[..cut]).unwrap(),
            Frame::Broken,
            "cut at {cut}"
        );
    }
}

#[test]
fn a_damaged_byte_breaks_the_frame() {
    let bytes = frame(b"hello").unwrap();
    for at in 0..bytes.len() {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x40;
        assert_eq!(
            read_frame(&mut damaged.as_slice()).unwrap(),
            Frame::Broken,
            "byte {at} damaged"
        );
    }
}

#[test]
fn entries_pack_and_unpack_in_order_with_removals() {
    let entries = [
        entry("totals", Some("{}")),
        entry("product/P1", None),
        entry("", Some("")),
    ];
    let mut body = Vec::new();
    for e in &entries {
        push_entry(&mut body, e).unwrap();
    }
    assert_eq!(body.len(), entries.iter().map(entry_size).sum::<usize>());
    assert_eq!(
        unpack_entries(&body).unwrap(),
        vec![
            ("totals", Some(&b"{}"[..])),
            ("product/P1", None),
            ("", Some(&b""[..]))
        ]
    );
    assert!(unpack_entries(&body[..body.len() - 1]).is_err());
    assert!(unpack_entries(&[0xff, 0xff]).is_err());
}
