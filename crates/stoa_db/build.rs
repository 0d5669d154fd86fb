//! Rebuild when a migration is added or changed: `sqlx::migrate!` embeds the folders at
//! compile time, and cargo would not otherwise notice a new file (as sqlx's docs advise).
fn main() {
    println!("cargo:rerun-if-changed=../../migrations/sqlite");
    println!("cargo:rerun-if-changed=../../migrations/postgres");
}
