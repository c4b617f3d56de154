//! Strategies shared by the workspace's property tests, which feed hostile input to every parser
//! (stable Rust has no cargo-fuzz here; these run in CI for a bounded number of cases).

use proptest::prelude::*;
use serde_json::Value;

/// Arbitrary JSON, nested a few levels deep.
pub fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,60}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(".{0,12}", inner, 0..8)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Arbitrary JSON objects whose keys are likely to be ones the parsers look for.
pub fn json_object_with_keys(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop::collection::btree_map(
        prop_oneof![prop::sample::select(keys).prop_map(str::to_owned), ".{0,8}"],
        json_value(),
        0..8,
    )
    .prop_map(|map| Value::Object(map.into_iter().collect()))
}

/// Case count for these tests: `PROPTEST_CASES` when set, else 512.
pub fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|cases| cases.parse().ok())
            .unwrap_or(512),
        ..ProptestConfig::default()
    }
}
