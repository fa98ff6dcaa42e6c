//! A realistic run for tests and the benchmark: a WooCommerce store moving to Shopify, six
//! agents at work, four entities under way, three interventions (two waiting, one decided).
//! Depends only on the runtime's contract types, so the benchmark example can include it too.

use storeshift_agents::{
    Actor, AgentKind, AgentSnapshot, Counts, CycleRow, Decision, EntityProgress, Event, EventKind,
    Intervention, InterventionOption, Level, Metrics, Phase, PhaseState, RunState, Snapshot,
    SyncStatus,
};
use storeshift_connectors::model::Entity;
use storeshift_connectors::{Finding, RecordRef, Severity};

fn actor() -> Actor {
    Actor {
        user: "dana".into(),
        ssh_client: Some("10.0.0.5 51234 22".into()),
        via: "console".into(),
    }
}

fn record(entity: Entity, id: &str, label: &str) -> RecordRef {
    RecordRef {
        entity,
        source_id: id.into(),
        label: label.into(),
    }
}

fn opt(key: &str, label: &str, consequence: &str) -> InterventionOption {
    InterventionOption {
        key: key.into(),
        label: label.into(),
        consequence: consequence.into(),
    }
}

pub fn interventions() -> Vec<Intervention> {
    let dup_sku = Intervention {
        id: Intervention::make_id(3, "assessment/duplicate_sku", "HB-104"),
        run: 3,
        step: "assessment/duplicate_sku".into(),
        item: "HB-104".into(),
        title: "Duplicate SKU HB-104 on 3 products".into(),
        problem: "Shopify needs every variant SKU to be unique within the store. Three WooCommerce \
                  products use SKU HB-104 for their variants, so the second and third would overwrite \
                  the first."
            .into(),
        records: vec![
            record(Entity::Products, "1182", "Hoodie Basic – Navy"),
            record(Entity::Products, "1190", "Hoodie Basic – Navy (old)"),
            record(Entity::Products, "1377", "Hoodie Basic Navy (copy)"),
        ],
        options: vec![
            opt("suffix", "Suffix the later SKUs (HB-104-2, HB-104-3)", "All three products move; two SKUs change and the old ones are kept in a metafield."),
            opt("merge", "Merge into the first product", "One product moves with the variants of all three; the two others redirect to it."),
            opt("skip", "Skip the later products", "Only product 1182 moves; 1190 and 1377 are listed in the report."),
        ],
        recommended: "suffix".into(),
        raised_at: "2026-11-23T02:11:40Z".into(),
        detail: None,
        decision: None,
    };
    let options = Intervention {
        id: Intervention::make_id(3, "planning/option_limit", "1204"),
        run: 3,
        step: "planning/option_limit".into(),
        item: "1204".into(),
        title: "Product 1204 has 4 options; Shopify allows 3".into(),
        problem:
            "\"Trail Runner\" varies by Colour, Size, Width and Lace. Shopify products carry at \
                  most 3 options."
                .into(),
        records: vec![record(Entity::Products, "1204", "Trail Runner")],
        options: vec![
            opt(
                "fold_last",
                "Fold Lace into the variant title",
                "Colour, Size and Width stay options; Lace becomes part of each variant's title.",
            ),
            opt(
                "split",
                "Split into one product per Lace",
                "Two products (Waxed, Flat laces) with 3 options each.",
            ),
        ],
        recommended: "split".into(),
        raised_at: "2026-11-23T02:12:03Z".into(),
        detail: None,
        decision: None,
    };
    let mut approve = Intervention {
        id: Intervention::make_id(3, "planning/approve", "plan"),
        run: 3,
        step: "planning/approve".into(),
        item: "plan".into(),
        title: "Approve the migration plan".into(),
        problem: "4 entities, 12,480 records, about 9 minutes at the target's rate limit.".into(),
        records: vec![],
        options: vec![
            opt("approve", "Approve", "Execution starts."),
            opt(
                "reject",
                "Reject",
                "The run stops; nothing is written to Shopify.",
            ),
        ],
        recommended: "approve".into(),
        raised_at: "2026-11-23T02:05:12Z".into(),
        detail: None,
        decision: None,
    };
    approve.decision = Some(Decision {
        option: "approve".into(),
        note: Some("checked with the shop owner".into()),
        value: None,
        by: actor(),
        at: "2026-11-23T02:06:01Z".into(),
    });
    vec![dup_sku, options, approve]
}

