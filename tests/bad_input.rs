//! Every kind of bad or awkward input, end to end through `newsflow once`: each gets
//! a clear outcome (a record, or quarantine with a documented reason), never a panic.

mod common;
use common::*;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

const NEWS: &str = "The city council approved the new budget on Tuesday after a debate that lasted most of the afternoon.";

fn utf16(text: &str, le: bool) -> Vec<u8> {
    let mut out = if le {
        vec![0xff, 0xfe]
    } else {
        vec![0xfe, 0xff]
    };
    for u in text.encode_utf16() {
        out.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
    }
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn each_kind_of_bad_input_has_a_clear_outcome() {
    let ws = Workspace::with_extra("[intake]\nmax_bytes = 4096\n");
    // The generated config already has an [intake] table; merge by rewriting it.
    let cfg = std::fs::read_to_string(ws.config()).unwrap();
    let cfg = cfg.replace("[intake]\nmax_bytes = 4096\n", "").replace(
        "settle_ms = 200",
        "settle_ms = 200\nmax_bytes = 4096\nmax_decompressed_bytes = 1048576",
    );
    std::fs::write(ws.config(), cfg).unwrap();
    let inbox = ws.path("inbox");
    let put = |name: &str, bytes: &[u8]| std::fs::write(inbox.join(name), bytes).unwrap();

    // Refused, each with its reason.
    put("empty.txt", b"");
    put("image.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10");
    let noise: Vec<u8> = (0..3000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    put("noise.bin", &noise);
    put("big.txt", NEWS.repeat(50).as_bytes());
    put("broken.json", br#"{"title": "x", "body": "#);
    // Two items, neither of them an object.
    put("two.json", br#"[1, "two"]"#);
    // 2 MB of zeros in 2 KB: past max_decompressed_bytes, so a bomb.
    put("bomb.txt.gz", &gzip(&vec![0u8; 2 * 1024 * 1024]));
    // A gzip header, then damaged data.
    let mut corrupt = gzip(NEWS.as_bytes());
    corrupt.truncate(corrupt.len() / 2);
    put("cut.txt.gz", &corrupt);
    std::os::unix::fs::symlink("/etc/hostname", inbox.join("outside-link.txt")).unwrap();
    std::os::unix::fs::symlink("loop-b.txt", inbox.join("loop-a.txt")).unwrap();
    std::os::unix::fs::symlink("loop-a.txt", inbox.join("loop-b.txt")).unwrap();
    std::os::unix::fs::symlink("missing.txt", inbox.join("dangling.txt")).unwrap();
    let fifo = std::ffi::CString::new(inbox.join("pipe.txt").to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);

    // Decoded and processed.
    let mut bad_utf8 = NEWS.as_bytes().to_vec();
    bad_utf8.extend_from_slice(b" The mayor said \xff\xfe was a typo in the draft.");
    put("invalid-utf8.txt", &bad_utf8);
    put("bom.txt", format!("\u{feff}{NEWS}").as_bytes());
    put("utf16le.txt", &utf16(&format!("Zoë reports. {NEWS}"), true));
    put(
        "utf16be.txt",
        &utf16(&format!("Zoë reports. {NEWS}"), false),
    );
    put("cp1252.txt", b"Caf\xe9 owners said on Thursday that \x93business is slow\x94 after the new rules took effect in January.");
    put("latin1.txt", b"M\xfcller, the mayor of the small town, said on Monday that the bridge would reopen in \xe9t\xe9 next year.");
    std::fs::create_dir_all(inbox.join(".store")).unwrap();
    std::fs::write(inbox.join(".store/real.txt"), NEWS).unwrap();
    std::os::unix::fs::symlink(".store/real.txt", inbox.join("inside-link.txt")).unwrap();
    std::fs::create_dir_all(inbox.join("agency/2024")).unwrap();
    std::fs::write(inbox.join("agency/2024/deep.txt"), NEWS).unwrap();
    put("with space.txt", NEWS.as_bytes());
    put("new\nline.txt", NEWS.as_bytes());
    let non_utf8 = OsString::from_vec(b"caf\xe9-latin1-name.txt".to_vec());
    std::fs::write(inbox.join(&non_utf8), NEWS).unwrap();
    let long = format!("{}.txt", "x".repeat(251));
    put(&long, NEWS.as_bytes());

    // Unreadable: root reads anything, so this row is only meaningful for other users.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        put("secret.txt", NEWS.as_bytes());
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            inbox.join("secret.txt"),
            std::fs::Permissions::from_mode(0o000),
        )
        .unwrap();
    } else {
        eprintln!(
            "running as root: the no-read-permission row is skipped (root bypasses permissions)"
        );
    }

    let out = ws.once();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let quarantined = if root { 13 } else { 14 };
    assert!(
        stdout.contains(&format!("{quarantined} quarantined")),
        "{stdout}"
    );
    for (name, reason) in [
        ("empty.txt", "empty"),
        ("image.png", "binary"),
        ("noise.bin", "binary"),
        ("big.txt", "too_large"),
        ("broken.json", "malformed"),
        ("two.json", "malformed"),
        ("bomb.txt.gz", "too_large"),
        ("cut.txt.gz", "corrupt"),
        ("outside-link.txt", "bad_symlink"),
        ("loop-a.txt", "bad_symlink"),
        ("loop-b.txt", "bad_symlink"),
        ("dangling.txt", "bad_symlink"),
        ("pipe.txt", "not_regular_file"),
    ] {
        let note = ws.quarantine_note(name);
        assert_eq!(note["reason"], reason, "{name}: {note}");
        let msg = note["message"].as_str().unwrap();
        assert!(msg.len() > 20, "{name}: message too terse: {msg}");
    }
    let loop_note = ws.quarantine_note("loop-a.txt");
    assert!(
        loop_note["message"].as_str().unwrap().contains("loop"),
        "{loop_note}"
    );
    if !root {
        assert_eq!(ws.quarantine_note("secret.txt")["reason"], "unreadable");
    }

    let rec = ws.record_for("invalid-utf8.txt");
    assert!(rec["body"]
        .as_str()
        .unwrap()
        .starts_with("The city council"));
    let rec = ws.record_for("bom.txt");
    assert!(
        rec["body"]
            .as_str()
            .unwrap()
            .starts_with("The city council"),
        "BOM left in: {}",
        rec["body"]
    );
    assert_eq!(rec["source"]["encoding"], "UTF-8");
    for (name, enc) in [("utf16le.txt", "UTF-16LE"), ("utf16be.txt", "UTF-16BE")] {
        let rec = ws.record_for(name);
        assert_eq!(rec["source"]["encoding"], enc);
        assert!(
            rec["body"].as_str().unwrap().starts_with("Zoë reports."),
            "{name}: {}",
            rec["body"]
        );
    }
    assert!(ws.record_for("cp1252.txt")["body"]
        .as_str()
        .unwrap()
        .starts_with("Café owners said on Thursday that “business is slow”"));
    assert!(ws.record_for("latin1.txt")["body"]
        .as_str()
        .unwrap()
        .starts_with("Müller, the mayor"));
    assert_eq!(ws.record_for("inside-link.txt")["body"], NEWS);
    assert_eq!(
        ws.record_for("deep.txt")["source"]["path"],
        "agency/2024/deep.txt"
    );
    ws.record_for("with space.txt");
    ws.record_for("new\nline.txt");
    ws.record_for("caf\u{fffd}-latin1-name.txt");
    ws.record_for(&long);

    // Names survive exactly in the archive, and nothing is left behind.
    assert!(ws.path("archive").join(&non_utf8).exists());
    assert!(ws.path("archive").join("new\nline.txt").exists());
    assert!(ws.path("archive").join(&long).exists());
    assert!(ws.path("archive/agency/2024/deep.txt").exists());
    let left: Vec<String> = ws
        .files_in("inbox")
        .into_iter()
        .filter(|n| !n.starts_with(".store"))
        .collect();
    assert!(left.is_empty(), "left in the inbox: {left:?}");
    assert!(ws.files_in("state/claims").is_empty());
    assert!(
        ws.path("inbox/.store/real.txt").exists(),
        "the ignored symlink target must stay"
    );
}

#[test]
fn sub_directories_are_left_alone_when_not_recursive() {
    let ws = Workspace::new();
    let cfg = std::fs::read_to_string(ws.config())
        .unwrap()
        .replace("settle_ms = 200", "settle_ms = 200\nrecursive = false");
    std::fs::write(ws.config(), cfg).unwrap();
    std::fs::create_dir_all(ws.path("inbox/sub")).unwrap();
    std::fs::write(ws.path("inbox/sub/deep.txt"), NEWS).unwrap();
    std::fs::write(ws.path("inbox/top.txt"), NEWS).unwrap();
    let out = ws.once();
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 files, 1 records"));
    assert_eq!(ws.files_in("inbox"), vec!["sub/deep.txt"]);
}

#[test]
fn files_removed_by_their_producer_before_the_claim_are_not_errors() {
    let ws = Workspace::new();
    let daemon = ws.spawn_run();
    for i in 0..200 {
        let p = ws.path(&format!("inbox/gone{i}.txt"));
        std::fs::write(&p, NEWS).unwrap();
        // The daemon may or may not have claimed it already; either is fine.
        let _ = std::fs::remove_file(&p);
    }
    ws.drop_file("kept.txt", format!("Kept\n\n{NEWS}").as_bytes());
    wait_until(
        std::time::Duration::from_secs(30),
        "the kept file's record",
        || {
            ws.records()
                .iter()
                .any(|r| r["source"]["file_name"] == "kept.txt")
        },
    );
    let (status, log) = daemon.stop();
    assert!(status.success());
    assert!(
        ws.files_in("quarantine").is_empty(),
        "{:?}",
        ws.files_in("quarantine")
    );
    assert!(!log.contains("ERROR"), "{log}");
    assert!(ws.files_in("state/claims").is_empty());
}
