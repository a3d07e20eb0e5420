//! The configuration file: TOML in the user's config folder (or `--config FILE`, or
//! `ARCHBENCH_CONFIG`). Everything in it is optional; a missing file means the defaults.
//!
//! Errors name the file and the line, so a person can go straight to the mistake. Keys are never
//! kept here: a key comes from an environment variable (or a command that prints it).

mod check;
mod example;
mod load;
mod schema;

pub use check::ConfigError;
pub use example::EXAMPLE;
pub use load::{load, load_all, parse, parse_all, path, read_unchecked, Loaded};
pub use schema::{
    CheckConfig, Config, HandoffConfig, LimitsConfig, ParamsConfig, Price, Profile, RetryConfig,
    RoleConfig, StoreConfig, TimeoutsConfig,
};
