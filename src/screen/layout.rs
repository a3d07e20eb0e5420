//! Where each pane goes. Pure, so `update` (for page sizes and wrap width) and `draw` agree.

use ratatui::layout::{Constraint, Layout, Margin, Rect};

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Rows the inline mode's viewport takes at the bottom of the screen (the workbench's minimum).
pub const INLINE_ROWS: u16 = MIN_HEIGHT;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub brief: Rect,
    pub answer: Rect,
    pub routes: Rect,
    /// The outline above the routes, on terminals tall enough for both; otherwise the side pane
    /// shows whichever of the two has focus.
    pub outline: Option<Rect>,
    pub notice: Rect,
    pub hints: Rect,
}

impl Areas {
    /// The same panes with the screen's top left corner at (`x`, `y`) (an inline viewport starts
    /// below the rows already on the screen).
    pub fn at(mut self, x: u16, y: u16) -> Self {
        let shift = |r: Rect| Rect::new(r.x + x, r.y + y, r.width, r.height);
        self.header = shift(self.header);
        self.brief = shift(self.brief);
        self.answer = shift(self.answer);
        self.routes = shift(self.routes);
        self.outline = self.outline.map(shift);
        self.notice = shift(self.notice);
        self.hints = shift(self.hints);
        self
    }

    /// The answer pane inside its border.
    pub fn answer_inner(&self) -> Rect {
        self.answer.inner(Margin::new(1, 1))
    }
}

/// The pane that fills the screen when one is zoomed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zoom {
    Brief,
    Answer,
    Outline,
    Routes,
}

/// The panes with `zoom`'s pane over the whole body (the others get no room).
pub fn zoomed(width: u16, height: u16, zoom: Option<Zoom>) -> Option<Areas> {
    let mut areas = areas(width, height)?;
    let Some(zoom) = zoom else {
        return Some(areas);
    };
    let body = Rect::new(
        0,
        areas.header.bottom(),
        width,
        areas.notice.y.saturating_sub(areas.header.bottom()),
    );
    let nothing = Rect::new(0, body.y, 0, 0);
    areas.brief = nothing;
    areas.answer = nothing;
    areas.routes = nothing;
    areas.outline = None;
    match zoom {
        Zoom::Brief => areas.brief = body,
        Zoom::Answer => areas.answer = body,
        Zoom::Outline => areas.outline = Some(body),
        Zoom::Routes => areas.routes = body,
    }
    Some(areas)
}

/// The panes for a terminal of `width` x `height`; `None` below the minimum size.
pub fn areas(width: u16, height: u16) -> Option<Areas> {
    if width < MIN_WIDTH || height < MIN_HEIGHT {
        return None;
    }
    let screen = Rect::new(0, 0, width, height);
    let [header, body, notice, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(screen);
    // Wide enough at 80 columns for `backup_disaster_specialist` under its label.
    let side = (width / 4).clamp(30, 48);
    let [left, side] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(side)]).areas(body);
    let brief_rows = (body.height / 3).clamp(6, 14);
    let [brief, answer] =
        Layout::vertical([Constraint::Length(brief_rows), Constraint::Min(0)]).areas(left);
    let (outline, routes) = if side.height >= 36 {
        let [outline, routes] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(20)]).areas(side);
        (Some(outline), routes)
    } else {
        (None, side)
    };
    Some(Areas {
        header,
        brief,
        answer,
        routes,
        outline,
        notice,
        hints,
    })
}
