//! Named crash points for durability tests. `STORESHIFT_CRASH_AT=<name>` makes the process die
//! at that point the way a kill -9 does (no destructors run, sled flushes nothing more), so a
//! test can stop a run inside a window far too narrow to hit with a timed kill. Unset, a crash
//! point costs one environment look-up; they sit at once-per-entity places only.

/// The environment variable naming the crash point to die at.
pub const CRASH_AT: &str = "STORESHIFT_CRASH_AT";

/// Dies here when `STORESHIFT_CRASH_AT` names this point.
pub fn point(name: &str) {
    if std::env::var_os(CRASH_AT).is_some_and(|v| v == name) {
        // abort, not exit: exit would still flush stdio and run atexit handlers, a kill does not.
        std::process::abort();
    }
}
