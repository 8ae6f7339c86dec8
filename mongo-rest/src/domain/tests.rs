//! Tests of loading and checking domain files.

use super::*;

const MINIMAL: &str = r#"
    [resources.people]
    resource_methods = ["GET", "POST"]
    allowed_filters = ["*"]
    [resources.people.schema.name]
    type = "string"
    required = true
    [resources.people.schema.address]
    type = "dict"
    schema = { city = { type = "string" } }
    [resources.people.schema.friends]
    type = "list"
    items = { type = "objectid", data_relation = { resource = "people", embeddable = true } }
"#;

#[test]
fn a_minimal_domain_parses_with_eve_defaults() {
    let domain = Domain::parse(MINIMAL).unwrap();
    assert_eq!((domain.api.max_results, domain.api.max_results_limit), (25, 50));
    let people = domain.resource("people").unwrap();
    assert_eq!(people.collection_name("people"), "people");
    assert_eq!(people.item_methods, [Method::Get]);
    assert!(people.allows(Method::Post) && !people.allows(Method::Delete));
    assert_eq!(people.field_type("address.city"), Some(FieldType::String));
    assert_eq!(people.field_type("_id"), Some(FieldType::Objectid));
    assert_eq!(people.field_type("friends"), Some(FieldType::List));
    assert!(people.filter_allowed("name") && people.filter_allowed("address.city"));
    assert!(!people.filter_allowed("password") && !people.regex_allowed("name"));
}

#[test]
fn mistakes_in_the_file_are_named() {
    let unknown_key = Domain::parse("[resources.a]\ncolection = \"x\"").unwrap_err().to_string();
    assert!(unknown_key.contains("colection"), "{unknown_key}");
    let bad_type = Domain::parse("[resources.a.schema.f]\ntype = \"text\"").unwrap_err().to_string();
    assert!(bad_type.contains("text"), "{bad_type}");
    let relation =
        Domain::parse("[resources.a.schema.f]\ntype = \"objectid\"\ndata_relation = { resource = \"nowhere\" }")
            .unwrap_err()
            .to_string();
    assert!(relation.contains("nowhere"), "{relation}");
    let filter = Domain::parse("[resources.a]\nallowed_filters = [\"ghost\"]").unwrap_err().to_string();
    assert!(filter.contains("ghost"), "{filter}");
    let limits = Domain::parse("[resources.a]\nmax_results = 80").unwrap_err().to_string();
    assert!(limits.contains("max_results"), "{limits}");
    assert!(Domain::parse("[resources.oplog]").is_err());
    assert!(Domain::parse("[resources.log]\ncollection = \"oplog\"").unwrap_err().to_string().contains("oplog"));
    assert!(Domain::parse("[resources.counters]").is_err());
    let pipeline = "[resources.a]\n[aggregations.x]\nresource = \"a\"\npipeline = \"{not json\"";
    assert!(Domain::parse(pipeline).unwrap_err().to_string().contains("aggregations.x"));
}

#[test]
fn the_test_and_example_domains_are_valid() {
    for file in ["tests/domain.toml", "examples/domain.toml"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        if let Err(e) = Domain::load(&path) {
            panic!("{file}: {e}");
        }
    }
}
