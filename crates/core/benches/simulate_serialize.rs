//! Simulate + serialize: how fast the simulator makes events and encodes them to JSON, on one core.
//! Every count without end, so this is the free-running behaviour model (arrivals along the
//! curve, stock and price changes included).
//! Target: >= 1,000,000 events/s. Run: cargo bench -p shopstream-core --bench simulate_serialize

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use shopstream_core::simulator::{Quota, Quotas, Simulator};
use shopstream_core::{Catalog, Event};

const EVENTS: u64 = 100_000;

/// Appends one event's JSON to a buffer.
type Encoder = fn(&Event<'_>, &mut Vec<u8>);

fn catalog() -> Catalog {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    Catalog::load(
        &root.join("data/products.json"),
        &root.join("data/users.json"),
    )
    .expect("catalog")
}

fn simulate_serialize(c: &mut Criterion) {
    let catalog = catalog();
    let quotas = Quotas {
        product_events: Quota::Unlimited,
        purchases: Quota::Unlimited,
        user_events: Quota::Unlimited,
    };
    let mut group = c.benchmark_group("simulate+serialize");
    group.throughput(Throughput::Elements(EVENTS));
    group.sample_size(20);
    group.bench_function("all topics", |b| {
        let mut buf = Vec::with_capacity(1024);
        b.iter(|| {
            let mut simulator = Simulator::new(&catalog, Some(1), quotas).expect("simulator");
            let mut bytes = 0;
            for _ in 0..EVENTS {
                let event = simulator.next_event().expect("unlimited");
                buf.clear();
                event.encode_into(&mut buf);
                bytes += buf.len();
            }
            bytes
        })
    });
    // The JSON encoding alone, over events made beforehand: the encoder the producers use, and
    // serde_json, which wrote the same bytes before it.
    let mut simulator = Simulator::new(&catalog, Some(1), quotas).expect("simulator");
    let events: Vec<Event<'static>> = (0..EVENTS)
        .map(|_| simulator.next_event().expect("unlimited").into_owned())
        .collect();
    let encoders: [(&str, Encoder); 2] = [
        ("serialize only", |event, buf| event.encode_into(buf)),
        ("serialize only, serde_json", |event, buf| {
            serde_json::to_writer(buf, event).expect("a Vec takes any JSON")
        }),
    ];
    for (name, encode) in encoders {
        group.bench_function(name, |b| {
            let mut buf = Vec::with_capacity(1024);
            b.iter(|| {
                let mut bytes = 0;
                for event in &events {
                    buf.clear();
                    encode(event, &mut buf);
                    bytes += buf.len();
                }
                bytes
            })
        });
    }
    group.finish();
}

criterion_group!(benches, simulate_serialize);
criterion_main!(benches);
