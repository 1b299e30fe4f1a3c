//! `contracts check`'s rules, table-driven: every breaking and non-breaking
//! change, its finding snapshotted; and the check's four renderings.

use datacontract::compat::{Committed, Impact, changes::changes, check_lock, write_lock};
use datacontract::{
    Bound, Constraint, ConstraintKind, Contract, DataContract, Literal, LogicalType, Mode,
    Registry, Severity,
};

/// A trade, as committed.
#[derive(DataContract)]
#[contract(
    version = "1.2.0",
    dedup_key(trade_id),
    partition_by(day(traded_at)),
    cluster_by(venue),
    rule(name = "positive_notional", sql = "price * quantity > 0"),
    reconcile(sum(quantity), against = "raw_trades.quantity", tolerance = 0.01)
)]
#[allow(dead_code)]
struct Trade {
    /// Exchange-assigned id.
    trade_id: i64,
    #[contract(min_exclusive = 0, max = 1000000)]
    price: f64,
    quantity: i64,
    #[contract(bigquery_type = "NUMERIC(10, 2)")]
    fee: rust_decimal::Decimal,
    #[contract(regex = "^[A-Z]{3,8}$", severity = "warn", references = "venues.code")]
    venue: String,
    #[contract(one_of("buy", "sell"))]
    side: String,
    note: Option<String>,
    traded_at: chrono::DateTime<chrono::Utc>,
    tags: Vec<String>,
    counterparty: Party,
}

/// The other side of a trade.
#[derive(DataContract)]
#[allow(dead_code)]
struct Party {
    id: i64,
    country: Option<String>,
}

fn field<'c>(contract: &'c mut Contract, name: &str) -> &'c mut datacontract::Field {
    contract.fields.iter_mut().find(|f| f.name == name).unwrap()
}

fn constraint<'c>(contract: &'c mut Contract, column: &str) -> &'c mut Constraint {
    &mut field(contract, column).constraints[0]
}

type Mutation = fn(&mut Contract);

