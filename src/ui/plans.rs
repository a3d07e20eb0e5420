//! The answer's queries beside their plans, over the panes: the query as the answer wrote it on
//! the left (above, when the screen is narrow), and beside it what the answer claims of it judged
//! against the planner, the plan as the planner makes it on the empty tables, and the plan with
//! sequential scans discouraged, which says whether an index of the design can serve it.

use super::panes::pane;
use crate::check::planner::QueryPlan;
use crate::sanitize::sanitize_line;
use crate::screen::theme::Palette;
use crate::state::plans::PlansView;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

/// Below this inner width the query goes above its plan rather than beside it.
const SIDE_BY_SIDE: u16 = 100;

pub fn draw(
    frame: &mut Frame,
    area: Rect,
    plans: &[QueryPlan],
    view: &PlansView,
    palette: &Palette,
) {
    frame.render_widget(Clear, area);
    let Some(plan) = plans.get(view.at) else {
        return;
    };
    let block = pane(
        format!(
            " Query {} of {} · line {} · {} · {} ",
            view.at + 1,
            plans.len(),
            plan.line,
            plan.kind,
            plan.served()
        ),
        true,
        palette,
    )
    .title_bottom(Line::from(Span::styled(
        " n next query · N previous · j/k scroll · Enter show it · Esc close ",
        Style::default().fg(palette.dim),
    )));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let query = query_lines(plan, palette);
    let planned = plan_lines(plan, palette);
    let scroll = u16::try_from(view.scroll).unwrap_or(u16::MAX);
    if inner.width >= SIDE_BY_SIDE {
        let [left, _, right] = Layout::horizontal([
            Constraint::Percentage(42),
            Constraint::Length(1),
            Constraint::Fill(1),
        ])
        .areas(inner);
        frame.render_widget(Paragraph::new(query).wrap(Wrap { trim: false }), left);
        frame.render_widget(
            Paragraph::new(planned)
                .wrap(Wrap { trim: false })
                .scroll((scroll, 0)),
            right,
        );
    } else {
        let mut lines = query;
        lines.push(Line::from(""));
        lines.extend(planned);
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .scroll((scroll, 0)),
            inner,
        );
    }
}

fn heading(text: String, palette: &Palette) -> Line<'static> {
    Line::styled(
        text,
        Style::default()
            .fg(palette.dim)
            .add_modifier(Modifier::BOLD),
    )
}

/// The query numbered with the answer's lines.
fn query_lines(plan: &QueryPlan, palette: &Palette) -> Vec<Line<'static>> {
    let mut lines = vec![heading("The query".into(), palette)];
    if plan.query.is_empty() {
        lines.push(Line::styled(
            format!("  at line {} (C checks again to show it here)", plan.line),
            Style::default().fg(palette.dim),
        ));
    }
    let width = (plan.line + plan.query.lines().count()).to_string().len();
    for (i, text) in plan.query.lines().enumerate() {
        lines.push(Line::from(vec![
            Span::styled(
                format!("{:>width$} ", plan.line + i),
                Style::default().fg(palette.dim),
            ),
            Span::raw(sanitize_line(text).into_owned()),
        ]));
    }
    lines
}

/// The claims judged, then the two plans.
fn plan_lines(plan: &QueryPlan, palette: &Palette) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if !plan.claims.is_empty() {
        lines.push(heading("What the answer claims".into(), palette));
        for claim in &plan.claims {
            let (mark, colour) = if claim.holds {
                ("✓ ", palette.success)
            } else {
                ("✗ ", palette.warning)
            };
            lines.push(Line::from(vec![
                Span::styled(
                    mark,
                    Style::default().fg(colour).add_modifier(Modifier::BOLD),
                ),
                Span::styled(
                    format!("line {}: {}", claim.line, sanitize_line(&claim.verdict())),
                    Style::default().fg(colour),
                ),
            ]));
        }
        lines.push(Line::from(""));
    }
    let mut section = |title: String, rows: &[String]| {
        lines.push(heading(title, palette));
        if rows.is_empty() {
            lines.push(Line::styled(
                "  (no plan)",
                Style::default().fg(palette.dim),
            ));
        }
        for row in rows {
            lines.push(Line::from(format!("  {}", sanitize_line(row))));
        }
        lines.push(Line::from(""));
    };
    section("The plan (EXPLAIN on the empty tables)".into(), &plan.plan);
    section(
        format!("With sequential scans discouraged: {}", plan.served()),
        &plan.indexed_plan,
    );
    lines.pop();
    lines
}
