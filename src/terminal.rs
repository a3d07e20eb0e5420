//! The terminal: raw mode, the alternate screen, bracketed paste, and putting all of it back on
//! every way out (normal exit, error, panic). The only module that changes terminal modes.

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use crossterm::{cursor, execute};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use std::io::{self, Stdout};
use std::sync::atomic::{AtomicBool, Ordering};

pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// Whether the alternate screen is on. Leaving it restores the cursor saved on entering, so
/// leaving twice (the panic hook, then the guard) would move the cursor back over the panic
/// message, and leaving it in the inline mode, which never entered it, over the scrollback.
static ALTERNATE: AtomicBool = AtomicBool::new(false);

fn enter_alternate() -> io::Result<()> {
    execute!(io::stdout(), EnterAlternateScreen)?;
    ALTERNATE.store(true, Ordering::SeqCst);
    Ok(())
}

/// Restores the terminal when dropped.
pub struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// Enters the full-screen mode and returns the terminal with a guard that leaves it. With
/// `mouse`, the wheel scrolls (and the terminal's own selection needs Shift held).
pub fn enter(mouse: bool) -> io::Result<(Term, Guard)> {
    install_panic_hook();
    enable_raw_mode()?;
    let guard = Guard;
    enter_alternate()?;
    execute!(io::stdout(), EnableBracketedPaste)?;
    if mouse {
        execute!(io::stdout(), EnableMouseCapture)?;
    }
    let terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    Ok((terminal, guard))
}

/// Hands the terminal to another program (the editor): the main screen, cooked mode, a cursor.
pub fn suspend() {
    restore();
}

/// Takes the terminal back after [`suspend`].
pub fn resume(mouse: bool) -> io::Result<()> {
    enable_raw_mode()?;
    enter_alternate()?;
    execute!(io::stdout(), EnableBracketedPaste)?;
    if mouse {
        execute!(io::stdout(), EnableMouseCapture)?;
    }
    Ok(())
}

/// The workbench without the alternate screen: a viewport at the bottom of the normal screen,
/// with the answer written into the scrollback above it as it completes (`--inline`).
pub fn enter_inline(mouse: bool) -> io::Result<(Term, Guard)> {
    install_panic_hook();
    enable_raw_mode()?;
    let guard = Guard;
    execute!(io::stdout(), EnableBracketedPaste)?;
    if mouse {
        execute!(io::stdout(), EnableMouseCapture)?;
    }
    let terminal = Terminal::with_options(
        CrosstermBackend::new(io::stdout()),
        ratatui::TerminalOptions {
            viewport: ratatui::Viewport::Inline(crate::screen::layout::INLINE_ROWS),
        },
    )?;
    Ok((terminal, guard))
}

/// Leaves raw mode and the alternate screen; safe to call more than once.
pub fn restore() {
    let _ = execute!(io::stdout(), DisableMouseCapture, DisableBracketedPaste);
    if ALTERNATE.swap(false, Ordering::SeqCst) {
        let _ = execute!(io::stdout(), LeaveAlternateScreen);
    }
    let _ = execute!(io::stdout(), cursor::Show);
    let _ = disable_raw_mode();
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // Restore first, or the panic message is lost on the alternate screen.
        restore();
        // The state is out of reach once the loop unwinds; the brief is kept from its copy.
        crate::store::draft::flush_on_panic();
        previous(info);
    }));
}