fn agent(
    kind: AgentKind,
    status: &str,
    task: &str,
    finding: Option<&str>,
    done: u64,
    total: u64,
) -> AgentSnapshot {
    AgentSnapshot {
        agent: kind,
        status: status.into(),
        task: task.into(),
        last_finding: finding.map(str::to_string),
        done,
        total,
    }
}

fn counts(created: u64, updated: u64, unchanged: u64, failed: u64) -> Counts {
    let done = created + updated + unchanged + failed;
    Counts {
        read: done,
        created,
        updated,
        unchanged,
        failed,
        ..Counts::default()
    }
}

/// The run mid-execution, in the given state.
pub fn snapshot(state: RunState) -> Snapshot {
    let mut s = Snapshot::new(
        3,
        "WooCommerce (shop.hollowbark.example)".into(),
        "Shopify (hollowbark.myshopify.com)".into(),
    );
    s.state = state;
    s.phase = Some(Phase::Execution);
    s.phases = vec![
        (Phase::Assessment, PhaseState::Done),
        (Phase::Planning, PhaseState::Done),
        (Phase::PreMigration, PhaseState::Done),
        (Phase::Execution, PhaseState::Active),
        (Phase::PostMigration, PhaseState::Pending),
    ];
    s.started_at = "2026-11-23T02:04:30Z".into();
    s.elapsed_secs = 754;
    s.eta_secs = Some(312);
    s.agents = vec![
        agent(
            AgentKind::DataAnalysis,
            "done",
            "profiled 12,480 records",
            Some("warning [duplicate_sku]: HB-104 on 3 products"),
            12_480,
            12_480,
        ),
        agent(
            AgentKind::MigrationPlanning,
            "done",
            "plan approved by dana",
            None,
            4,
            4,
        ),
        agent(
            AgentKind::SeoPreservation,
            "running",
            "mapping /product/* to /products/*",
            Some("info [redirect_chain]: /shop/hoodies collapsed"),
            2_310,
            3_900,
        ),
        agent(AgentKind::CustomerCommunication, "idle", "", None, 0, 0),
        agent(
            AgentKind::Executor,
            "running",
            "loading products batch 42",
            Some("warning [missing_price]: variant 1187-2 price empty"),
            5_160,
            12_480,
        ),
        agent(
            AgentKind::Verification,
            "waiting",
            "waits for execution",
            None,
            0,
            0,
        ),
    ];
    s.entities = vec![
        EntityProgress {
            entity: Entity::Categories,
            counts: counts(48, 0, 2, 0),
            expected: Some(50),
        },
        EntityProgress {
            entity: Entity::Products,
            counts: counts(1_620, 12, 8, 3),
            expected: Some(2_430),
        },
        EntityProgress {
            entity: Entity::Customers,
            counts: counts(3_480, 0, 0, 0),
            expected: Some(6_200),
        },
        EntityProgress {
            entity: Entity::Orders,
            counts: counts(0, 0, 0, 0),
            expected: Some(3_800),
        },
    ];
    s.metrics = Metrics {
        records_per_sec: 41.7,
        rate_history: vec![
            0, 12, 30, 38, 41, 44, 39, 40, 43, 47, 45, 12, 0, 28, 41, 42, 40, 44, 46, 41, 39, 42,
            44, 43, 41, 40, 42, 45, 44, 42,
        ],
        api_calls: 1_284,
        api_budget_pct: Some(62),
        retries: 7,
        errors: 3,
        dropped_events: 0,
        batch_millis_last: 640,
        ..Default::default()
    };
    s.interventions = interventions();
    s.last_seq = 412;
    match state {
        RunState::Paused => {
            s.metrics.records_per_sec = 0.0;
            s.metrics.rate_history.extend([8, 0, 0, 0]);
            for a in s.agents.iter_mut().filter(|a| a.status == "running") {
                a.status = "paused".into();
            }
        }
        RunState::WaitingForOperator => {
            s.metrics.records_per_sec = 0.0;
            s.metrics.rate_history.extend([20, 0, 0]);
            if let Some(a) = s.agents.iter_mut().find(|a| a.agent == AgentKind::Executor) {
                a.status = "waiting for operator".into();
                a.task = "products: HB-104 needs a decision".into();
            }
        }
        RunState::Done => finish(&mut s, true),
        RunState::Failed => finish(&mut s, false),
        RunState::Starting | RunState::Running => {}
    }
    s
}

