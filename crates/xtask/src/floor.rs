//! The floor: the least work any drop-folder pipeline must do for the same
//! guarantee. List the inbox, read each file, write its bytes as one JSON line,
//! fdatasync the output per batch of 256 (newsflow's default batch), then move
//! the batch's files to the archive and fsync the directories. One thread, no
//! parsing, no stages: newsflow's throughput over this is the figure that
//! holds on a noisy machine.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

const BATCH: usize = 256;

/// Processes every file of `inbox` into `out/floor.jsonl`, moving it to
/// `archive`. Returns (files, bytes).
pub fn run(inbox: &Path, archive: &Path, out: &Path) -> io::Result<(u64, u64)> {
    fs::create_dir_all(archive)?;
    fs::create_dir_all(out)?;
    let mut names: Vec<PathBuf> = fs::read_dir(inbox)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    names.sort();
    let mut sink = OpenOptions::new()
        .create(true)
        .append(true)
        .open(out.join("floor.jsonl"))?;
    let (mut files, mut bytes) = (0u64, 0u64);
    for batch in names.chunks(BATCH) {
        let mut buf = Vec::with_capacity(batch.len() * 8192);
        for path in batch {
            let data = fs::read(path)?;
            bytes += data.len() as u64;
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            let text = String::from_utf8_lossy(&data);
            serde_json::to_writer(&mut buf, &serde_json::json!({"file": name, "bytes": text}))
                .map_err(io::Error::other)?;
            buf.push(b'\n');
        }
        sink.write_all(&buf)?;
        sink.sync_data()?;
        for path in batch {
            fs::rename(path, archive.join(path.file_name().unwrap_or_default()))?;
            files += 1;
        }
        for d in [inbox, archive] {
            File::open(d)?.sync_all()?;
        }
    }
    Ok((files, bytes))
}