/// (case, change, whether it breaks)
fn cases() -> Vec<(&'static str, Mutation, bool)> {
    vec![
        (
            "column removed",
            |c| c.fields.retain(|f| f.name != "note"),
            true,
        ),
        (
            "column renamed",
            |c| field(c, "note").name = "comment".into(),
            true,
        ),
        (
            "type changed",
            |c| field(c, "quantity").logical_type = LogicalType::String,
            true,
        ),
        (
            "INT64 widened to FLOAT64",
            |c| field(c, "quantity").logical_type = LogicalType::Float64,
            false,
        ),
        (
            "INT64 widened to NUMERIC",
            |c| {
                field(c, "quantity").logical_type = LogicalType::Numeric {
                    precision: None,
                    scale: None,
                }
            },
            false,
        ),
        (
            "NUMERIC precision widened",
            |c| {
                field(c, "fee").logical_type = LogicalType::Numeric {
                    precision: Some(12),
                    scale: Some(2),
                }
            },
            false,
        ),
        (
            "NUMERIC scale narrows integer digits",
            |c| {
                field(c, "fee").logical_type = LogicalType::Numeric {
                    precision: Some(10),
                    scale: Some(3),
                }
            },
            true,
        ),
        (
            "FLOAT64 narrowed to INT64",
            |c| field(c, "price").logical_type = LogicalType::Int64,
            true,
        ),
        (
            "NULLABLE to REQUIRED",
            |c| field(c, "note").mode = Mode::Required,
            true,
        ),
        (
            "REQUIRED to NULLABLE",
            |c| field(c, "quantity").mode = Mode::Nullable,
            false,
        ),
        (
            "NULLABLE to REPEATED",
            |c| field(c, "note").mode = Mode::Repeated,
            true,
        ),
        (
            "REPEATED to NULLABLE",
            |c| field(c, "tags").mode = Mode::Nullable,
            true,
        ),
        (
            "new REQUIRED column",
            |c| {
                c.fields.push(datacontract::Field::new(
                    "venue_id",
                    LogicalType::Int64,
                    Mode::Required,
                ))
            },
            true,
        ),
        (
            "new NULLABLE column",
            |c| {
                c.fields.push(datacontract::Field::new(
                    "venue_id",
                    LogicalType::Int64,
                    Mode::Nullable,
                ))
            },
            false,
        ),
        (
            "nested field removed",
            |c| {
                if let LogicalType::Record { fields } = &mut field(c, "counterparty").logical_type {
                    fields.retain(|f| f.name != "country");
                }
            },
            true,
        ),
        (
            "nested NULLABLE field added",
            |c| {
                if let LogicalType::Record { fields } = &mut field(c, "counterparty").logical_type {
                    fields.push(datacontract::Field::new(
                        "city",
                        LogicalType::String,
                        Mode::Nullable,
                    ));
                }
            },
            false,
        ),
        (
            "dedup key changed",
            |c| c.dedup_key.as_mut().unwrap().columns.push("venue".into()),
            true,
        ),
        ("partitioning changed", |c| c.partitioning = None, true),
        (
            "clustering changed",
            |c| c.clustering = vec!["side".into()],
            true,
        ),
        (
            "range narrowed",
            |c| {
                if let ConstraintKind::Range { max, .. } = &mut constraint(c, "price").kind {
                    *max = Some(Bound {
                        value: Literal::Int(1000),
                        inclusive: true,
                    });
                }
            },
            true,
        ),
        (
            "range made exclusive",
            |c| {
                if let ConstraintKind::Range { max, .. } = &mut constraint(c, "price").kind {
                    max.as_mut().unwrap().inclusive = false;
                }
            },
            true,
        ),
        (
            "range widened",
            |c| {
                if let ConstraintKind::Range { max, .. } = &mut constraint(c, "price").kind {
                    *max = None;
                }
            },
            false,
        ),
        (
            "regex changed",
            |c| {
                constraint(c, "venue").kind = ConstraintKind::Regex {
                    pattern: "^[A-Z]{3,12}$".into(),
                }
            },
            true,
        ),
        (
            "warning made an error",
            |c| constraint(c, "venue").severity = Severity::Error,
            true,
        ),
        (
            "one_of shrunk",
            |c| {
                constraint(c, "side").kind = ConstraintKind::OneOf {
                    values: vec!["buy".into()],
                }
            },
            true,
        ),
        (
            "one_of grown",
            |c| {
                constraint(c, "side").kind = ConstraintKind::OneOf {
                    values: vec!["buy".into(), "sell".into(), "cross".into()],
                }
            },
            false,
        ),
        (
            "check added",
            |c| {
                field(c, "note").constraints.push(Constraint {
                    kind: ConstraintKind::Length {
                        min: None,
                        max: Some(200),
                    },
                    severity: Severity::Error,
                })
            },
            true,
        ),
        (
            "check removed",
            |c| field(c, "side").constraints.clear(),
            false,
        ),
        (
            "row rule added",
            |c| {
                c.rules.push(datacontract::RowRule {
                    name: "fee_small".into(),
                    sql: "fee < price".into(),
                    severity: Severity::Error,
                })
            },
            true,
        ),
        (
            "row rule changed",
            |c| c.rules[0].sql = "price * quantity >= 1".into(),
            true,
        ),
        ("row rule removed", |c| c.rules.clear(), false),
        (
            "description changed",
            |c| field(c, "trade_id").description = Some("The venue's id.".into()),
            false,
        ),
        (
            "foreign key added",
            |c| {
                c.foreign_keys.push(datacontract::ForeignKey {
                    columns: vec!["trade_id".into()],
                    table: "orders".into(),
                    referenced: vec!["trade_id".into()],
                    severity: Severity::Warn,
                })
            },
            true,
        ),
        (
            "foreign key made an error",
            |c| c.foreign_keys[0].severity = Severity::Error,
            true,
        ),
        ("foreign key removed", |c| c.foreign_keys.clear(), false),
        (
            "reconciliation added",
            |c| {
                c.reconciliations.push(datacontract::ReconcileRule {
                    name: "row_count".into(),
                    statistic: datacontract::Statistic::RowCount,
                    column: None,
                    table: "raw_trades".into(),
                    other_column: None,
                    tolerance: 0.0,
                    severity: Severity::Error,
                })
            },
            true,
        ),
        (
            "reconciliation tolerance narrowed",
            |c| c.reconciliations[0].tolerance = 0.001,
            true,
        ),
        (
            "reconciliation tolerance widened",
            |c| c.reconciliations[0].tolerance = 0.1,
            false,
        ),
        (
            "reconciliation removed",
            |c| c.reconciliations.clear(),
            false,
        ),
    ]
}