/// `storeshift sync --every 2m` between cycles: four cycles done (the third full, the last
/// with a failed record), the lag at 1m 13s, the next cycle in 47s; `held`: paused, the next cycle held.
pub fn sync_snapshot(held: bool) -> Snapshot {
    let mut s = snapshot(if held {
        RunState::Paused
    } else {
        RunState::Running
    });
    s.run = 12;
    s.eta_secs = None;
    s.elapsed_secs = 9;
    s.metrics.records_per_sec = 0.0;
    s.entities = vec![
        EntityProgress {
            entity: Entity::Products,
            counts: Counts {
                read: 4,
                ..counts(1, 2, 0, 1)
            },
            expected: None,
        },
        EntityProgress {
            entity: Entity::Customers,
            counts: Counts {
                read: 1,
                ..counts(0, 1, 0, 0)
            },
            expected: None,
        },
    ];
    for a in s.agents.iter_mut() {
        a.status = if a.agent == AgentKind::Executor {
            "done".into()
        } else {
            "idle".into()
        };
        a.task = if a.agent == AgentKind::Executor {
            "sync cycle done".into()
        } else {
            String::new()
        };
        a.done = 0;
        a.total = 0;
    }
    let row = |run: u32, moved: u64, read: u64, failed: u64, deletions: u64, secs: u64| CycleRow {
        run,
        moved,
        read,
        failed,
        deletions,
        deleted: 0,
        secs: Some(secs),
        full: false,
    };
    s.sync = Some(SyncStatus {
        cycle: None,
        every_secs: Some(120),
        lag_secs: Some(73),
        next_in_secs: (!held).then_some(47),
        held,
        ended: None,
        history: vec![
            row(9, 14, 16, 0, 0, 11),
            row(10, 0, 2, 0, 0, 3),
            // A full cycle (`sync --full`): the whole store read, the changed moved.
            CycleRow {
                full: true,
                ..row(11, 1_204, 4_210, 0, 1, 95)
            },
            row(12, 3, 5, 1, 0, 9),
        ],
        failures: vec!["Linen Apron – Rust: price \"12,5O\" is not a number".into()],
        error: None,
        full_next: None,
    });
    s
}

/// [`sync_snapshot`] after `f`: the next cycle is full, as the operator asked.
pub fn sync_full_next_snapshot() -> Snapshot {
    let mut s = sync_snapshot(false);
    if let Some(sync) = s.sync.as_mut() {
        sync.full_next = Some("asked by sam via console".into());
    }
    s
}

