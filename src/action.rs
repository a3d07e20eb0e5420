//! What the user meant: keys are resolved to actions by [`crate::keymap`].

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Leave archbench (asks again while an answer is not handed off).
    Quit,
    /// Show or fold the model's reasoning for the attempt on screen.
    ToggleReasoning,
    /// Edit the brief in `$VISUAL` / `$EDITOR`.
    EditExternally,
    /// Give the focused pane the whole screen, or give the others back.
    Zoom,
    /// Use the next theme.
    NextTheme,
    /// Open the model picker.
    PickModel,
    /// Open the history of runs kept in the session store.
    OpenHistory,
    /// Show every status-line message of this session, in full.
    Messages,
    /// Put the draft an earlier workbench left for this brief in place of the brief on screen.
    TakeDraft,
    /// Mark the chosen run as one side of a comparison.
    HistoryMark,
    /// Compare the marked run with the chosen one, side by side.
    HistoryCompare,
    /// Take up the chosen run's conversation in the workbench.
    HistoryContinue,
    /// Load the chosen run's brief to run it again (asks for the role).
    HistoryRerun,
    /// Send the brief to the agent.
    Run,
    /// Stop the running answer; what arrived stays, marked cancelled.
    Cancel,
    /// Move keyboard focus to the next pane.
    FocusNext,
    /// Move keyboard focus to the previous pane.
    FocusPrev,
    /// Show or hide the list of keys.
    Help,
    /// Comment on lines of the answer (marking them first) or on the outline's chosen section.
    Comment,
    /// The schema the SQL check built, table by table.
    SchemaView,
    /// Back to the table followed from.
    SchemaBack,
    /// The attempt on screen against the one before it.
    DiffAttempt,
    /// The answer's queries, each beside the plan the SQL check got for it.
    QueryPlans,
    /// The inbox of reviews waiting for a person (read again when open).
    OpenInbox,
    /// In the inbox: show one role's reviews, the next role's, then all.
    InboxRole,
    /// In the inbox: show reviews older than an hour, a day, then all.
    InboxAge,
    /// The list of comments on the attempt on screen.
    Comments,
    /// The brief's checklist.
    Checklist,
    /// Extend the marked lines up / down.
    ExtendUp,
    ExtendDown,
    /// Mark the chosen checklist item.
    MarkMet,
    MarkNotMet,
    MarkNotApplicable,
    MarkOpen,
    /// Add, reword or delete a row of the list open (checklist items, comments).
    AddItem,
    EditItem,
    DeleteItem,
    ScrollUp,
    ScrollDown,
    PageUp,
    PageDown,
    /// Jump to the top of the answer.
    Top,
    /// Jump to the end of the answer and follow it as it grows.
    Bottom,
    /// Show the previous attempt's answer.
    PrevAttempt,
    /// Show the next attempt's answer.
    NextAttempt,
    /// Choose routing option n (0-based).
    Choose(usize),
    RouteUp,
    RouteDown,
    /// Hand the work off along the chosen route.
    Confirm,
    /// Open the feedback editor to send the agent back with notes.
    Revise,
    /// Send the feedback: the same role runs again with the conversation so far.
    SendFeedback,
    /// Close the feedback editor; its text is kept for later.
    CloseFeedback,
    /// Undo in the editor that has focus.
    Undo,
    /// Previous row of the list in focus (the outline, the code blocks).
    PrevItem,
    /// Next row of the list in focus.
    NextItem,
    /// Open the chosen row: show that heading or code block in the answer.
    OpenItem,
    /// Fold or unfold the chosen heading's subsections in the outline.
    OutlineFold,
    /// Scroll half a page.
    HalfPageUp,
    HalfPageDown,
    /// Jump to the previous / next code block.
    PrevBlock,
    NextBlock,
    /// Copy the code block in view to the clipboard.
    CopyBlock,
    /// Copy the whole answer to the clipboard.
    CopyAnswer,
    /// Ask for a folder and save every code block there.
    SaveBlocks,
    /// Ask for a folder and export the answer as markdown there.
    ExportAnswer,
    /// Ask for a search term.
    Search,
    /// Next / previous search match.
    NextMatch,
    PrevMatch,
    /// Show the numbered list of code blocks.
    BlockList,
    /// Show the SQL check's findings: errors, unavailable extensions, lints, skipped blocks.
    CheckList,
    /// Check the answer's SQL again (a fresh scratch database).
    Recheck,
    /// Copy the chosen heading's whole section.
    CopySection,
    /// Hand off to a role the prompt does not list, with a reason.
    Override,
    /// Reject the answer: nothing is handed off, the chain stops.
    Reject,
    /// Ask the agent again, for the decision line only.
    Reask,
    /// Open the editor of the brief the next role receives.
    EditPayload,
    /// Keep the edited brief for the handoff and close the editor.
    SavePayload,
    /// Close the brief editor; the edits are kept.
    ClosePayload,
    /// Start the next role's brief again from the composed one.
    ResetPayload,
    /// Save the review for later (`archbench resume`).
    Defer,
    /// Accept the one-line prompt.
    SubmitPrompt,
    /// Close the one-line prompt.
    ClosePrompt,
}
