//! Decode + aggregate: how fast the metrics path turns message bytes into figures, on one core.
//! Target: >= 2,000,000 events/s. Run: cargo bench -p shopstream-core --bench decode_aggregate

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use shopstream_core::decode::decode_general;
use shopstream_core::metrics::MetricsEngine;
use shopstream_core::simulator::{Quota, Quotas, Simulator};
use shopstream_core::{Catalog, DecodeError, Event, TopicKind, decode};

const EVENTS: usize = 100_000;

/// Encoded events as they arrive from Kafka, with the topic each came from.
fn messages() -> Vec<(TopicKind, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let catalog = Catalog::load(
        &root.join("data/products.json"),
        &root.join("data/users.json"),
    )
    .expect("catalog");
    let quotas = Quotas {
        product_events: Quota::Unlimited,
        purchases: Quota::Unlimited,
        user_events: Quota::Unlimited,
    };
    let mut simulator = Simulator::new(&catalog, Some(1), quotas).expect("simulator");
    (0..EVENTS)
        .map(|_| {
            let event = simulator.next_event().expect("unlimited");
            let mut buf = Vec::new();
            event.encode_into(&mut buf);
            (event.topic(), buf)
        })
        .collect()
}

fn decode_aggregate(c: &mut Criterion) {
    let messages = messages();
    let mut group = c.benchmark_group("decode+aggregate");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.sample_size(20);
    type Decoder = for<'m> fn(&'m [u8], Option<TopicKind>) -> Result<Event<'m>, DecodeError>;
    // The decoder as consumers use it, and serde_json reading every message, for comparison.
    let decoders: [(&str, Decoder); 2] = [
        ("all topics", decode),
        ("all topics, serde_json only", decode_general),
    ];
    for (name, decoder) in decoders {
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut engine = MetricsEngine::new();
                for (topic, bytes) in &messages {
                    match decoder(bytes, Some(*topic)) {
                        Ok(event) => engine.record(&event),
                        Err(reason) => engine.record_rejected(&reason),
                    }
                }
                engine.report().events
            })
        });
    }
    group.finish();
}

criterion_group!(benches, decode_aggregate);
criterion_main!(benches);
