//! The run report: analysis, plan, interventions and every decision, URL map and redirect
//! validation, verification, drafts and outputs — as Markdown, HTML and JSON, all built from
//! one document so the three never disagree.

use crate::agents::analysis::Analysis;
use crate::agents::communication::Drafts;
use crate::agents::planning::{human_secs, Plan};
use crate::agents::seo::{RedirectValidation, UrlPlan};
use crate::agents::verification::Verification;
use crate::event::Counts;
use crate::intervention::Intervention;
use crate::runtime::{cursor_key, Ctx, RunRecord};
use crate::store::{EntityCheckpoint, T};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::PathBuf;
use storeshift_connectors::model::Entity;

enum Block {
    H(u8, String),
    P(String),
    List(Vec<String>),
    Table(Vec<String>, Vec<Vec<String>>),
}

#[derive(Serialize)]
struct JsonReport<'a> {
    name: &'a str,
    source: String,
    target: String,
    run: &'a RunRecord,
    counts: Vec<(Entity, Counts)>,
    analysis: Option<Analysis>,
    plan: Option<Plan>,
    url_plan: Option<UrlPlan>,
    redirects: Option<RedirectValidation>,
    verification: Option<Verification>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api: Option<crate::api_use::ApiUse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    customers_without_email: Option<crate::no_email::Summary>,
    interventions: Vec<Intervention>,
    drafts: Option<Drafts>,
    outputs: Vec<(String, u64)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cutover: Option<crate::cutover::CutoverRecord>,
    /// Earlier cutovers of this migration that were called off.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    abandoned_cutovers: Vec<crate::cutover::CutoverRecord>,
}

/// Writes report.md, report.html and report.json into the workspace's report folder. A sync
/// cycle or a cutover writes the report of the migration it keeps current.
pub fn write(ctx: &Ctx) -> std::io::Result<PathBuf> {
    let rec = ctx
        .run_record()
        .map_err(|_| std::io::Error::other("run record missing"))?;
    if rec.sync {
        if let Some(base) = crate::cutover::base_run(&ctx.store, ctx.run) {
            let inner = crate::runtime::Inner {
                cfg: ctx.cfg.clone(),
                ws: ctx.ws.clone(),
                store: ctx.store.clone(),
                hub: ctx.hub.clone(),
                run: base.run,
                policy: ctx.policy,
                incremental: base.incremental,
                early: Default::default(),
            };
            return write_run(&Ctx(std::sync::Arc::new(inner)));
        }
    }
    write_run(ctx)
}