#[test]
fn every_rule_gives_its_finding() {
    let base = Trade::contract();
    let mut table = String::new();
    for (case, mutate, breaking) in cases() {
        let mut changed = base.clone();
        mutate(&mut changed);
        let found = changes(&base, &changed);
        assert!(!found.is_empty(), "{case}: no change found");
        let breaks = found.iter().any(|c| c.impact == Impact::Breaking);
        assert_eq!(breaks, breaking, "{case}: {found:#?}");
        for change in &found {
            table.push_str(&format!(
                "{case:<38} {:<19} {:<22} {:<15} {}\n",
                format!("{:?}", change.impact),
                change.rule,
                change.column.as_deref().unwrap_or("-"),
                change.message
            ));
        }
    }
    insta::assert_snapshot!(table);
}

#[test]
fn a_major_bump_lets_breaking_changes_through_and_lists_them() {
    let base = Trade::contract();
    let mut changed = base.clone();
    changed.fields.retain(|f| f.name != "note");
    changed.version = "2.0.0".into();
    let found = changes(&base, &changed);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].impact, Impact::AllowedByMajorBump);
    changed.version = "1.3.0".into();
    assert_eq!(changes(&base, &changed)[0].impact, Impact::Breaking);
}

#[test]
fn the_check_renders_stale_artifacts_and_breaking_changes_four_ways() {
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("schemas");
    write_lock(&lock, &Registry::new().with::<Trade>()).unwrap();
    let folder = Committed::Folder(lock.clone());
    let clean = check_lock(&Registry::new().with::<Trade>(), &folder, &folder).unwrap();
    assert!(!clean.failed(), "{}", clean.render_text());
    assert!(clean.findings.is_empty());

    let mut changed = Trade::contract();
    changed.fields.retain(|f| f.name != "note");
    changed.fields.push(datacontract::Field::new(
        "venue_id",
        LogicalType::Int64,
        Mode::Nullable,
    ));
    let report = check_lock(&Registry::new().with_contract(changed), &folder, &folder).unwrap();
    assert!(report.failed());
    let shown = |text: String| text.replace(&lock.display().to_string(), "<lock>");
    insta::assert_snapshot!("check_text", shown(report.render_text()));
    insta::assert_snapshot!("check_json", shown(report.render_json()));
    insta::assert_snapshot!("check_junit", shown(report.render_junit()));
    insta::assert_snapshot!("check_markdown", shown(report.render_markdown()));
}

#[test]
fn a_contract_removed_from_the_code_is_a_breaking_change() {
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("schemas");
    write_lock(&lock, &Registry::new().with::<Trade>().with::<Party>()).unwrap();
    let folder = Committed::Folder(lock);
    let report = check_lock(&Registry::new().with::<Trade>(), &folder, &folder).unwrap();
    assert!(report.failed());
    let removed: Vec<_> = report
        .findings
        .iter()
        .map(|f| (f.table.as_str(), f.rule.as_str()))
        .collect();
    assert_eq!(removed, [("party", "table_removed")]);
}

#[test]
fn a_git_ref_is_read_relative_to_the_current_directory() {
    let against = Committed::GitRef {
        reference: "HEAD".into(),
        folder: std::env::temp_dir(),
    };
    let error = check_lock(&Registry::new().with::<Trade>(), &against, &against).unwrap_err();
    assert!(error.to_string().contains("must be relative"), "{error}");
    assert_eq!(
        error.kind(),
        datacontract::pipeline::FailureKind::Usage,
        "the call's mistake"
    );
    let hostile = Committed::GitRef {
        reference: "--output=/tmp/x".into(),
        folder: "contracts/schemas".into(),
    };
    assert!(hostile.read("trade", "contract.json").is_err());
}
