//! The audit log reader on any bytes: a report or problems naming lines; never a panic, and
//! never more records than lines.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let lines = bytes.split(|&b| b == b'\n').count();
    match archbench::store::audit::verify_bytes(bytes, None) {
        Ok(report) => assert!(report.records <= lines),
        Err(problems) => assert!(problems.iter().all(|p| p.line <= lines)),
    }
});
