//! Operations on a workspace when no run is live: rollback of what a run created, and recovery
//! of a damaged state database from the event log mirror.

use crate::config::MigrationConfig;
use crate::event::{EventKind, Level, RunState};
use crate::hub::read_mirror;
use crate::intervention::Decision;
use crate::runtime::{current_run, run_key, PauseFlag, RunRecord};
use crate::store::{entity_prefix, now_rfc3339, EntityCheckpoint, IdMapEntry, Step, Store, T};
use crate::workspace::Workspace;
use std::collections::BTreeMap;
use storeshift_connectors::model::Entity;
use storeshift_connectors::EndpointKind;

/// What a rollback would delete.
#[derive(Debug, Default)]
pub struct RollbackPlan {
    pub run: u32,
    /// entity → (id map key, target id) of records this run created.
    pub records: BTreeMap<Entity, Vec<(Vec<u8>, String)>>,
    /// File targets: the run's output directory.
    pub output_dir: Option<std::path::PathBuf>,
    /// The target's last committed checkpoint of each entity: what the target made besides
    /// the records (WooCommerce's product tags) is named there.
    pub checkpoints: Vec<(Entity, serde_json::Value)>,
}

/// What a rollback did.
#[derive(Debug, Default)]
pub struct RolledBack {
    pub deleted: usize,
    /// What the target removed or kept besides the records, and why.
    pub notes: Vec<String>,
}

impl RollbackPlan {
    pub fn count(&self) -> usize {
        self.records.values().map(Vec::len).sum()
    }
}

/// Lists exactly what the latest run created in the target — never what was already there.
pub fn rollback_plan(
    store: &Store,
    ws: &Workspace,
    cfg: &MigrationConfig,
) -> Result<RollbackPlan, String> {
    let rec = current_run(store).ok_or("this workspace has no run to roll back")?;
    let mut plan = RollbackPlan {
        run: rec.run,
        ..Default::default()
    };
    for entity in Entity::ALL {
        for item in store.tree(T::IdMap).scan_prefix(entity_prefix(entity)) {
            let (k, v) = item.map_err(|e| e.to_string())?;
            let Ok(entry) = serde_json::from_slice::<IdMapEntry>(&v) else {
                continue;
            };
            if entry.created_run == Some(rec.run) && !entry.target_id.is_empty() {
                plan.records
                    .entry(entity)
                    .or_default()
                    .push((k.to_vec(), entry.target_id));
            }
        }
    }
    if cfg.target.kind == EndpointKind::Files {
        plan.output_dir = Some(ws.output(rec.run));
    }
    for entity in Entity::ALL {
        let cp = store
            .get_json::<EntityCheckpoint>(T::Cursors, crate::runtime::cursor_key(rec.run, entity))
            .map_err(|e| e.to_string())?;
        if let Some(target) = cp.and_then(|c| c.target) {
            plan.checkpoints.push((entity, target));
        }
    }
    Ok(plan)
}

