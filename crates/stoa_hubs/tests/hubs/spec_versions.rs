//! Stored specs stay readable.

use stoa_hubs::{HubSpec, SCHEMA_VERSION, SpecReadError};

use crate::fixtures::{all, course};

const V1: &str = include_str!("../fixtures/spec-v1.json");

#[test]
fn version_1_fixture_reads() {
    let spec = HubSpec::from_json(V1).unwrap();
    assert_eq!(spec.schema_version, SCHEMA_VERSION);
    assert_eq!(
        spec.homepage.org_name,
        "Data Science 101 at Example University"
    );
    assert_eq!(spec.environments.len(), 2);
    assert_eq!(
        spec,
        course(),
        "the fixture is the course spec as version 1 wrote it"
    );
}

#[test]
fn version_1_gains_no_catalog_references() {
    let spec = HubSpec::from_json(V1).unwrap();
    assert!(spec.environments.iter().all(|e| e.catalog.is_none()));
    assert!(spec.to_json().contains("\"schema_version\": 2"));
    // A version 1 document never had them; one that claims to is refused, not upgraded.
    let forged = V1.replacen(
        "\"size\":",
        "\"catalog\": {\"entry\": \"x\", \"name\": \"X\", \"version\": \"1\"}, \"size\":",
        1,
    );
    assert_ne!(forged, V1);
    let error = HubSpec::from_json(&forged).unwrap_err();
    assert!(
        matches!(error, SpecReadError::Malformed { version: 1, .. }),
        "{error}"
    );
}

#[test]
fn catalog_references_round_trip() {
    let mut spec = course();
    spec.environments[0].catalog = Some(stoa_hubs::CatalogRef {
        entry: "datascience".into(),
        name: "Jupyter Data Science".into(),
        version: "2026-04-27".into(),
    });
    assert_eq!(HubSpec::from_json(&spec.to_json()).unwrap(), spec);
}

#[test]
fn round_trips() {
    for (name, spec) in all() {
        assert_eq!(HubSpec::from_json(&spec.to_json()).unwrap(), spec, "{name}");
    }
}

#[test]
fn unreadable_versions_say_why() {
    assert!(matches!(
        HubSpec::from_json("{}"),
        Err(SpecReadError::NoVersion(_))
    ));
    assert!(matches!(
        HubSpec::from_json("not json"),
        Err(SpecReadError::NoVersion(_))
    ));
    assert!(matches!(
        HubSpec::from_json(r#"{"schema_version": 0}"#),
        Err(SpecReadError::NoVersion(_))
    ));
    assert!(matches!(
        HubSpec::from_json(r#"{"schema_version": 99}"#),
        Err(SpecReadError::TooNew(99))
    ));
    let with_typo = V1.replacen("\"named_servers\"", "\"named_server\"", 1);
    let error = HubSpec::from_json(&with_typo).unwrap_err();
    assert!(matches!(error, SpecReadError::Malformed { version: 1, .. }));
    assert!(error.to_string().contains("named_server"), "{error}");
}
