//! Spreadsheet guards on the way out: which columns of a written file get one.
//!
//! A file written as an export (the demo store, fixtures) carries the guard the platform's
//! exporter puts on every column; a file written for an importer carries it only in the columns
//! that importer takes it off again ([`crate::platform::ImportFile`]), so no guard ever reaches
//! a store as data.

use crate::model::Platform;
use crate::platform::{self, Guard};

/// The guard, if any, to put before each column's values, and whether before every value.
#[derive(Debug, Clone, Default)]
pub struct ColumnGuards(Vec<Option<(Guard, bool)>>);

impl ColumnGuards {
    /// As `platform`'s own exporter writes: every column guarded.
    pub fn export<S: AsRef<str>>(platform: Platform, header: &[S]) -> ColumnGuards {
        let guard = platform::export_guard(platform);
        ColumnGuards(
            header
                .iter()
                .map(|c| guard.map(|g| (g, g.always_in(c.as_ref()))))
                .collect(),
        )
    }

    /// As the importer of `file` on `platform` reads it: guards only where it takes them off.
    /// A file missing from the platform's importer list gets none (a test holds every writer's
    /// file to that list).
    pub fn import<S: AsRef<str>>(platform: Platform, file: &str, header: &[S]) -> ColumnGuards {
        match platform::import_file(platform, file) {
            Some(f) => ColumnGuards(
                f.guards_for(header)
                    .into_iter()
                    .map(|g| g.map(|g| (g, false)))
                    .collect(),
            ),
            None => ColumnGuards(vec![None; header.len()]),
        }
    }

    /// The guard of column `i`, and whether it goes before every value.
    pub fn of(&self, i: usize) -> Option<(Guard, bool)> {
        self.0.get(i).copied().flatten()
    }

    /// Appends a CSV row of `fields`, each guarded as its column wants.
    pub fn push_row<S: AsRef<str>>(&self, out: &mut Vec<u8>, fields: &[S], delimiter: u8) {
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                out.push(delimiter);
            }
            let value = f.as_ref();
            match self.of(i) {
                Some((g, always)) => {
                    super::table::push_field(out, &g.apply_in(always, value), delimiter)
                }
                None => super::table::push_field(out, value, delimiter),
            }
        }
        out.push(b'\n');
    }
}

#[cfg(test)]
#[path = "cells_tests.rs"]
mod tests;