/// Deletes what the plan lists, newest entities first (orders before the customers they name),
/// committing each deletion to the id map so an interrupted rollback resumes cleanly.
pub async fn rollback(
    store: &Store,
    cfg: &MigrationConfig,
    ws: &Workspace,
    plan: &RollbackPlan,
) -> Result<RolledBack, String> {
    let mut deleted = 0;
    let mut notes = vec![];
    if let Some(dir) = &plan.output_dir {
        if dir.exists() {
            std::fs::remove_dir_all(dir)
                .map_err(|e| format!("cannot remove {}: {e}", dir.display()))?;
        }
    } else {
        let mut target =
            storeshift_connectors::open_target(&cfg.target, &cfg.base_dir, &ws.output(plan.run))
                .map_err(|e| format!("cannot open the target: {e}"))?;
        for (entity, records) in plan.records.iter().rev() {
            // The id map does not know the category tree, and platforms refuse to delete a
            // category that still has children: whatever is refused is tried again after the
            // rest of its entity is gone, for as long as each pass deletes something.
            let mut left: Vec<&(Vec<u8>, String)> = records.iter().collect();
            while !left.is_empty() {
                let mut refused = Vec::new();
                let mut first_error = None;
                for rec in left.iter().copied() {
                    let (key, target_id) = rec;
                    match target.delete(*entity, target_id).await {
                        Ok(()) => {
                            let mut step = Step::new(plan.run);
                            step.remove(T::IdMap, key);
                            store.commit(step).map_err(|e| e.to_string())?;
                            deleted += 1;
                        }
                        Err(e) => {
                            first_error.get_or_insert_with(|| {
                                format!("deleting {entity} {target_id} failed: {e}")
                            });
                            refused.push(rec);
                        }
                    }
                }
                if let Some(e) = first_error.filter(|_| refused.len() == left.len()) {
                    return Err(format!("{e}; run rollback again to continue"));
                }
                left = refused;
            }
        }
        notes = target
            .clean_up_after_rollback(&plan.checkpoints)
            .await
            .map_err(|e| format!("{e}; run rollback again to continue"))?;
    }
    let mut step = Step::new(plan.run);
    // Forget the run's ids and handles so a new run starts clean against the target.
    if plan.output_dir.is_some() {
        for records in plan.records.values() {
            for (key, _) in records {
                step.remove(T::IdMap, key);
            }
        }
        deleted = plan.count();
    }
    for item in store.tree(T::Handles).iter() {
        let (k, _) = item.map_err(|e| e.to_string())?;
        step.remove(T::Handles, k);
    }
    if let Some(mut rec) = current_run(store) {
        rec.state = RunState::Failed;
        rec.message = Some(format!(
            "rolled back at {}: {deleted} records deleted",
            now_rfc3339()
        ));
        rec.phases_done.clear();
        step.put_json(T::Meta, run_key(rec.run), &rec);
    }
    for entity in Entity::ALL {
        step.remove(T::Cursors, crate::runtime::cursor_key(plan.run, entity));
    }
    step.remove(T::Phases, crate::runtime::phase_key(plan.run, "analysis"));
    step.event(
        Level::Warn,
        None,
        EventKind::Log {
            message: format!(
                "rollback of run {}: {deleted} records removed from the target{}",
                plan.run,
                notes.iter().map(|n| format!("; {n}")).collect::<String>()
            ),
        },
    );
    store.commit(step).map_err(|e| e.to_string())?;
    Ok(RolledBack { deleted, notes })
}

