//! Writes the fuzz targets' seed corpus: `cargo run --features fuzzing --example fuzz_corpus
//! [DIR]` (default `fuzz/corpus`), one file per input, `seed-NN` (libFuzzer names the inputs it
//! adds by their hash, so the two never collide).

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let root = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "fuzz/corpus".into()));
    for (target, inputs) in norman_mcp::fuzzing::seeds() {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir)?;
        for (i, input) in inputs.iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i:02}")), input)?;
        }
    }
    Ok(())
}
