//! Drawing: reads the state, never changes it. Markdown was parsed and highlighted when the text
//! arrived; here only the visible rows are sliced out of the cache.

pub mod answer;
pub mod diff;
pub mod header;
pub mod history;
pub mod inbox;
pub mod messages;
pub mod outline;
pub mod overlays;
pub mod panes;
pub mod picker;
pub mod plans;
pub mod routes;
pub mod schema_view;

use crate::screen::{colour, layout};
use crate::state::State;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

/// Draws the whole screen, in the colours the terminal can show.
pub fn draw(frame: &mut Frame, state: &State) {
    draw_panes(frame, state);
    colour::adapt(frame.buffer_mut(), state.colour);
}

fn draw_panes(frame: &mut Frame, state: &State) {
    let palette = state.theme.palette.clone();
    let size = frame.area();
    let Some(areas) = layout::zoomed(size.width, size.height, state.zoomed()) else {
        too_small(frame, size);
        return;
    };
    let areas = areas.at(size.x, size.y);
    header::draw(frame, areas.header, state, &palette);
    panes::brief(frame, areas.brief, state, &palette);
    answer::answer(frame, areas.answer, state, &palette);
    match areas.outline {
        Some(outline) => {
            outline::outline(frame, outline, state, &palette);
            routes::routes(frame, areas.routes, state, &palette);
        }
        None if state.focus == crate::state::Focus::Outline => {
            outline::outline(frame, areas.routes, state, &palette)
        }
        None => routes::routes(frame, areas.routes, state, &palette),
    }
    panes::notice(frame, areas.notice, state, &palette);
    panes::hints(frame, areas.hints, state, &palette);
    if let Some(open) = &state.picker {
        // Across the whole width: model names and server addresses are long.
        let area = Rect::new(size.x, areas.answer.y, size.width, areas.answer.height);
        picker::draw(frame, area, open, state, &palette);
    }
    if state.reasoning_open {
        overlays::reasoning(frame, areas.answer, state, &palette);
    }
    if let Some(selected) = state.block_list {
        overlays::block_list(frame, areas.answer, state, selected, &palette);
    }
    if let Some(selected) = state.check_list {
        overlays::check_list(frame, areas.answer, state, selected, &palette);
    }
    if let Some(open) = &state.diff {
        diff::draw(frame, areas.answer, open, &palette);
    }
    if let Some(selected) = state.comments_open {
        overlays::comments(frame, areas.answer, state, selected, &palette);
    }
    if let Some(selected) = state.checklist_open {
        overlays::checklist(frame, areas.answer, state, selected, &palette);
    }
    match state.review.mode {
        crate::state::ReviewMode::Feedback => {
            routes::feedback(frame, areas.answer, state, &palette)
        }
        crate::state::ReviewMode::EditPayload => {
            routes::payload(frame, areas.answer, state, &palette)
        }
        crate::state::ReviewMode::Choosing => {}
    }
    if let (Some(open), Ok(schema)) = (
        &state.schema_view,
        crate::state::schema_view::schema_of(state),
    ) {
        // A schema wants the whole width.
        schema_view::draw(frame, over_panes(size, &areas), schema, open, &palette);
    }
    if let (Some(open), Ok(plans)) = (&state.plans_view, crate::state::plans::plans_of(state)) {
        // The query and its plan side by side want the width.
        plans::draw(frame, over_panes(size, &areas), plans, open, &palette);
    }
    if let Some(open) = &state.inbox {
        let me = state.session.reviewer.label();
        inbox::draw(frame, over_panes(size, &areas), open, &me, &palette);
    }
    if let Some(open) = &state.history {
        history::draw(frame, over_panes(size, &areas), open, &palette);
    }
    if state.messages_open.is_some() {
        messages::draw(frame, size, state, &palette);
    }
    if state.help {
        overlays::help(frame, size, state.help_scroll, &palette);
    }
}

/// The panes' whole width and height, under the header and above the notice and keys, which go
/// on serving the screen: where the views that want room (schema, plans, history) are drawn.
fn over_panes(size: Rect, areas: &layout::Areas) -> Rect {
    Rect::new(
        size.x,
        areas.brief.y,
        size.width,
        areas.notice.y.saturating_sub(areas.brief.y),
    )
}

fn too_small(frame: &mut Frame, size: Rect) {
    let text = vec![
        Line::from("archbench needs a terminal of at least"),
        Line::from(format!(
            "{}x{}; this one is {}x{}.",
            layout::MIN_WIDTH,
            layout::MIN_HEIGHT,
            size.width,
            size.height
        )),
        Line::from("Enlarge the window; nothing is lost."),
    ];
    let top = size.height.saturating_sub(3) / 2;
    let area = Rect::new(
        size.x,
        size.y + top,
        size.width,
        size.height.saturating_sub(top),
    );
    frame.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true })
            .style(Style::default()),
        area,
    );
}