/// Moves a damaged state database aside and starts a new one that keeps the run number, the
/// pause flag and every operator decision found in the event log mirror. The next run re-reads
/// the source and upserts by external key, so nothing is duplicated.
pub fn recover(ws: &Workspace) -> Result<String, String> {
    let state = ws.state();
    let events = read_mirror(&ws.events_mirror())
        .map_err(|e| format!("cannot read {}: {e}", ws.events_mirror().display()))?;
    let aside = ws.dir.join(format!(
        "state.damaged-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S")
    ));
    if state.exists() {
        std::fs::rename(&state, &aside)
            .map_err(|e| format!("cannot move {} aside: {e}", state.display()))?;
    }
    let store = Store::open(&state).map_err(|e| e.to_string())?;
    let run = events.iter().map(|e| e.run).max().unwrap_or(1);
    let mut decisions: BTreeMap<String, Decision> = BTreeMap::new();
    let mut paused = false;
    // A full cycle asked for and not yet begun is still owed after the recovery.
    let mut full_request: Option<crate::sync::FullRequest> = None;
    for ev in &events {
        match &ev.kind {
            EventKind::InterventionDecided {
                id,
                option,
                by,
                value,
            } => {
                // `OPTION:NOTE`: a decision whose note is part of it (a domain).
                let (option, note) = match option.split_once(':') {
                    Some((o, n)) => (o.to_string(), n.to_string()),
                    None => (option.clone(), "carried over by recovery".to_string()),
                };
                decisions.insert(
                    id.clone(),
                    Decision {
                        option,
                        note: Some(note),
                        value: value.clone(),
                        by: by.clone(),
                        at: ev.at.clone(),
                    },
                );
            }
            EventKind::Paused { .. } => paused = true,
            EventKind::Resumed { .. } => paused = false,
            EventKind::FullCycleRequested { by } => {
                full_request = Some(crate::sync::FullRequest {
                    by: by.clone(),
                    at: ev.at.clone(),
                })
            }
            EventKind::FullCycleStarted { .. } => full_request = None,
            _ => {}
        }
    }
    let mut step = Step::new(run);
    let rec = RunRecord {
        run,
        started_at: now_rfc3339(),
        finished_at: None,
        state: RunState::Running,
        phases_done: vec![],
        incremental: false,
        sync: false,
        cutover: false,
        full: false,
        elapsed_secs: 0,
        message: Some("recovered from the event log".into()),
    };
    step.put_json(T::Meta, "current_run", &run);
    step.put_json(T::Meta, run_key(run), &rec);
    step.put_json(T::Meta, "paused", &PauseFlag { paused });
    for (id, d) in &decisions {
        step.put_json(T::Meta, format!("carried/{id}"), d);
    }
    if let Some(request) = &full_request {
        crate::sync::put_full_request(&mut step, request);
    }
    // Continue the sequence after the mirror's last event.
    let last = events.iter().map(|e| e.seq).max().unwrap_or(0);
    step.put(T::Meta, "event_seq", last.to_be_bytes().to_vec());
    step.event(
        Level::Warn,
        None,
        EventKind::Log {
            message: format!(
                "state recovered: damaged copy kept at {}; {} decisions carried over; run {run} re-checks the target record by record",
                aside.display(),
                decisions.len()
            ),
        },
    );
    store.commit(step).map_err(|e| e.to_string())?;
    Ok(format!(
        "Recovered. The damaged state is at {}. {} operator decisions were kept{}. Run `storeshift run` to continue: \
         it re-reads the source and updates the target by external key, so nothing is duplicated.",
        aside.display(),
        decisions.len(),
        match (paused, &full_request) {
            (false, None) => String::new(),
            (true, None) => "; the run stays paused".into(),
            (false, Some(r)) => format!(
                "; the next sync cycle stays full, as {} asked",
                r.by.describe()
            ),
            (true, Some(r)) => format!(
                "; the run stays paused and the next sync cycle full, as {} asked",
                r.by.describe()
            ),
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;
    use crate::intervention::Actor;
    use std::io::Write;

    fn ana() -> Actor {
        Actor {
            user: "ana".into(),
            ssh_client: None,
            via: "console".into(),
        }
    }

    /// A workspace whose mirror holds `events` and whose state is damaged beyond opening.
    fn damaged_with(events: &[Event]) -> (tempfile::TempDir, Workspace) {
        let dir = tempfile::tempdir().expect("temp dir");
        let ws = Workspace::new(dir.path());
        let mut mirror = std::fs::File::create(ws.events_mirror()).expect("mirror");
        for ev in events {
            let line = serde_json::to_string(ev).expect("event as JSON");
            writeln!(mirror, "{line}").expect("mirror line");
        }
        std::fs::create_dir_all(ws.state()).expect("state dir");
        std::fs::write(ws.state().join("db"), vec![0x5Au8; 4096]).expect("garbage");
        (dir, ws)
    }

    /// The events a request for a full cycle writes, as the mirror receives them.
    fn requested(run: u32) -> Vec<Event> {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("state")).expect("store");
        crate::sync::request_full(&store, run, ana()).expect("request")
    }

    fn event(seq: u64, run: u32, kind: EventKind) -> Event {
        Event {
            seq,
            run,
            at: "2026-12-07T10:00:00Z".into(),
            level: Level::Info,
            agent: None,
            kind,
        }
    }

    #[test]
    fn a_full_cycle_asked_for_and_not_begun_is_still_owed_after_recovery() {
        let (_dir, ws) = damaged_with(&requested(3));
        let said = recover(&ws).expect("recovered");
        assert!(
            said.contains("next sync cycle stays full, as ana"),
            "{said}"
        );
        let store = Store::open(&ws.state()).expect("recovered state");
        let owed = crate::sync::full_requested(&store).expect("the request survives");
        assert_eq!(owed.by, ana());
    }

    #[test]
    fn a_full_cycle_already_begun_is_not_asked_for_again_by_recovery() {
        let mut events = requested(3);
        let asked = events[0].clone();
        events.push(event(
            asked.seq + 1,
            4,
            EventKind::FullCycleStarted {
                asked_by: ana(),
                asked_at: asked.at,
            },
        ));
        let (_dir, ws) = damaged_with(&events);
        let said = recover(&ws).expect("recovered");
        assert!(!said.contains("full"), "{said}");
        let store = Store::open(&ws.state()).expect("recovered state");
        assert_eq!(crate::sync::full_requested(&store), None);
    }
}