fn write_run(ctx: &Ctx) -> std::io::Result<PathBuf> {
    let rec = ctx
        .run_record()
        .map_err(|_| std::io::Error::other("run record missing"))?;
    let analysis: Option<Analysis> = ctx.load_phase("analysis");
    let plan: Option<Plan> = ctx.load_phase("plan");
    let url_plan: Option<UrlPlan> = ctx.load_phase("url_plan");
    let redirects: Option<RedirectValidation> = ctx.load_phase("redirect_validation");
    let verification: Option<Verification> = ctx.load_phase("verification");
    let drafts: Option<Drafts> = ctx.load_phase("drafts");
    let api = crate::api_use::ApiUse::load(ctx);
    let no_email = crate::no_email::summary(ctx);
    let interventions: Vec<Intervention> = ctx
        .store
        .interventions()
        .unwrap_or_default()
        .into_iter()
        .filter(|i| i.run == ctx.run)
        .collect();
    let counts: Vec<(Entity, Counts)> = Entity::ALL
        .into_iter()
        .filter_map(|e| {
            ctx.store
                .get_json::<EntityCheckpoint>(T::Cursors, cursor_key(ctx.run, e))
                .ok()
                .flatten()
                .map(|c| (e, c.counts))
        })
        .collect();
    let outputs = list_outputs(&ctx.output_dir());

    let mut doc = vec![];
    doc.push(Block::H(1, format!("storeshift report — {}", ctx.cfg.name)));
    doc.push(Block::P(format!(
        "{} → {}. Run {}{}, started {}{}; state {}; {} elapsed.",
        ctx.cfg.source.describe(),
        ctx.cfg.target.describe(),
        rec.run,
        if rec.incremental {
            " (incremental: only what changed since the previous run)"
        } else {
            ""
        },
        rec.started_at,
        rec.finished_at
            .as_ref()
            .map(|f| format!(", finished {f}"))
            .unwrap_or_default(),
        rec.state.label(),
        human_secs(ctx.hub.snapshot().elapsed_secs.max(rec.elapsed_secs)),
    )));
    if let Some(m) = &rec.message {
        doc.push(Block::P(format!("Outcome: {m}.")));
    }

    doc.push(Block::H(2, "Records".into()));
    doc.push(Block::Table(
        [
            "entity",
            "read",
            "created",
            "updated",
            "unchanged",
            "skipped",
            "failed",
        ]
        .map(String::from)
        .to_vec(),
        counts
            .iter()
            .map(|(e, c)| {
                vec![
                    e.to_string(),
                    c.read.to_string(),
                    c.created.to_string(),
                    c.updated.to_string(),
                    c.unchanged.to_string(),
                    c.skipped.to_string(),
                    c.failed.to_string(),
                ]
            })
            .collect(),
    ));
    if let Some(api) = &api {
        let side = |name: &str, t: &Option<crate::api_use::ApiTotals>| {
            t.map(|t| {
                format!(
                    "{name} API: {} calls{}, {} retries, {} throttled, {} server errors",
                    t.calls,
                    if t.points > 0 {
                        format!(" ({} cost points)", t.points)
                    } else {
                        String::new()
                    },
                    t.retries,
                    t.throttled,
                    t.server_errors
                )
            })
        };
        let lines: Vec<String> = [side("Source", &api.source), side("Target", &api.target)]
            .into_iter()
            .flatten()
            .collect();
        if !lines.is_empty() {
            doc.push(Block::List(lines));
        }
    }

    if let Some(a) = &analysis {
        doc.push(Block::H(2, "Assessment".into()));
        doc.push(Block::P(format!(
            "Source: {}; {} variant rows; {} category paths. Complexity {}/100, about {:.1} operator hours.",
            a.counts.iter().map(|(e, n)| format!("{n} {e}")).collect::<Vec<_>>().join(", "),
            a.variant_rows,
            a.categories.len(),
            a.complexity,
            a.effort_hours
        )));
        if let Some(n) = &a.narrative {
            doc.push(Block::P(format!(
                "Summary (written by the configured LLM): {n}"
            )));
        }
        if a.groups.is_empty() {
            doc.push(Block::P("No findings.".into()));
        } else {
            doc.push(Block::Table(
                ["severity", "finding", "count", "examples"]
                    .map(String::from)
                    .to_vec(),
                a.groups
                    .iter()
                    .map(|g| {
                        let ex: Vec<String> = g
                            .records
                            .iter()
                            .take(3)
                            .map(|r| format!("{} ({})", r.label, r.source_id))
                            .collect();
                        let loc: Vec<String> = g
                            .examples
                            .iter()
                            .filter_map(|f| f.location.as_ref().map(|l| l.to_string()))
                            .take(2)
                            .collect();
                        vec![
                            g.severity.to_string(),
                            format!("{} [{}]", g.title, g.code),
                            g.count.to_string(),
                            [ex, loc].concat().join("; "),
                        ]
                    })
                    .collect(),
            ));
        }
    }

    if let Some(p) = &plan {
        doc.push(Block::H(2, "Plan".into()));
        doc.push(Block::P(format!(
            "Estimated {} in all. Rate model: {}.{}",
            human_secs(p.eta_secs),
            p.rate_model,
            p.learned
                .as_ref()
                .map(|l| format!(
                    " Re-learned from the first {} batches ({} records in {:.1} s, {:.1} records/s): {} left at that point.",
                    l.batches,
                    l.records,
                    l.secs,
                    l.rate,
                    human_secs(l.eta_secs)
                ))
                .unwrap_or_default()
        )));
        doc.push(Block::Table(
            ["entity", "records", "batch", "concurrency", "ETA"]
                .map(String::from)
                .to_vec(),
            p.steps
                .iter()
                .map(|s| {
                    vec![
                        s.entity.to_string(),
                        s.records.to_string(),
                        s.batch_size.to_string(),
                        s.concurrency.to_string(),
                        human_secs(s.eta_secs),
                    ]
                })
                .collect(),
        ));
        if !p.risks.is_empty() {
            doc.push(Block::P("Risks:".into()));
            doc.push(Block::List(p.risks.clone()));
        }
        doc.push(Block::P(format!("Rollback: {}", p.rollback)));
    }

    doc.push(Block::H(2, "Interventions and decisions".into()));
    if interventions.is_empty() {
        doc.push(Block::P("None were needed.".into()));
    } else {
        doc.push(Block::Table(
            ["id", "question", "decision", "who", "when", "why"]
                .map(String::from)
                .to_vec(),
            interventions
                .iter()
                .map(|i| match &i.decision {
                    Some(d) => vec![
                        i.id.clone(),
                        i.title.clone(),
                        format!(
                            "{}{}",
                            i.option(&d.option)
                                .map(|o| o.label.clone())
                                .unwrap_or(d.option.clone()),
                            if d.option == i.recommended {
                                " (recommended)"
                            } else {
                                ""
                            }
                        ),
                        d.by.describe(),
                        d.at.clone(),
                        d.note.clone().unwrap_or_default(),
                    ],
                    None => vec![
                        i.id.clone(),
                        i.title.clone(),
                        "PENDING".into(),
                        String::new(),
                        String::new(),
                        String::new(),
                    ],
                })
                .collect(),
        ));
    }

    if let Some(n) = &no_email {
        doc.extend(no_email_blocks(n, &ctx.cfg.target.platform.to_string()));
    }

    if let Some(u) = &url_plan {
        doc.push(Block::H(2, "URL map".into()));
        doc.push(Block::List(
            u.patterns
                .iter()
                .map(|(e, (a, b))| format!("{e}: {a} → {b}"))
                .collect(),
        ));
    }
    if let Some(lines) = Some(crate::agents::mapping::report_lines(ctx)).filter(|l| !l.is_empty()) {
        doc.extend([Block::H(2, "Category mapping".into()), Block::List(lines)]);
    }
    let lines = crate::agents::file_mapping::report_lines(ctx);
    if !lines.is_empty() {
        doc.extend([Block::H(2, "Column mappings".into()), Block::List(lines)]);
    }
    if let Some(r) = &redirects {
        doc.push(Block::H(2, "Redirect validation".into()));
        doc.push(Block::P(format!(
            "Checked from {}. {} source URLs: {} redirects (301), {} unchanged, {} left-out records sent to the catalog root; {:.1}% accounted for. {} chains, {} loops, {} pointing at URLs the target will not have.",
            r.checked_from, r.source_urls, r.redirects, r.unchanged, r.fallbacks, r.accounted_pct(), r.chains.len(), r.loops.len(), r.dangling.len()
        )));
        for (title, list) in [
            ("Chains", &r.chains),
            ("Loops", &r.loops),
            ("Dangling", &r.dangling),
            ("Unaccounted source URLs", &r.unaccounted),
        ] {
            if !list.is_empty() {
                doc.push(Block::P(format!("{title}:")));
                doc.push(Block::List(list.iter().take(50).cloned().collect()));
            }
        }
        doc.push(Block::P("Redirect files:".into()));
        doc.push(Block::List(r.files.clone()));
    }
    if let Some(v) = &verification {
        doc.push(Block::H(2, "Verification".into()));
        doc.push(Block::P(format!(
            "Read back from {}. {} records compared field by field: {} differences, {} missing.",
            v.checked_from,
            v.compared.values().sum::<u64>(),
            v.differences.len(),
            v.missing.len()
        )));
        doc.push(Block::Table(
            [
                "entity",
                "in source",
                "written",
                "unchanged",
                "skipped",
                "failed",
                "in target",
                "sampled",
                "check",
            ]
            .map(String::from)
            .to_vec(),
            v.counts
                .iter()
                .map(|c| {
                    vec![
                        c.entity.to_string(),
                        c.source.to_string(),
                        c.written.to_string(),
                        c.unchanged.to_string(),
                        c.skipped.to_string(),
                        c.failed.to_string(),
                        c.in_target
                            .map(|n| n.to_string())
                            .unwrap_or_else(|| "not readable".into()),
                        v.compared
                            .get(&c.entity)
                            .or(v.sampled.get(&c.entity))
                            .copied()
                            .unwrap_or(0)
                            .to_string(),
                        if c.ok { "ok".into() } else { "MISMATCH".into() },
                    ]
                })
                .collect(),
        ));
        doc.extend(cost_blocks(v, api.as_ref()));
        if !v.differences.is_empty() {
            doc.push(Block::Table(
                ["entity", "record", "field", "expected", "in target"]
                    .map(String::from)
                    .to_vec(),
                v.differences
                    .iter()
                    .take(100)
                    .map(|d| {
                        vec![
                            d.entity.to_string(),
                            d.key.clone(),
                            d.field.clone(),
                            d.expected.clone(),
                            d.actual.clone(),
                        ]
                    })
                    .collect(),
            ));
        }
        if !v.missing.is_empty() {
            doc.push(Block::List(v.missing.clone()));
        }
        doc.extend(not_carried_blocks(&v.not_carried));
    }
    if let Some(d) = &drafts {
        doc.push(Block::H(2, "Customer notices".into()));
        doc.push(Block::P(match &d.exported_to {
            Some(dir) => format!(
                "{} drafts exported to {dir} (nothing was sent).",
                d.files.len()
            ),
            None => format!(
                "{} drafts prepared, not exported (awaiting or refused approval).",
                d.files.len()
            ),
        }));
        doc.push(Block::List(d.files.keys().cloned().collect()));
    }
    let cutover = crate::cutover::record(&ctx.store).filter(|c| c.base_run == ctx.run);
    // Cutovers called off before the newest one: each stays on record.
    let abandoned: Vec<crate::cutover::CutoverRecord> = crate::cutover::abandoned(&ctx.store)
        .into_iter()
        .filter(|c| c.base_run == ctx.run && cutover.as_ref().is_none_or(|n| n.run != c.run))
        .collect();
    if let Some(c) = &cutover {
        doc.extend(cutover_blocks(c, &abandoned));
    }
    doc.push(Block::H(2, "Outputs".into()));
    doc.push(Block::List(
        outputs
            .iter()
            .map(|(p, n)| format!("{p} ({n} bytes)"))
            .collect(),
    ));
    doc.push(Block::P(format!(
        "Workspace {}: state in state/, logs in logs/, the event log in events.jsonl. Resume with `storeshift run`, roll back with `storeshift rollback {}`.",
        ctx.ws.dir.display(),
        ctx.ws.dir.display()
    )));

    let dir = ctx.ws.reports();
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("report.md"), markdown(&doc))?;
    std::fs::write(dir.join("report.html"), html(&doc, &ctx.cfg.name))?;
    let json = JsonReport {
        name: &ctx.cfg.name,
        source: ctx.cfg.source.describe(),
        target: ctx.cfg.target.describe(),
        run: &rec,
        counts,
        analysis,
        plan,
        url_plan,
        redirects,
        verification,
        api,
        customers_without_email: no_email,
        interventions,
        drafts,
        outputs,
        cutover,
        abandoned_cutovers: abandoned,
    };
    std::fs::write(
        dir.join("report.json"),
        serde_json::to_vec_pretty(&json).unwrap_or_default(),
    )?;
    Ok(dir.join("report.md"))
}

