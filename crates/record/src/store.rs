//! Opening the daemon's redb stores so that a kill at any instant leaves them
//! openable.

use std::path::Path;

/// Opens the redb database at `path` with a page cache of `cache_bytes`,
/// creating it atomically when it does not exist yet: a SIGKILL while redb wrote
/// a new file's first pages left a file it refused to open again ("invalid
/// data"), and the daemon could not start. A new database is made under a
/// temporary name, synced, and renamed into place, so the path holds either
/// nothing or a complete database.
pub fn open_redb(path: &Path, cache_bytes: usize) -> Result<redb::Database, redb::DatabaseError> {
    let io = |e: std::io::Error| redb::DatabaseError::Storage(redb::StorageError::Io(e));
    if !path.exists() {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".new");
        let tmp = std::path::PathBuf::from(tmp);
        // A half-made one from a killed start.
        match std::fs::remove_file(&tmp) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        drop(redb::Builder::new().create(&tmp)?);
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)?;
        if let Some(dir) = path.parent() {
            std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(io)?;
        }
    }
    redb::Builder::new()
        .set_cache_size(cache_bytes)
        .create(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_half_made_store_from_a_killed_start_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.redb");
        // What a kill during creation leaves beside the store.
        std::fs::write(dir.path().join("x.redb.new"), b"garbage").unwrap();
        let db = open_redb(&path, 1 << 20).unwrap();
        drop(db);
        assert!(!dir.path().join("x.redb.new").exists());
        open_redb(&path, 1 << 20).unwrap();
    }
}
