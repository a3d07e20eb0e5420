//! `archbench config path|show|init|check`.

use super::setup::{env, outbox_with_source, role_book, settings_for_role};
use crate::cli::{exit, CommonArgs, ConfigCommand};
use crate::paths;

pub fn command(common: &CommonArgs, command: &ConfigCommand) -> i32 {
    let flag = common.config.as_deref();
    match command {
        ConfigCommand::Path => crate::cmd::config_path(flag),
        ConfigCommand::Show => config_show(common),
        ConfigCommand::Init => crate::cmd::config_init(flag),
        ConfigCommand::Check => match role_book(common) {
            Ok(book) => {
                crate::cmd::config_check(flag, &book.ids(), &paths::config_dir().join("themes"))
            }
            Err(code) => code,
        },
    }
}

/// `archbench config show`: every effective setting for the role, with its source.
pub fn config_show(common: &CommonArgs) -> i32 {
    let (loaded, role, settings) = match settings_for_role(common) {
        Ok(found) => found,
        Err(code) => return code,
    };
    match &loaded.path {
        Some(path) => crate::say!("configuration: {}", path.display()),
        None => crate::say!(
            "configuration: none ({} does not exist; archbench config init writes an example)",
            crate::config::path(common.config.as_deref()).display()
        ),
    }
    crate::say!("role: {}", role.id);
    let (dir, source) = outbox_with_source(common, &loaded.config);
    crate::say!("{:<12} {:<52} {source}", "outbox", dir.display());
    let mut rows = settings.report(&env);
    rows.extend(crate::cmd::config_report::rows(
        common, &loaded, &role.id, &env,
    ));
    for (name, value, source) in rows {
        crate::say!(
            "{name:<12} {:<52} {source}",
            crate::sanitize::sanitize_line(&value)
        );
    }
    exit::OK
}
