//! Writes a generated shop as catalog files, or loads catalog files, e.g. to measure loading:
//!
//!     cargo run --release -p shopstream-core --example shop_files -- write SEED USERS PRODUCTS DIR
//!     cargo run --release -p shopstream-core --example shop_files -- load PRODUCTS_FILE USERS_FILE
//!
//! `write` makes DIR/users.json and DIR/products.json (USERS_FILE and PRODUCTS_FILE can point at
//! them): the same users and products as `--users USERS --products PRODUCTS --seed SEED`.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use shopstream_core::Catalog;
use shopstream_core::population;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["write", seed, users, products, dir] => write(seed, users, products, Path::new(dir)),
        ["load", products, users] => load(Path::new(products), Path::new(users)),
        _ => Err(
            "usage: shop_files write SEED USERS PRODUCTS DIR | load PRODUCTS_FILE USERS_FILE"
                .into(),
        ),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

type Outcome = Result<(), Box<dyn std::error::Error>>;

fn write(seed: &str, users: &str, products: &str, dir: &Path) -> Outcome {
    let seed: u64 = seed.parse()?;
    let users = population::users(seed, users.parse()?);
    let mut out = BufWriter::new(File::create(dir.join("users.json"))?);
    population::write_users(&mut out, &users)?;
    drop(users);
    let products = population::products(seed, products.parse()?);
    let mut out = BufWriter::new(File::create(dir.join("products.json"))?);
    population::write_products(&mut out, &products)?;
    Ok(())
}

fn load(products: &Path, users: &Path) -> Outcome {
    let started = Instant::now();
    let catalog = Catalog::load(products, users)?;
    println!(
        "{} products and {} users in {:.2} s",
        catalog.products.len(),
        catalog.users.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
