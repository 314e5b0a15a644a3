use super::*;
use std::collections::HashSet;

const PRODUCTS: &str = r#"[
  {"product_id": "P001", "name": "Laptop", "category": "Electronics", "price": 1299.99, "brand": "Dell", "stock": 10},
  {"product_id": "P002", "name": "Mouse", "category": "Electronics", "price": 29.99, "brand": "Logitech", "stock": 150}
]"#;

const USERS: &str = r#"[
  {"user_id": "U001", "name": "Ana", "email": "ana@example.com", "region": "North", "customer_type": "VIP", "age": 34, "interests": ["Electronics"]}
]"#;

fn products(text: &str) -> Result<Vec<Product>, CatalogError> {
    parse_products(Path::new("products.json"), text)
}

fn users(text: &str) -> Result<Vec<User>, CatalogError> {
    parse_users(Path::new("users.json"), text)
}

#[test]
fn parses_valid_files() {
    let products = products(PRODUCTS).unwrap();
    assert_eq!(products.len(), 2);
    assert_eq!(products[0].price, Money::from_cents(129_999));
    let users = users(USERS).unwrap();
    assert_eq!(users[0].customer_type, CustomerType::Vip);
    assert_eq!(users[0].region, Region::North);
}

#[test]
fn malformed_json_names_the_file() {
    let err = products("[{\"product_id\": ").unwrap_err();
    assert!(matches!(err, CatalogError::Malformed { .. }));
    assert!(
        err.to_string()
            .starts_with("products.json: not valid JSON: "),
        "{err}"
    );
}

#[test]
fn missing_field_names_file_entry_and_field() {
    let err = products(&PRODUCTS.replace("\"brand\": \"Logitech\", ", "")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "products.json: entry 1 (P002): missing field `brand`"
    );
}

#[test]
fn duplicate_id_is_named() {
    let err = products(&PRODUCTS.replace("P002", "P001")).unwrap_err();
    assert!(matches!(err, CatalogError::DuplicateId { first: 0, .. }));
    assert_eq!(
        err.to_string(),
        "products.json: entry 1 (P001): field `product_id` duplicates the id of entry 0"
    );
}

#[test]
fn negative_and_zero_prices_are_rejected() {
    let err = products(&PRODUCTS.replace("29.99", "-29.99")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "products.json: entry 1 (P002): field `price` is negative"
    );
    let err = products(&PRODUCTS.replace("29.99", "0")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "products.json: entry 1 (P002): field `price` must be greater than 0"
    );
}

#[test]
fn unknown_region_and_customer_type_are_rejected() {
    let err = users(&USERS.replace("North", "Norht")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "users.json: entry 0 (U001): field `region` has unknown value \"Norht\""
    );
    let err = users(&USERS.replace("VIP", "Gold")).unwrap_err();
    assert!(matches!(
        err,
        CatalogError::InvalidField {
            field: "customer_type",
            ..
        }
    ));
}

#[test]
fn wrong_types_empty_names_and_empty_files_are_rejected() {
    let err = users(&USERS.replace("34", "\"old\"")).unwrap_err();
    assert!(
        matches!(err, CatalogError::InvalidField { field: "age", .. }),
        "{err}"
    );
    let err = users(&USERS.replace("\"Ana\"", "\"  \"")).unwrap_err();
    assert!(
        matches!(err, CatalogError::InvalidField { field: "name", .. }),
        "{err}"
    );
    assert!(matches!(
        users("[]").unwrap_err(),
        CatalogError::Empty { .. }
    ));
    assert!(matches!(
        users("{}").unwrap_err(),
        CatalogError::NotAnArray { .. }
    ));
    assert!(matches!(
        users("[42]").unwrap_err(),
        CatalogError::NotAnObject { .. }
    ));
}

/// Every input of the fuzzer's minimized corpus (fuzz/regressions/catalog.hex): a catalog or
/// an error, never a panic.
#[test]
fn fuzz_corpus_regressions() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fuzz/regressions/catalog.hex"
    );
    let corpus = std::fs::read_to_string(path).unwrap();
    let mut count = 0;
    for line in corpus.lines().filter(|l| !l.starts_with('#')) {
        let input = hex::decode(line).unwrap();
        if let Ok(text) = std::str::from_utf8(&input) {
            let _ = products(text);
            let _ = users(text);
        }
        count += 1;
    }
    assert!(count > 100);
}

#[test]
fn missing_file_is_a_read_error() {
    let err = load_products(Path::new("/nonexistent/products.json")).unwrap_err();
    assert!(matches!(err, CatalogError::Read { .. }));
    assert_eq!(err.to_string(), "/nonexistent/products.json: cannot read");
    let cause = std::error::Error::source(&err).map(ToString::to_string);
    assert!(cause.is_some_and(|text| text.contains("No such file")));
}

#[test]
fn shipped_data_is_valid_and_rich_enough() {
    let catalog = shipped();
    assert!(catalog.products.len() >= 30);
    let cats: HashSet<&str> = catalog
        .products
        .iter()
        .map(|p| p.category.as_str())
        .collect();
    assert!(cats.len() >= 6);
    assert!(catalog.users.len() >= 40);
    for region in <Region as strum::VariantArray>::VARIANTS {
        assert!(
            catalog.users.iter().any(|u| u.region == *region),
            "{region}"
        );
    }
    for kind in <CustomerType as strum::VariantArray>::VARIANTS {
        assert!(
            catalog.users.iter().any(|u| u.customer_type == *kind),
            "{kind}"
        );
    }
    for user in &catalog.users {
        assert!(!user.interests.is_empty(), "{}", user.user_id);
        for interest in &user.interests {
            assert!(
                cats.contains(interest.as_str()),
                "{}: {interest}",
                user.user_id
            );
        }
    }
}