/// The cutover's steps: each one's outcome, decision, who decided it and when.
fn cutover_blocks(
    c: &crate::cutover::CutoverRecord,
    earlier: &[crate::cutover::CutoverRecord],
) -> Vec<Block> {
    let mut out = vec![Block::H(2, "Cutover".into())];
    for e in earlier {
        out.push(Block::P(abandoned_line(e)));
    }
    out.push(Block::P(match &c.abandoned_at {
        Some(_) => abandoned_line(c),
        None => format!(
            "Cutover run {}, started {}{}.",
            c.run,
            c.started_at,
            match &c.finished_at {
                Some(f) => format!(", finished {f}"),
                None => ", not finished".to_string(),
            }
        ),
    }));
    let mut rows: Vec<Vec<String>> = c
        .steps
        .iter()
        .map(|s| {
            vec![
                s.title.clone(),
                s.outcome.clone(),
                s.decision.clone().unwrap_or_else(|| "-".into()),
                s.decided_by.clone().unwrap_or_else(|| "-".into()),
                s.decided_at.clone().unwrap_or_else(|| "-".into()),
                s.summary.clone(),
            ]
        })
        .collect();
    for step in crate::cutover::CutoverStep::ALL {
        if c.step(step).is_none() {
            rows.push(vec![
                step.title().to_string(),
                if c.abandoned_at.is_some() {
                    "not reached"
                } else {
                    "pending"
                }
                .into(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
            ]);
        }
    }
    out.push(Block::Table(
        [
            "step",
            "outcome",
            "decision",
            "decided by",
            "when",
            "summary",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    ));
    out
}

/// One sentence for a cutover called off: when, at which step, by whom and why.
fn abandoned_line(c: &crate::cutover::CutoverRecord) -> String {
    let last = c.steps.last();
    format!(
        "Cutover run {}, started {}, called off at {} at the step \"{}\" by {}{}; syncing went on.",
        c.run,
        c.started_at,
        last.and_then(|s| s.decided_at.as_deref())
            .or(c.abandoned_at.as_deref())
            .unwrap_or("-"),
        last.map(|s| s.title.as_str()).unwrap_or("-"),
        last.and_then(|s| s.decided_by.as_deref()).unwrap_or("-"),
        last.and_then(|s| s.note.as_deref())
            .map(|n| format!(" (\"{n}\")"))
            .unwrap_or_default()
    )
}

/// What verification checked, how, and what it cost, against what the load spent.
fn cost_blocks(v: &Verification, api: Option<&crate::api_use::ApiUse>) -> Vec<Block> {
    let mut out = vec![];
    if let Some(c) = &v.cost {
        let unit = c.unit.label();
        let pct = |n: u64| {
            if c.load_spent == 0 {
                String::new()
            } else {
                format!(
                    " ({:.1}% of the load's)",
                    n as f64 * 100.0 / c.load_spent as f64
                )
            }
        };
        out.push(Block::P(match c.cap {
            Some(cap) => format!(
                "Cost: verification by sample spent {} {unit}{} within a budget of {cap} {unit}; the load spent {} {unit}.",
                c.spent,
                pct(c.spent),
                c.load_spent
            ),
            None => format!(
                "Cost: the full read-back spent {} {unit}{}; the load spent {} {unit}.",
                c.spent,
                pct(c.spent),
                c.load_spent
            ),
        }));
        // Budget per phase: what the load and the verification asked of the target.
        let load_calls = api
            .and_then(|a| a.target)
            .map(|t| t.calls)
            .unwrap_or(c.load_requests);
        out.push(Block::Table(
            ["phase", unit, "requests"].map(String::from).to_vec(),
            vec![
                vec![
                    "Execution (load)".into(),
                    c.load_spent.to_string(),
                    load_calls.to_string(),
                ],
                vec![
                    format!("Post-migration (verification, {})", c.mode),
                    c.spent.to_string(),
                    c.requests.to_string(),
                ],
            ],
        ));
    }
    if !v.checks.is_empty() {
        out.push(Block::Table(
            [
                "entity",
                "counted by",
                "sample kept",
                "checked",
                "fetched by",
                "cost",
                "note",
            ]
            .map(String::from)
            .to_vec(),
            v.checks
                .iter()
                .map(|c| {
                    vec![
                        c.entity.to_string(),
                        format!("{}{}", c.counted, if c.exact { "" } else { " (at least)" }),
                        c.kept.to_string(),
                        c.checked.to_string(),
                        c.fetched.clone(),
                        c.spent.to_string(),
                        c.shrunk.clone().unwrap_or_default(),
                    ]
                })
                .collect(),
        ));
    }
    out
}

/// What became of customers without an email: each outcome counted, those left out listed.
fn no_email_blocks(n: &crate::no_email::Summary, target: &str) -> Vec<Block> {
    let mut lines = vec![];
    if n.owner_file > 0 {
        lines.push(format!(
            "{} left out and written for the store owner to {}",
            n.owner_file,
            n.owner_path
                .clone()
                .unwrap_or_else(|| storeshift_connectors::no_email::OWNER_FILE.to_string())
        ));
    }
    if n.addressed > 0 {
        lines.push(format!(
            "{} given an address on {} (phone-<digits>@…, the same on every re-run)",
            n.addressed,
            n.domain.as_deref().unwrap_or("the chosen domain")
        ));
    }
    if n.skipped > 0 {
        lines.push(format!("{} left out, listed below", n.skipped));
    }
    let mut blocks = vec![
        Block::H(2, "Customers without an email".into()),
        Block::P(format!(
            "{target} needs an email on every customer; {} had none (decision: {}).",
            n.total(),
            n.decision.as_deref().unwrap_or("recommended")
        )),
        Block::List(lines),
    ];
    if !n.skipped_listed.is_empty() {
        blocks.push(Block::P(format!(
            "Left out{}:",
            if (n.skipped_listed.len() as u64) < n.skipped {
                format!(" (the first {})", n.skipped_listed.len())
            } else {
                String::new()
            }
        )));
        blocks.push(Block::List(n.skipped_listed.clone()));
    }
    blocks
}

/// The verification's "not carried" lines (`entity.field: why`, `entity: not moved: why`),
/// each under the entity it is about.
fn not_carried_blocks(lines: &[String]) -> Vec<Block> {
    if lines.is_empty() {
        return vec![];
    }
    let mut by_entity: Vec<(Entity, Vec<String>)> = vec![];
    for line in lines {
        let found = Entity::ALL.into_iter().find_map(|e| {
            let rest = line.strip_prefix(e.key())?;
            let what = rest.strip_prefix('.').or_else(|| rest.strip_prefix(": "))?;
            Some((e, what.to_string()))
        });
        let (entity, what) = match found {
            Some(x) => x,
            // A line of another shape stays whole, under no entity of its own.
            None => (Entity::Redirects, line.clone()),
        };
        match by_entity.iter_mut().find(|(e, _)| *e == entity) {
            Some((_, v)) => v.push(what),
            None => by_entity.push((entity, vec![what])),
        }
    }
    by_entity.sort_by_key(|(e, _)| *e);
    let mut blocks = vec![Block::P(
        "Not carried by the target's format (by design), by entity:".into(),
    )];
    for (entity, what) in by_entity {
        blocks.push(Block::P(format!("{entity}:")));
        blocks.push(Block::List(what));
    }
    blocks
}

fn list_outputs(dir: &std::path::Path) -> Vec<(String, u64)> {
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(m) = e.metadata() {
                out.push((p.display().to_string(), m.len()));
            }
        }
    }
    out.sort();
    out
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn markdown(doc: &[Block]) -> String {
    let mut s = String::new();
    for b in doc {
        match b {
            Block::H(n, t) => {
                let _ = writeln!(s, "{} {t}\n", "#".repeat(*n as usize));
            }
            Block::P(t) => {
                let _ = writeln!(s, "{t}\n");
            }
            Block::List(items) => {
                for i in items {
                    let _ = writeln!(s, "- {i}");
                }
                s.push('\n');
            }
            Block::Table(head, rows) => {
                let _ = writeln!(
                    s,
                    "| {} |",
                    head.iter()
                        .map(|h| md_cell(h))
                        .collect::<Vec<_>>()
                        .join(" | ")
                );
                let _ = writeln!(
                    s,
                    "|{}|",
                    head.iter().map(|_| "---").collect::<Vec<_>>().join("|")
                );
                for r in rows {
                    let _ = writeln!(
                        s,
                        "| {} |",
                        r.iter().map(|c| md_cell(c)).collect::<Vec<_>>().join(" | ")
                    );
                }
                s.push('\n');
            }
        }
    }
    s
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html(doc: &[Block], title: &str) -> String {
    let mut s = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>storeshift report — {}</title>\n<style>body{{font-family:system-ui,sans-serif;max-width:70em;margin:2em auto;padding:0 1em}}table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #bbb;padding:.3em .6em;text-align:left;vertical-align:top}}th{{background:#eee}}</style></head><body>\n",
        esc(title)
    );
    for b in doc {
        match b {
            Block::H(n, t) => {
                let _ = writeln!(s, "<h{n}>{}</h{n}>", esc(t));
            }
            Block::P(t) => {
                let _ = writeln!(s, "<p>{}</p>", esc(t));
            }
            Block::List(items) => {
                s.push_str("<ul>\n");
                for i in items {
                    let _ = writeln!(s, "<li>{}</li>", esc(i));
                }
                s.push_str("</ul>\n");
            }
            Block::Table(head, rows) => {
                s.push_str("<table><tr>");
                for h in head {
                    let _ = write!(s, "<th>{}</th>", esc(h));
                }
                s.push_str("</tr>\n");
                for r in rows {
                    s.push_str("<tr>");
                    for c in r {
                        let _ = write!(s, "<td>{}</td>", esc(c));
                    }
                    s.push_str("</tr>\n");
                }
                s.push_str("</table>\n");
            }
        }
    }
    s.push_str("</body></html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_carried_lines_stand_under_the_entity_they_are_about() {
        let lines: Vec<String> = [
            "products.vendor: Medusa has no vendor field",
            "customers.note: Medusa customers have no note",
            "orders: not moved: Medusa's Admin API cannot import an order with its history",
            "products.seo: Medusa has no SEO fields",
        ]
        .map(String::from)
        .to_vec();
        let md = markdown(&not_carried_blocks(&lines));
        assert_eq!(
            md,
            "Not carried by the target's format (by design), by entity:\n\n\
             products:\n\n- vendor: Medusa has no vendor field\n- seo: Medusa has no SEO fields\n\n\
             customers:\n\n- note: Medusa customers have no note\n\n\
             orders:\n\n- not moved: Medusa's Admin API cannot import an order with its history\n\n"
        );
        assert!(not_carried_blocks(&[]).is_empty());
    }

    #[test]
    fn customers_without_an_email_are_counted_by_outcome_and_those_left_out_named() {
        let n = crate::no_email::Summary {
            decision: Some("skip".into()),
            domain: None,
            skipped: 3,
            skipped_listed: vec!["Ayşe Yılmaz (source 7)".into()],
            addressed: 0,
            owner_file: 2,
            owner_path: Some("/ws/output/run-1/customers-without-email.csv".into()),
        };
        let md = markdown(&no_email_blocks(&n, "WooCommerce"));
        assert!(md.starts_with("## Customers without an email\n\nWooCommerce needs an email on every customer; 5 had none (decision: skip).\n\n"), "{md}");
        assert!(md.contains("- 2 left out and written for the store owner to /ws/output/run-1/customers-without-email.csv\n- 3 left out, listed below\n"), "{md}");
        assert!(
            md.contains("Left out (the first 1):\n\n- Ayşe Yılmaz (source 7)\n"),
            "{md}"
        );
    }
}