fn finish(s: &mut Snapshot, ok: bool) {
    s.elapsed_secs = 1_391;
    s.eta_secs = None;
    s.metrics.records_per_sec = 0.0;
    s.metrics.dropped_events = if ok { 0 } else { 17 };
    for iv in s.interventions.iter_mut() {
        if iv.decision.is_none() {
            iv.decision = Some(Decision {
                option: iv.recommended.clone(),
                note: None,
                value: None,
                by: actor(),
                at: "2026-11-23T02:14:09Z".into(),
            });
        }
    }
    if ok {
        s.phase = Some(Phase::PostMigration);
        s.phases = Phase::ALL.iter().map(|p| (*p, PhaseState::Done)).collect();
        for a in s.agents.iter_mut() {
            a.status = "done".into();
            a.task = match a.agent {
                AgentKind::Verification => "412 samples compared, all equal".into(),
                AgentKind::CustomerCommunication => "2 notices drafted".into(),
                _ => a.task.clone(),
            };
            a.done = a.total.max(1);
            a.total = a.total.max(1);
        }
        for e in s.entities.iter_mut() {
            let x = e.expected.unwrap_or(0);
            e.counts = counts(
                x - e.counts.unchanged - e.counts.failed,
                0,
                e.counts.unchanged,
                e.counts.failed,
            );
        }
    } else {
        s.metrics.errors = 214;
        if let Some(a) = s.agents.iter_mut().find(|a| a.agent == AgentKind::Executor) {
            a.status = "failed".into();
            a.task = "orders batch 3: target refused credentials".into();
            a.last_finding = Some("error [auth]: Shopify answered 401 Unauthorized".into());
        }
        if let Some(v) = s
            .agents
            .iter_mut()
            .find(|a| a.agent == AgentKind::Verification)
        {
            v.status = "idle".into();
        }
    }
}

/// The event log that led to [`snapshot`], oldest first.
pub fn events() -> Vec<Event> {
    let mut seq = 380;
    let mut out = Vec::new();
    let mut push = |secs: u32, level: Level, agent: Option<AgentKind>, kind: EventKind| {
        seq += 1;
        out.push(Event {
            seq,
            run: 3,
            at: format!("2026-11-23T02:{:02}:{:02}Z", 10 + secs / 60, secs % 60),
            level,
            agent,
            kind,
        });
    };
    let ex = Some(AgentKind::Executor);
    push(
        0,
        Level::Info,
        None,
        EventKind::PhaseStarted {
            phase: Phase::Execution,
        },
    );
    push(
        1,
        Level::Info,
        Some(AgentKind::SeoPreservation),
        EventKind::Log {
            message: "URL map: 2,310 of 3,900 paths mapped".into(),
        },
    );
    for (i, n) in (1..=14).zip([50u64, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 40]) {
        let totals = counts(1_000 + i * 40, 12, 8, i.min(3));
        push(
            2 + i as u32 * 3,
            Level::Info,
            ex,
            EventKind::BatchCommitted {
                entity: Entity::Products,
                counts: counts(n, 0, 0, 0),
                totals,
                expected: Some(2_430),
                millis: 600 + i * 7,
            },
        );
        if i == 4 {
            push(
                14,
                Level::Warn,
                ex,
                EventKind::Finding {
                    agent: AgentKind::Executor,
                    finding: Finding::new(
                        Severity::Warning,
                        "missing_price",
                        "variant 1187-2 price empty; moved as 0.00 draft",
                    ),
                },
            );
        }
        if i == 7 {
            push(
                23,
                Level::Warn,
                ex,
                EventKind::Log {
                    message: "Shopify throttled (429), retrying in 2s".into(),
                },
            );
        }
        if i == 9 {
            push(29, Level::Error, ex, EventKind::Log { message: "product 1301: image https://cdn.example/1301.jpg answered 404; moved without it".into() });
        }
    }
    push(
        50,
        Level::Debug,
        Some(AgentKind::SeoPreservation),
        EventKind::Log {
            message: "redirect /shop/hoodies -> /collections/hoodies".into(),
        },
    );
    push(
        52,
        Level::Warn,
        Some(AgentKind::DataAnalysis),
        EventKind::InterventionRaised {
            id: Intervention::make_id(3, "assessment/duplicate_sku", "HB-104"),
            title: "Duplicate SKU HB-104 on 3 products".into(),
        },
    );
    push(
        53,
        Level::Warn,
        Some(AgentKind::MigrationPlanning),
        EventKind::InterventionRaised {
            id: Intervention::make_id(3, "planning/option_limit", "1204"),
            title: "Product 1204 has 4 options; Shopify allows 3".into(),
        },
    );
    push(
        55,
        Level::Info,
        ex,
        EventKind::BatchCommitted {
            entity: Entity::Customers,
            counts: counts(120, 0, 0, 0),
            totals: counts(3_480, 0, 0, 0),
            expected: Some(6_200),
            millis: 410,
        },
    );
    out
}

