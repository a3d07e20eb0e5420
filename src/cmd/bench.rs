//! `archbench bench`: the figures of PERFORMANCE.md, or one of its helpers (the corpus server,
//! a measured command, the memory probe).

use super::fail;
use crate::cli::exit;

/// Runs the benchmark, or the helper the arguments ask for.
pub fn command(args: &crate::cli::BenchArgs) -> i32 {
    if let Some(tokens) = args.memory_probe {
        return match crate::bench::memory_probe(tokens) {
            Ok(kb) => {
                crate::say!("{kb}");
                exit::OK
            }
            Err(e) => fail(exit::PROVIDER, &e),
        };
    }
    if let Some(out) = &args.measure {
        return crate::bench::measure::measure(out, &args.command)
            .unwrap_or_else(|e| fail(exit::BAD_INPUT, &e));
    }
    #[cfg(feature = "local")]
    if args.first_token || args.first_token_probe {
        let model = args
            .model_path
            .clone()
            .unwrap_or_else(crate::paths::default_model_path);
        if args.first_token_probe {
            return match crate::bench::first_token::probe(&model, args.cache_dir.as_deref()) {
                Ok(()) => exit::OK,
                Err(e) => fail(exit::PROVIDER, &e),
            };
        }
        return match crate::bench::first_token::run(&model, args.runs, |step| {
            crate::tell!("bench: {step}")
        }) {
            Ok(rows) => {
                let command: Vec<String> = std::env::args().collect();
                crate::say!("| figure | measured | of F1 | | goal |\n|---|---|---|---|---|");
                crate::say!("{rows}");
                crate::say!("Command: `{}`", command.join(" "));
                exit::OK
            }
            Err(e) => fail(exit::PROVIDER, &e),
        };
    }
    if args.inbox {
        return table(crate::bench::inbox::run(args.seconds, |step| {
            crate::tell!("bench: {step}")
        }));
    }
    if args.check {
        return table(crate::bench::check::run(|step| {
            crate::tell!("bench: {step}")
        }));
    }
    if let Some(tokens) = args.serve {
        let rate = args.paced.then_some(args.rate);
        return match crate::bench::serve(tokens, rate) {
            Ok(()) => exit::OK,
            Err(e) => fail(exit::PROVIDER, &e),
        };
    }
    let config = crate::bench::Config {
        sizes: args.sizes.clone(),
        naive_sizes: args.naive_sizes.clone(),
        runs: args.runs,
        paced_rate: Some(args.rate),
        memory_probe: std::env::current_exe().ok(),
    };
    match crate::bench::run(&config, |step| crate::tell!("bench: {step}")) {
        Ok(report) => {
            let command: Vec<String> = std::env::args().collect();
            crate::say!("{}", report.markdown());
            crate::say!("Command: `{}`", command.join(" "));
            exit::OK
        }
        Err(e) => fail(exit::PROVIDER, &e),
    }
}

/// A benchmark's rows as a markdown table (figure, measured, goal, met), then the command that
/// made them.
fn table(rows: Result<String, String>) -> i32 {
    match rows {
        Ok(rows) => {
            let command: Vec<String> = std::env::args().collect();
            crate::say!("| figure | measured | goal | |\n|---|---|---|---|");
            for row in rows.lines() {
                crate::say!("{row}");
            }
            crate::say!("Command: `{}`", command.join(" "));
            exit::OK
        }
        Err(e) => fail(exit::PROVIDER, &e),
    }
}
