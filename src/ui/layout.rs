//! Where each pane goes. Pure, so `update` (for page sizes and wrap width) and `draw` agree.

use ratatui::layout::{Constraint, Layout, Margin, Rect};

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

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
    /// The answer pane inside its border.
    pub fn answer_inner(&self) -> Rect {
        self.answer.inner(Margin::new(1, 1))
    }
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