/// `n` filler log lines, for the benchmark's full buffer.
pub fn many_events(n: u64) -> Vec<Event> {
    (0..n)
        .map(|i| Event {
            seq: 10_000 + i,
            run: 3,
            at: format!("2026-11-23T03:{:02}:{:02}Z", (i / 60) % 60, i % 60),
            level: match i % 50 {
                0 => Level::Error,
                1..=4 => Level::Warn,
                _ => Level::Info,
            },
            agent: Some(AgentKind::ALL[(i % 6) as usize]),
            kind: EventKind::Log {
                message: format!(
                    "record {i}: products batch {} committed, sku HB-{}",
                    i / 50,
                    i % 997
                ),
            },
        })
        .collect()
}

/// A file-mapping intervention: an unknown Turkish product sheet and its proposed mapping.
pub fn mapping_intervention() -> Intervention {
    use storeshift_agents::agents::file_mapping::{FileProposal, ProposedColumn, STEP};
    use storeshift_connectors::model::Platform;
    let col = |column: &str, target: &str, confidence: f32, reason: &str, samples: &[&str]| {
        ProposedColumn {
            column: column.into(),
            target: target.into(),
            confidence,
            reason: reason.into(),
            samples: samples.iter().map(|s| s.to_string()).collect(),
        }
    };
    let id = Intervention::make_id(3, STEP, "urunler.csv");
    let proposal = FileProposal {
        file: "/srv/shop/source/urunler.csv".into(),
        name: "urunler.csv".into(),
        entity: Entity::Products,
        layout: Platform::Shopify,
        why: "products: its columns are product fields (title, SKU, price, ...); read as a Shopify \
              products file: consecutive rows that share \"Ürün Adı\" are one product's variants"
            .into(),
        rows: 412,
        columns: vec![
            col("Ürün Adı", "product.title", 0.94, "name \"Ürün Adı\" is a name for product name; 100% of its values are text", &["Kazak", "Gömlek"]),
            col("Stok Kodu", "variant.sku", 0.97, "name \"Stok Kodu\" is WooCommerce's tr_TR name for \"SKU\"; 100% of its values are codes", &["KZ-S", "KZ-M", "GM-1"]),
            col("Satış Fiyatı", "variant.price", 0.87, "name \"Satış Fiyatı\" is a name for price; 100% of its values are prices", &["199,90", "299,90"]),
            col("Renk", "option", 0.6, "no field's name; its short values differ between the rows of one product (38 products): an option", &["Kırmızı", "Mavi"]),
            col("Tedarikçi", "attribute", 0.5, "no field matched (closest: product.vendor at 0.41); kept as an attribute", &["Acme Tekstil"]),
        ],
        problem: None,
        method: "rules".into(),
        min_confidence: 0.5,
        intervention: id.clone(),
    };
    Intervention {
        id,
        run: 3,
        step: STEP.into(),
        item: "urunler.csv".into(),
        title: "Map the columns of urunler.csv (products as Shopify rows)".into(),
        problem: "urunler.csv is not an export file storeshift knows.".into(),
        records: vec![],
        options: vec![
            opt(
                "accept",
                "Accept the proposed mapping",
                "urunler.csv is read as a Shopify products file with the columns mapped as shown.",
            ),
            opt(
                "edited",
                "Use an edited mapping",
                "The file is read with the mapping given with the decision.",
            ),
            opt(
                "skip",
                "Leave this file out",
                "Nothing in urunler.csv is migrated; the report says so.",
            ),
        ],
        recommended: "accept".into(),
        raised_at: "2026-11-23T02:01:00Z".into(),
        detail: serde_json::to_value(&proposal).ok(),
        decision: None,
    }
}
