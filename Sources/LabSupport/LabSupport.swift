// The LabSupport module: what every other module may use. The seeded generator
// (SeededGenerator.swift), atomic file writes with their kill point for tests (AtomicFile.swift),
// the one-line error with its exit status (`LabError`), stderr that never fails the work
// (`Console`), Ctrl-C as a flag (`Interrupt`), named numeric tables (`Table`), number formats,
// deterministic JSON (`LabJSON`) and threads for blocking work (`Background`, `Batch`).
//
// Imports: Foundation and Dispatch only.
