//! The schema view: the tables the SQL check built (from its catalog), one chosen and drawn with
//! its keys in and out; related tables are followed by number, `b` goes back, `/` finds a table
//! by name, Enter shows the answer line that created it.

use super::notify::notice;
use super::{NoticeLevel, State};
use crate::action::Action;
use crate::check::schema::{Schema, Table};
use crate::effect::Effect;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaView {
    /// The chosen table, by name (names outlive positions in a filtered list).
    pub table: String,
    /// Tables followed to get here, to go back to.
    pub trail: Vec<String>,
    /// Only tables whose name holds this (case-insensitive).
    pub filter: Option<String>,
    /// Rows of the drawing scrolled past.
    pub scroll: usize,
}

/// A table related to the chosen one: by a key of its own (out) or by one of the other's (in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub table: String,
    pub columns: Vec<String>,
    pub referenced_columns: Vec<String>,
    pub outgoing: bool,
    pub on_delete: Option<String>,
}

/// The tables in list order, each with its depth: a partition under its parent.
pub fn listed<'s>(schema: &'s Schema, filter: Option<&str>) -> Vec<(&'s Table, usize)> {
    let needle = filter.map(str::to_lowercase);
    let keep = |t: &Table| {
        needle
            .as_deref()
            .is_none_or(|n| t.name.to_lowercase().contains(n))
    };
    let mut out = Vec::new();
    let visit = |t: &'s Table, depth: usize, out: &mut Vec<(&'s Table, usize)>| {
        if keep(t) {
            out.push((t, depth));
        }
    };
    for table in schema.tables.iter().filter(|t| t.partition_of.is_none()) {
        visit(table, 0, &mut out);
        for part in schema.tables.iter().filter(|p| {
            p.partition_of
                .as_ref()
                .is_some_and(|(of, _)| *of == table.name)
        }) {
            visit(part, 1, &mut out);
        }
    }
    out
}

/// The keys into `table` (others' foreign keys) then the keys out of it (its own).
pub fn related(schema: &Schema, table: &Table) -> Vec<Related> {
    let outgoing = table.foreign_keys.iter().map(|k| Related {
        table: k.references.clone(),
        columns: k.columns.clone(),
        referenced_columns: k.referenced_columns.clone(),
        outgoing: true,
        on_delete: k.on_delete.clone(),
    });
    let incoming = schema
        .relationships()
        .filter(|(_, k)| k.references == table.name)
        .map(|(from, k)| Related {
            table: from.name.clone(),
            columns: k.columns.clone(),
            referenced_columns: k.referenced_columns.clone(),
            outgoing: false,
            on_delete: k.on_delete.clone(),
        });
    // Drawn top to bottom: the keys in above the table, its own keys below, numbered in order.
    incoming.chain(outgoing).collect()
}

/// The schema the check built for the attempt on screen, or why there is none.
pub fn schema_of(state: &State) -> Result<&Schema, String> {
    let report = super::checks::report_of(state).ok_or_else(|| {
        "The schema comes from the SQL check of the answer: C checks it.".to_string()
    })?;
    match &report.schema {
        Some(Ok(schema)) if !schema.tables.is_empty() => Ok(schema),
        Some(Ok(_)) => Err("The answer's SQL creates no tables.".into()),
        Some(Err(e)) => Err(format!("The schema could not be read: {e}")),
        None => Err(report.not_applied.clone().map_or(
            "The SQL was not applied: there is no schema to show.".into(),
            |why| format!("The SQL was not applied ({why}): there is no schema to show."),
        )),
    }
}

/// `S`: the schema view, at the first table.
pub(super) fn open(state: &mut State) {
    match schema_of(state) {
        Ok(schema) => {
            let first = listed(schema, None)
                .first()
                .map(|(t, _)| t.name.clone())
                .unwrap_or_default();
            state.schema_view = Some(SchemaView {
                table: first,
                ..Default::default()
            });
        }
        Err(why) => notice(state, NoticeLevel::Info, why),
    }
}

/// Keys while the schema view is open; `None` passes the action on (the view closes).
pub(super) fn key(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    let mut view = state.schema_view.clone()?;
    let Ok(schema) = schema_of(state) else {
        state.schema_view = None;
        return None;
    };
    let list: Vec<String> = listed(schema, view.filter.as_deref())
        .iter()
        .map(|(t, _)| t.name.clone())
        .collect();
    let at = list.iter().position(|n| *n == view.table).unwrap_or(0);
    let chosen = schema.table(&view.table).cloned();
    let choose = |view: &mut SchemaView, name: Option<&String>| {
        if let Some(name) = name {
            view.table = name.clone();
            view.scroll = 0;
        }
    };
    match action {
        Action::PrevItem => choose(&mut view, list.get(at.saturating_sub(1))),
        Action::NextItem => choose(&mut view, list.get(at + 1)),
        Action::ScrollDown => view.scroll += 1,
        Action::ScrollUp => view.scroll = view.scroll.saturating_sub(1),
        Action::Choose(n) => {
            let related = chosen
                .as_ref()
                .map(|t| related(schema, t))
                .unwrap_or_default();
            match related.get(n) {
                Some(r) if schema.table(&r.table).is_some() => {
                    view.trail.push(view.table.clone());
                    // Following a key leaves any filter: the table followed may not match it.
                    view.filter = None;
                    choose(&mut view, Some(&r.table));
                }
                Some(r) => {
                    let text = format!("{} is not among the tables the check built.", r.table);
                    notice(state, NoticeLevel::Warning, text);
                }
                None => notice(
                    state,
                    NoticeLevel::Info,
                    format!("There is no relationship {}.", n + 1),
                ),
            }
        }
        Action::SchemaBack => match view.trail.pop() {
            Some(previous) => {
                view.filter = None;
                choose(&mut view, Some(&previous));
            }
            None => notice(state, NoticeLevel::Info, "This is where you started."),
        },
        Action::Search => {
            state.prompt = Some(super::Prompt {
                kind: super::PromptKind::SchemaSearch,
                input: super::new_editor(view.filter.as_deref().unwrap_or(""), ""),
            });
        }
        Action::OpenItem => {
            let line = chosen.as_ref().and_then(|t| t.line);
            match line {
                Some(line) => {
                    state.schema_view = None;
                    super::view::show_line(state, line);
                    notice(
                        state,
                        NoticeLevel::Info,
                        format!("{} is created at line {line}.", view.table),
                    );
                    return Some(Vec::new());
                }
                None => notice(
                    state,
                    NoticeLevel::Info,
                    "No line of the answer creates this table by name.",
                ),
            }
        }
        Action::ClosePrompt | Action::SchemaView => {
            state.schema_view = None;
            return Some(Vec::new());
        }
        _ => {
            state.schema_view = None;
            return None;
        }
    }
    state.schema_view = Some(view);
    Some(Vec::new())
}

/// The search prompt was answered: the list holds only tables whose name has `text` (empty:
/// all), the first of them chosen.
pub(super) fn filter(state: &mut State, text: &str) {
    let Some(mut view) = state.schema_view.clone() else {
        return;
    };
    let Ok(schema) = schema_of(state) else {
        return;
    };
    let filter = (!text.trim().is_empty()).then(|| text.trim().to_string());
    let first = listed(schema, filter.as_deref())
        .first()
        .map(|(t, _)| t.name.clone());
    match first {
        Some(name) => {
            view.table = name;
            view.scroll = 0;
            view.filter = filter;
            state.schema_view = Some(view);
        }
        None => notice(
            state,
            NoticeLevel::Warning,
            format!("No table's name has “{}”.", text.trim()),
        ),
    }
}
