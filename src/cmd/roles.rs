//! `archbench roles`: every role with its routes and the warnings its author should see.

use super::setup::role_book;
use crate::cli::{exit, CommonArgs};

pub fn command(common: &CommonArgs) -> i32 {
    let book = match role_book(common) {
        Ok(b) => b,
        Err(code) => return code,
    };
    for role in book.all() {
        crate::say!("{} — {}", role.id, role.title);
        crate::say!("  {}", role.description);
        crate::say!("  source: {}", role.source);
        if !role.sections.is_empty() {
            crate::say!("  sections: {}", role.sections.join(", "));
        }
        for (i, option) in role.routes.iter().enumerate() {
            crate::say!(
                "  {}. {:<16} → {:<28} ({})",
                i + 1,
                option.label,
                option.target,
                option.id
            );
        }
        for warning in role.warnings() {
            crate::say!("  warning: {warning}");
        }
        crate::say!();
    }
    exit::OK
}
