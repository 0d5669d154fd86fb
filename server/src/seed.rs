//! `stoa seed --demo`: realistic demo data, so a fresh portal shows a living directory.
//! Safe to run again: rows that exist already are left alone.

use chrono::{Duration, Utc};
use stoa_db::communities::{self, NewCommunity};
use stoa_db::{Db, DbError, Timestamp};

/// slug, name, field, description, website, days since sign-up
type DemoCommunity = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    i64,
);

const COMMUNITIES: &[DemoCommunity] = &[
    (
        "ocean-modelling-lab",
        "Ocean Modelling Lab",
        "Oceanography",
        "Regional ocean simulations with MOM6 and ROMS; students run analysis notebooks against shared model output.",
        Some("https://ocean-lab.example.edu"),
        3,
    ),
    (
        "data8-fall",
        "Data 8: Foundations of Data Science",
        "Data science education",
        "An introductory course for 1,200 undergraduates; every student gets the same environment on day one.",
        Some("https://data8.example.edu"),
        9,
    ),
    (
        "cryo-cloud",
        "CryoCloud",
        "Glaciology",
        "A NASA-funded community working with ICESat-2 and satellite imagery of ice sheets, on cloud-hosted data.",
        Some("https://cryo.example.org"),
        17,
    ),
    (
        "neuro-imaging-consortium",
        "Neuroimaging Consortium",
        "Neuroscience",
        "Seven labs sharing preprocessing pipelines for MRI data; GPU sessions for model fitting.",
        None,
        26,
    ),
    (
        "climate-risk-workshop",
        "Climate Risk Workshop 2026",
        "Climate science",
        "A two-week summer school on downscaled climate projections; memberships end when the workshop does.",
        Some("https://climate-risk.example.org"),
        34,
    ),
    (
        "genomics-core",
        "Genomics Core Facility",
        "Bioinformatics",
        "Shared notebooks for sequencing QC and variant calling, with large-memory environments for assembly.",
        Some("https://genomics.example.edu"),
        48,
    ),
    (
        "hydrology-commons",
        "Hydrology Commons",
        "Hydrology",
        "Watershed models and streamflow data for a consortium of hydrology groups across three countries.",
        None,
        61,
    ),
    (
        "econ-methods",
        "Econometrics Methods Seminar",
        "Economics",
        "Graduate seminar using R and Python side by side; RStudio is the default interface.",
        None,
        75,
    ),
    (
        "astro-surveys",
        "Astronomical Surveys Group",
        "Astronomy",
        "Catalogue cross-matching and light-curve analysis on survey data releases.",
        Some("https://astro.example.edu"),
        90,
    ),
    (
        "seismo-lab",
        "Seismology Lab",
        "Geophysics",
        "Waveform analysis with ObsPy; shared read-only data directory for continuous station archives.",
        None,
        112,
    ),
    (
        "digital-humanities",
        "Digital Humanities Hub",
        "Humanities",
        "Text mining of historical newspapers, with a notebook per project and group-restricted archives.",
        Some("https://dh.example.org"),
        140,
    ),
    (
        "ml-teaching-lab",
        "Machine Learning Teaching Lab",
        "Computer science education",
        "Hands-on courses in deep learning; small GPU profile for assignments, quotas per student.",
        None,
        175,
    ),
    (
        "public-health-analytics",
        "Public Health Analytics",
        "Epidemiology",
        "Surveillance dashboards and outbreak models for a regional public-health partnership.",
        None,
        210,
    ),
    (
        "materials-sim",
        "Materials Simulation Network",
        "Materials science",
        "DFT post-processing and interactive visualisation of crystal structures.",
        Some("https://materials.example.edu"),
        260,
    ),
];

/// Inserts the demo communities that are not there yet; returns how many were added.
pub async fn demo(db: &Db) -> Result<usize, DbError> {
    let mut added = 0;
    let mut tx = db.begin().await?;
    for &(slug, name, field, description, website, days_ago) in COMMUNITIES {
        let new = NewCommunity {
            slug,
            name,
            description,
            field,
            website,
        };
        let joined = Timestamp::from(Utc::now() - Duration::days(days_ago));
        match communities::insert(tx.conn(), &new, joined).await {
            Ok(_) => added += 1,
            Err(DbError::Conflict) => {}
            Err(other) => return Err(other),
        }
    }
    tx.commit().await?;
    Ok(added)
}

/// The number of demo communities.
pub fn demo_community_count() -> usize {
    COMMUNITIES.len()
}
