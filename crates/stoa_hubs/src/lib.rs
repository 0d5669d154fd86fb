#![doc = include_str!("../README.md")]

mod bounds;
mod diff;
mod enforcement;
pub mod image;
pub mod local;
mod markdown;
pub mod quota;
mod render;
mod spec;
mod validate;
pub mod z2jh;

pub use bounds::{Bounds, BoundsOverride, GIB, SizeChoice, byte_spec};
pub use diff::{Change, diff, unified_yaml_diff, unified_z2jh_diff};
pub use enforcement::{Enforcement, FieldEnforcement, enforcement};
pub use image::{
    IMAGE_REFERENCE_MESSAGE, IMAGE_REFERENCE_PATTERN, ImageParts, MAX_IMAGE_REFERENCE_CHARS,
    check_image_reference,
};
pub use local::{LOCAL_FORMAT, LocalConfig, render_local, render_local_json};
pub use markdown::announcement_html;
pub use render::{RenderContext, RenderError, default_url, role_group};
pub use spec::{
    CatalogRef, Culling, DefaultInterface, Environment, EventCapacity, Homepage, HubSpec,
    LoginRules, SCHEMA_VERSION, SpecReadError, StaffEnvironment, StaffSettings,
    touches_staff_fields,
};
pub use validate::{
    MAX_ANNOUNCEMENT_CHARS, MAX_DESCRIPTION_CHARS, MAX_DISPLAY_NAME_CHARS, MAX_GIT_TEXT_CHARS,
    MAX_LOGIN_RULES, MAX_NAME_CHARS, MAX_SLUG_CHARS, ValidationContext, validate,
};
pub use z2jh::{check_z2jh_values, merge_onto_chart_defaults, render_z2jh, z2jh_values};
