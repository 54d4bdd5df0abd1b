//! Run with: `cargo run --example import_sqlite --features sqlite -- DIR DB`
//!
//! Loads a directory of photos laid out like `fixtures/persons/` (`<id>.<ext>` is a person's
//! photo, an empty `<id>.none` a person without one) into the SQLite database `DB`, creating the
//! file and its tables if needed. Serve the result with
//! `cargo run --example serve --features sqlite -- --sqlite DB`.

use person_image::store::Sqlite;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, db] = args.as_slice() else {
        eprintln!("usage: import_sqlite DIR DB");
        std::process::exit(2);
    };
    let summary = Sqlite::open(db).and_then(|store| store.import_directory(dir));
    match summary {
        Ok(summary) => {
            println!(
                "imported {} persons with a photo and {} without into {db}",
                summary.with_image.len(),
                summary.without_image.len()
            );
            for path in &summary.skipped {
                println!("skipped {}", path.display());
            }
        }
        Err(error) => {
            eprintln!("import failed: {error}");
            std::process::exit(1);
        }
    }
}
