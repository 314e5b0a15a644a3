//! The simulator alone (no Kafka) over a shop of any size: start-up and events per second of a
//! free-running seeded run, e.g. to compare shop sizes (run it under `/usr/bin/time -v` for the
//! peak RSS):
//!
//!     cargo run --release -p shopstream-core --example shop_scale -- USERS PRODUCTS EVENTS
//!
//! USERS and PRODUCTS 0: the shipped files.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use shopstream_core::population::{Shop, Sizes};
use shopstream_core::simulator::{Quota, Quotas, Simulator};

fn main() -> ExitCode {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|arg| arg.parse().ok())
        .collect();
    let [users, products, events] = args[..] else {
        eprintln!("usage: shop_scale USERS PRODUCTS EVENTS (0 users or products: the files)");
        return ExitCode::FAILURE;
    };
    match run(Sizes { users, products }, events) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(sizes: Sizes, events: u64) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
    let shop = Shop::load_or_generate(
        &data.join("products.json"),
        &data.join("users.json"),
        1,
        sizes,
    )?;
    let unlimited = Quotas {
        product_events: Quota::Unlimited,
        purchases: Quota::Unlimited,
        user_events: Quota::Unlimited,
    };
    let mut simulator = Simulator::new(&shop, Some(1), unlimited)?;
    let mut bytes = 0;
    if let Some(first) = simulator.next_event() {
        bytes += first.session_id.len();
    }
    let first = started.elapsed();
    let running = Instant::now();
    for _ in 1..events {
        if let Some(event) = simulator.next_event() {
            bytes += event.session_id.len();
        }
    }
    let seconds = running.elapsed().as_secs_f64();
    println!(
        "{} users x {} products: first event after {:.3} s, then {:.0} events/s ({:.2} µs an event; {bytes} id bytes)",
        sizes.users,
        sizes.products,
        first.as_secs_f64(),
        events.saturating_sub(1) as f64 / seconds,
        seconds * 1e6 / events.max(2) as f64,
    );
    Ok(())
}
