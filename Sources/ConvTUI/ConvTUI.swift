// ConvTUI: the dashboard, drawn in the terminal.
//
// It owns the rendering core in ratatui's shape (`Rect`, `Style`, `Cell`, `Buffer`, `Layout`, the
// `Widget` protocol), the widgets and screens, the dashboard's state as pure functions of events
// (`RunModel.apply`, `DashboardState.apply`) and of key actions (`DashboardState.reduce`, which
// returns the commands to send), the one table of key bindings (`KeyTable`) that handling, help and
// footer share, and the terminal backends: `NCursesTerminal`, the only code that touches the
// terminal, and `MemoryTerminal` for tests.
//
// It imports ConvProtocol and the CNCurses shim only. It sees a run through the protocol's events
// and commands, never the training module or the engine, so that the same screens can show a run
// in this process, one behind a socket, or a journal read back.
