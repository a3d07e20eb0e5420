//! The benchmark runs in CI on a small size: it must produce every figure. It reports; it does
//! not assert times (CI machines are shared and noisy).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[test]
fn the_benchmark_reports_every_figure_on_a_small_size() {
    let config = archbench::bench::Config {
        sizes: vec![800, 1600],
        naive_sizes: vec![800],
        runs: 1,
        paced_rate: Some(20_000.0),
        memory_probe: None,
    };
    let report = archbench::bench::run(&config, |_| {}).unwrap();
    assert_eq!(report.sizes.len(), 2);
    for size in &report.sizes {
        assert!(
            size.tokens > 0 && size.stream_cpu > std::time::Duration::ZERO && size.throughput > 0.0
        );
        assert!(size.frame_count > 0, "frames were drawn and timed");
    }
    assert!(report.sizes[0].naive_render_per_1k.is_some());
    assert!(report.paced.is_some());
    let text = report.markdown();
    for goal in ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P9"] {
        assert!(
            text.contains(&format!("| {goal} ")),
            "{goal} missing:\n{text}"
        );
    }
    println!("{text}");
}

#[test]
fn the_memory_probe_reads_this_process_peak() {
    let kb = archbench::bench::peak_rss_kb();
    assert!(kb > 1000, "{kb} KiB");
}
