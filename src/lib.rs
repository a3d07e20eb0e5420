//! archbench: a terminal workbench that runs a role-prompted LLM agent on a brief, renders its
//! answer live, and hands the work off only after a person approves the route.
//!
//! The shape follows `ARCHITECTURE.md`: one state changed in one place ([`state::update`]), effects
//! returned as data and run by [`app`], drawing that only reads state ([`ui`]).

pub mod action;
pub mod app;
pub mod bench;
pub mod brief;
pub mod check;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod effect;
pub mod errors;
pub mod event;
pub mod headless;
pub mod input;
pub mod keymap;
pub mod logging;
pub mod models;
pub mod paths;
#[cfg(test)]
mod properties;
pub mod provider;
pub mod render;
pub mod review;
pub mod reviewer;
pub mod role;
pub mod routing;
pub mod sanitize;
pub mod say;
pub mod screen;
pub mod settings;
pub mod sink;
pub mod state;
pub mod store;
pub mod terminal;
mod test_hooks;
pub mod ui;
