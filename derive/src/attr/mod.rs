//! Parses `#[contract(...)]` on the struct and on its fields.
//!
//! (Long because the attribute language is: one small parser per key, each
//! next to the ones it nests in; the checks across keys live in `check`.)
//!
//! A malformed item is recorded in the [`Ctxt`] and parsing goes on, so one
//! build reports every mistake.

use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::parse::ParseStream;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned as _;
use syn::{Attribute, Expr, ExprLit, ExprUnary, Ident, Lit, LitStr, Token, UnOp};

mod value;

pub use value::{
    Bound, Check, DriftSpec, Expect, FreshnessSpec, Literal, Partition, ReconcileSpec, Reference,
    RegexSource, Rule, Severity, Spanned, Statistic, Target, TimeGranularity, TypeOverride, Value,
    ValueCheck,
};

use crate::ctxt::Ctxt;

/// The table-level attributes, as written.
#[derive(Default)]
pub struct TableAttrs {
    pub name: Option<Spanned<String>>,
    pub version: Option<Spanned<String>>,
    pub description: Option<String>,
    pub dedup_key: Vec<Ident>,
    pub dedup_severity: Option<Severity>,
    pub partition: Option<Partition>,
    pub cluster_by: Vec<Ident>,
    pub severity: Option<Severity>,
    pub row_count: Option<Expect>,
    pub freshness: Option<FreshnessSpec>,
    pub drift: Option<DriftSpec>,
    pub rules: Vec<Rule>,
    pub foreign_keys: Vec<Reference>,
    pub reconciliations: Vec<ReconcileSpec>,
}

/// The field-level attributes, as written.
#[derive(Default)]
pub struct ColumnAttrs {
    pub rename: Option<Spanned<String>>,
    pub skip: bool,
    pub description: Option<String>,
    pub type_override: Option<Spanned<TypeOverride>>,
    pub severity: Option<Severity>,
    pub checks: Vec<Check>,
    pub expectations: Vec<Expect>,
    pub policy_tags: Vec<String>,
    pub sensitivity: Option<Spanned<String>>,
    pub references: Option<Reference>,
}

const TABLE_KEYS: &str = "name, version, description, dedup_key, partition_by, cluster_by, \
                          severity, row_count, freshness, drift, rule, foreign_key, reconcile, warn, error";
const COLUMN_KEYS: &str = "rename, skip, description, bigquery_type, severity, warn, error, \
                           min, max, min_exclusive, max_exclusive, length, regex, one_of, unique, \
                           email, url, expect, policy_tags, sensitivity, references";

/// The keys of one item's `#[contract(...)]` attributes seen so far, to
/// refuse a key that holds one value given twice (the second would
/// silently replace the first), in one attribute or across several.
#[derive(Default)]
struct Seen(Vec<String>);

impl Seen {
    /// Records `key`; an error at `meta` if it was given before.
    fn once(&mut self, cx: &Ctxt, meta: &ParseNestedMeta, key: &str) {
        if self.0.iter().any(|seen| seen == key) {
            cx.error_spanned_by(
                &meta.path,
                format!(
                    "`{key}` is given twice; give it once (the second would replace the first)"
                ),
            );
        } else {
            self.0.push(key.to_string());
        }
    }
}

/// The table keys that hold one value (`rule`, `warn` and `error` add).
const SINGLE_TABLE_KEYS: [&str; 10] = [
    "name",
    "version",
    "description",
    "dedup_key",
    "cluster_by",
    "partition_by",
    "severity",
    "row_count",
    "freshness",
    "drift",
];

/// The column keys that hold one value (checks and expectations add).
const SINGLE_COLUMN_KEYS: [&str; 8] = [
    "rename",
    "skip",
    "description",
    "bigquery_type",
    "severity",
    "policy_tags",
    "sensitivity",
    "references",
];

/// Reads every `#[contract(...)]` on the struct.
pub fn table_attrs(cx: &Ctxt, attrs: &[Attribute]) -> TableAttrs {
    let mut table = TableAttrs::default();
    let mut seen = Seen::default();
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("contract")) {
        if let Err(error) =
            attr.parse_nested_meta(|meta| table_item(cx, &meta, &mut table, &mut seen, None))
        {
            cx.syn_error(error);
        }
    }
    table
}

/// One table-level item; `group` is the severity of an enclosing
/// `warn(...)` or `error(...)`.
fn table_item(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    table: &mut TableAttrs,
    seen: &mut Seen,
    group: Option<Severity>,
) -> syn::Result<()> {
    let key = key_of(meta);
    if SINGLE_TABLE_KEYS.contains(&key.as_str()) {
        seen.once(cx, meta, &key);
    }
    match key.as_str() {
        "warn" | "error" if group.is_none() => {
            let level = if key == "warn" {
                Severity::Warn
            } else {
                Severity::Error
            };
            meta.parse_nested_meta(|inner| {
                if matches!(
                    key_of(&inner).as_str(),
                    "dedup_key"
                        | "row_count"
                        | "rule"
                        | "freshness"
                        | "drift"
                        | "foreign_key"
                        | "reconcile"
                ) {
                    table_item(cx, &inner, table, seen, Some(level))
                } else {
                    unknown(
                        cx,
                        &inner,
                        "severity group",
                        "dedup_key, row_count, rule, freshness, drift, foreign_key, reconcile",
                    )
                }
            })?;
        }
        "name" => table.name = Some(spanned_str(meta)?),
        "version" => table.version = Some(spanned_str(meta)?),
        "description" => table.description = Some(lit_str(meta)?.value()),
        "dedup_key" => {
            table.dedup_severity = group;
            meta.parse_nested_meta(|item| {
                table.dedup_key.push(item.path.require_ident()?.clone());
                Ok(())
            })?;
        }
        "cluster_by" => table.cluster_by = idents(meta)?,
        "partition_by" => table.partition = partition(cx, meta)?,
        "severity" => table.severity = severity(cx, &lit_str(meta)?),
        "row_count" => {
            let mut expect = expectation(cx, meta, Statistic::RowCount)?;
            expect.severity = expect.severity.or(group);
            table.row_count = Some(expect);
        }
        "freshness" => table.freshness = freshness(cx, meta, group)?,
        "drift" => table.drift = drift(cx, meta, group)?,
        "rule" => {
            let mut rule = rule(cx, meta)?;
            rule.severity = rule.severity.or(group);
            table.rules.push(rule);
        }
        "foreign_key" => {
            if let Some(mut key) = foreign_key(cx, meta)? {
                key.severity = key.severity.or(group);
                table.foreign_keys.push(key);
            }
        }
        "reconcile" => {
            if let Some(mut spec) = reconcile(cx, meta)? {
                spec.severity = spec.severity.or(group);
                table.reconciliations.push(spec);
            }
        }
        _ => unknown(cx, meta, "table", TABLE_KEYS)?,
    }
    Ok(())
}

/// Reads every `#[contract(...)]` on a field.
pub fn column_attrs(cx: &Ctxt, attrs: &[Attribute]) -> ColumnAttrs {
    let mut column = ColumnAttrs::default();
    let mut seen = Seen::default();
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("contract")) {
        let parsed = attr.parse_nested_meta(|meta| {
            let key = key_of(&meta);
            if SINGLE_COLUMN_KEYS.contains(&key.as_str()) {
                seen.once(cx, &meta, &key);
            }
            match key.as_str() {
                "rename" => column.rename = Some(spanned_str(&meta)?),
                "skip" => column.skip = true,
                "description" => column.description = Some(lit_str(&meta)?.value()),
                "bigquery_type" => column.type_override = type_override(cx, &lit_str(&meta)?),
                "severity" => column.severity = severity(cx, &lit_str(&meta)?),
                "warn" | "error" => {
                    let group = if key == "warn" { Severity::Warn } else { Severity::Error };
                    meta.parse_nested_meta(|inner| {
                        if inner.path.is_ident("references") {
                            seen.once(cx, &inner, "references");
                            column.references = references(cx, &inner, Some(group))?;
                        } else if !value_check(cx, &inner, Some(group), &mut column.checks)? {
                            unknown(cx, &inner, "check", "min, max, min_exclusive, max_exclusive, length, regex, one_of, unique, email, url, references")?;
                        }
                        Ok(())
                    })?;
                }
                "references" => column.references = references(cx, &meta, None)?,
                "expect" => meta.parse_nested_meta(|inner| {
                    match statistic(&inner)? {
                        Some(statistic) => column.expectations.push(expectation(cx, &inner, statistic)?),
                        None => unknown(
                            cx,
                            &inner,
                            "expectation",
                            "mean, stddev, min, max, sum, quantile, null_fraction, distinct_count",
                        )?,
                    }
                    Ok(())
                })?,
                "policy_tags" => column.policy_tags = lit_strs(&meta)?.iter().map(LitStr::value).collect(),
                "sensitivity" => column.sensitivity = Some(spanned_str(&meta)?),
                _ => {
                    if !value_check(cx, &meta, None, &mut column.checks)? {
                        unknown(cx, &meta, "column", COLUMN_KEYS)?;
                    }
                }
            }
            Ok(())
        });
        if let Err(error) = parsed {
            cx.syn_error(error);
        }
    }
    column
}

/// Parses one per-value check if `meta` names one; `Ok(false)` otherwise.
fn value_check(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    severity: Option<Severity>,
    checks: &mut Vec<Check>,
) -> syn::Result<bool> {
    let span = meta.path.span();
    let kind = match key_of(meta).as_str() {
        "min" => ValueCheck::Min(Bound {
            value: value(cx, meta)?.value,
            inclusive: true,
        }),
        "max" => ValueCheck::Max(Bound {
            value: value(cx, meta)?.value,
            inclusive: true,
        }),
        "min_exclusive" => ValueCheck::Min(Bound {
            value: value(cx, meta)?.value,
            inclusive: false,
        }),
        "max_exclusive" => ValueCheck::Max(Bound {
            value: value(cx, meta)?.value,
            inclusive: false,
        }),
        "length" => {
            let (mut min, mut max) = (None, None);
            meta.parse_nested_meta(|inner| {
                let key = key_of(&inner);
                let length = Some(
                    inner
                        .value()?
                        .parse::<syn::LitInt>()?
                        .base10_parse::<u64>()?,
                );
                match key.as_str() {
                    "min" => min = length,
                    "max" => max = length,
                    "equal" => (min, max) = (length, length),
                    _ => cx.error_spanned_by(
                        &inner.path,
                        "unknown length bound; expected min, max or equal",
                    ),
                }
                Ok(())
            })?;
            ValueCheck::Length { min, max }
        }
        "regex" => ValueCheck::Regex(RegexSource::Literal(lit_str(meta)?)),
        "one_of" => {
            let content;
            syn::parenthesized!(content in meta.input);
            let items = Punctuated::<Expr, Token![,]>::parse_terminated(&content)?;
            let values = items
                .iter()
                .filter_map(|expr| expr_value(cx, expr))
                .collect();
            ValueCheck::OneOf(values)
        }
        "unique" => ValueCheck::Unique,
        "email" => ValueCheck::Email,
        "url" => ValueCheck::Url,
        _ => return Ok(false),
    };
    checks.push(Check {
        kind,
        severity,
        span,
    });
    Ok(true)
}

/// Parses `name(min = …, max = …, q = …, severity = "…")` of one statistic.
fn expectation(cx: &Ctxt, meta: &ParseNestedMeta, statistic: Statistic) -> syn::Result<Expect> {
    let is_quantile = matches!(statistic, Statistic::Quantile { .. });
    let mut expect = Expect {
        statistic,
        min: None,
        max: None,
        severity: None,
        approximate: false,
        span: meta.path.span(),
    };
    meta.parse_nested_meta(|inner| {
        match key_of(&inner).as_str() {
            "approximate" => {
                let flag: syn::LitBool = inner.value()?.parse()?;
                if flag.value && !expect.statistic.is_approximable() {
                    cx.error_at(
                        flag.span(),
                        "only quantile and distinct_count have an approximate aggregate",
                    );
                }
                expect.approximate = flag.value;
            }
            "min" => expect.min = Some(value(cx, &inner)?.value),
            "max" => expect.max = Some(value(cx, &inner)?.value),
            "severity" => expect.severity = severity(cx, &lit_str(&inner)?),
            "q" if is_quantile => {
                let q = value(cx, &inner)?;
                match q.value.as_f64() {
                    Some(q) if (0.0..=1.0).contains(&q) => {
                        expect.statistic = Statistic::Quantile { q }
                    }
                    _ => cx.error_at(q.span, "a quantile's `q` must be a number between 0 and 1"),
                }
            }
            _ => unknown(
                cx,
                &inner,
                "expectation bound",
                "min, max, severity (and q for quantile; approximate for quantile and distinct_count)",
            )?,
        }
        Ok(())
    })?;
    if expect.min.is_none() && expect.max.is_none() {
        cx.error_at(expect.span, "an expectation needs `min`, `max` or both");
    }
    if matches!(expect.statistic, Statistic::Quantile { q } if q.is_nan()) {
        cx.error_at(
            expect.span,
            "a quantile expectation needs `q = …` between 0 and 1",
        );
    }
    if let Statistic::Quantile { q } = expect.statistic
        && expect.approximate
        && (q * 10_000.0).round() / 10_000.0 != q
    {
        cx.error_at(
            expect.span,
            "an approximate quantile's `q` has at most four decimals (BigQuery's APPROX_QUANTILES has at most 10,000 buckets)",
        );
    }
    Ok(expect)
}

fn statistic(meta: &ParseNestedMeta) -> syn::Result<Option<Statistic>> {
    Ok(Some(match key_of(meta).as_str() {
        "mean" => Statistic::Mean,
        "stddev" => Statistic::Stddev,
        "min" => Statistic::Min,
        "max" => Statistic::Max,
        "sum" => Statistic::Sum,
        "quantile" => Statistic::Quantile { q: f64::NAN },
        "null_fraction" => Statistic::NullFraction,
        "distinct_count" => Statistic::DistinctCount,
        _ => return Ok(None),
    }))
}

/// `partition_by(day(col))`, `partition_by(ingestion_time(day))` or
/// `partition_by(range(col, start = 0, end = 100, interval = 10))`.
fn partition(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<Partition>> {
    let mut partition = None;
    meta.parse_nested_meta(|inner| {
        let key = key_of(&inner);
        if let Some(granularity) = granularity(&key) {
            let column = single_ident(&inner)?;
            partition = Some(Partition::Time {
                column,
                granularity: Spanned { value: granularity, span: inner.path.span() },
            });
        } else if key == "ingestion_time" {
            let unit = single_ident(&inner)?;
            match granularity(&unit.to_string()) {
                Some(granularity) => partition = Some(Partition::IngestionTime { granularity }),
                None => cx.error_spanned_by(&unit, "expected hour, day, month or year"),
            }
        } else if key == "range" {
            let (mut column, mut bounds) = (None, [None; 3]);
            inner.parse_nested_meta(|arg| {
                let slot = match key_of(&arg).as_str() {
                    "start" => 0,
                    "end" => 1,
                    "interval" => 2,
                    _ if arg.input.is_empty() || arg.input.peek(Token![,]) => {
                        column = arg.path.get_ident().cloned();
                        return Ok(());
                    }
                    _ => return Err(arg.error("expected the column, then start, end and interval")),
                };
                match value(cx, &arg)?.value {
                    Value::Const(Literal::Int(bound)) => bounds[slot] = Some(bound),
                    _ => cx.error_spanned_by(&arg.path, "range partition bounds are integers"),
                }
                Ok(())
            })?;
            match (column, bounds) {
                (Some(column), [Some(start), Some(end), Some(interval)]) => {
                    if interval <= 0 || start >= end {
                        cx.error_spanned_by(&inner.path, "a range partition needs start < end and interval > 0");
                    }
                    partition = Some(Partition::Range { column, start, end, interval });
                }
                _ => cx.error_spanned_by(
                    &inner.path,
                    "write range(column, start = …, end = …, interval = …)",
                ),
            }
        } else {
            unknown(cx, &inner, "partitioning", "hour(col), day(col), month(col), year(col), ingestion_time(unit), range(col, start, end, interval)")?;
        }
        Ok(())
    })?;
    Ok(partition)
}

/// `freshness(column, max_age = "26h")`: the age is a whole number of
/// seconds (`s`), minutes (`m`), hours (`h`) or days (`d`).
fn freshness(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    group: Option<Severity>,
) -> syn::Result<Option<FreshnessSpec>> {
    let (mut column, mut max_age_seconds) = (None, None);
    meta.parse_nested_meta(|item| {
        if item.path.is_ident("max_age") {
            let lit = lit_str(&item)?;
            max_age_seconds = age_seconds(&lit.value());
            if max_age_seconds.is_none() {
                cx.error_spanned_by(
                    &lit,
                    "write the age as a number and a unit: \"90s\", \"15m\", \"26h\" or \"7d\"",
                );
            }
        } else {
            column = Some(item.path.require_ident()?.clone());
        }
        Ok(())
    })?;
    match (column, max_age_seconds) {
        (Some(column), Some(max_age_seconds)) => Ok(Some(FreshnessSpec {
            column,
            max_age_seconds,
            severity: group,
        })),
        _ => {
            cx.error_spanned_by(&meta.path, "write freshness(column, max_age = \"26h\")");
            Ok(None)
        }
    }
}

/// `drift(psi = 0.25, ks = 0.3, category_share = 0.1, columns(a, b))`:
/// thresholds between 0 and 1 (PSI up to 10), at least one of them.
fn drift(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    group: Option<Severity>,
) -> syn::Result<Option<DriftSpec>> {
    let mut spec = DriftSpec {
        columns: Vec::new(),
        psi: None,
        ks: None,
        category_share: None,
        severity: group,
    };
    meta.parse_nested_meta(|item| {
        let key = key_of(&item);
        if key == "columns" {
            spec.columns = idents(&item)?;
            return Ok(());
        }
        let slot = match key.as_str() {
            "psi" => &mut spec.psi,
            "ks" => &mut spec.ks,
            "category_share" => &mut spec.category_share,
            _ => return unknown(cx, &item, "drift", "psi, ks, category_share, columns"),
        };
        let limit = datacontract_model::DriftRule::LIMITS
            .iter()
            .find(|(name, _)| *name == key)
            .map_or(1.0, |(_, limit)| *limit);
        let lit: Lit = item.value()?.parse()?;
        let value: f64 = match &lit {
            Lit::Float(number) => number.base10_parse()?,
            Lit::Int(number) => number.base10_parse()?,
            _ => {
                return Err(syn::Error::new_spanned(
                    &lit,
                    "write the threshold as a number",
                ));
            }
        };
        if !(value > 0.0 && value <= limit) {
            cx.error_spanned_by(&lit, format!("a {key} threshold lies in (0, {limit}]"));
        }
        *slot = Some(value);
        Ok(())
    })?;
    if spec.psi.is_none() && spec.ks.is_none() && spec.category_share.is_none() {
        cx.error_spanned_by(
            &meta.path,
            "name at least one threshold: drift(psi = 0.25, ks = 0.3, category_share = 0.1)",
        );
        return Ok(None);
    }
    Ok(Some(spec))
}

fn age_seconds(text: &str) -> Option<u64> {
    let unit_at = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(unit_at);
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return None,
    };
    number
        .parse::<u64>()
        .ok()?
        .checked_mul(scale)
        .filter(|age| *age > 0)
}

fn granularity(name: &str) -> Option<TimeGranularity> {
    Some(match name {
        "hour" => TimeGranularity::Hour,
        "day" => TimeGranularity::Day,
        "month" => TimeGranularity::Month,
        "year" => TimeGranularity::Year,
        _ => return None,
    })
}

/// `references(Order.order_id)`, `references(OrderLine(order_id, line))`
/// or `references = "orders.order_id"`: what a foreign key names, with
/// the severity of an enclosing group. `None` after an error is recorded.
fn references(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    group: Option<Severity>,
) -> syn::Result<Option<Reference>> {
    let span = meta.path.span();
    let target = if meta.input.peek(Token![=]) {
        let lit = lit_str(meta)?;
        match datacontract_model::parse_target(&lit.value()) {
            Ok((table, columns)) => Target::Table {
                table,
                columns: Spanned {
                    value: columns,
                    span: lit.span(),
                },
            },
            Err(problem) => {
                cx.error_spanned_by(&lit, problem);
                return Ok(None);
            }
        }
    } else {
        let content;
        syn::parenthesized!(content in meta.input);
        let ty = syn::Path::parse_mod_style(&content)?;
        let columns = if content.peek(Token![.]) {
            content.parse::<Token![.]>()?;
            vec![content.parse::<Ident>()?]
        } else if content.peek(syn::token::Paren) {
            let inner;
            syn::parenthesized!(inner in content);
            Punctuated::<Ident, Token![,]>::parse_terminated(&inner)?
                .into_iter()
                .collect()
        } else {
            return Err(content.error(
                "write the referenced contract and its column: `references(Order.order_id)`, or `references(OrderLine(order_id, line))`",
            ));
        };
        if !content.is_empty() {
            return Err(content.error("unexpected tokens after the referenced columns"));
        }
        Target::Type { ty, columns }
    };
    Ok(Some(Reference {
        columns: Vec::new(),
        target,
        severity: group,
        span,
    }))
}

/// `foreign_key(columns(a, b), references(OrderLine(order_id, line)))`,
/// or with `references = "order_lines(order_id, line)"`, and optionally
/// `severity = "warn"`.
fn foreign_key(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<Reference>> {
    let (mut columns, mut target, mut level) = (Vec::new(), None, None);
    let mut failed = false;
    meta.parse_nested_meta(|item| {
        match key_of(&item).as_str() {
            "columns" => columns = idents(&item)?,
            "references" => match references(cx, &item, None)? {
                Some(reference) => target = Some(reference.target),
                None => failed = true,
            },
            "severity" => level = severity(cx, &lit_str(&item)?),
            _ => unknown(cx, &item, "foreign key", "columns, references, severity")?,
        }
        Ok(())
    })?;
    if columns.len() == 1 {
        cx.error_spanned_by(
            &meta.path,
            "a key of one column is written on its field: #[contract(references(Order.order_id))]",
        );
        return Ok(None);
    }
    match target {
        Some(target) if !columns.is_empty() => Ok(Some(Reference {
            columns,
            target,
            severity: level,
            span: meta.path.span(),
        })),
        _ if failed => Ok(None),
        _ => {
            cx.error_spanned_by(
                &meta.path,
                "write foreign_key(columns(a, b), references(OrderLine(order_id, line)))",
            );
            Ok(None)
        }
    }
}

/// `reconcile(sum(volume), against = "raw_klines.volume", tolerance = 1e-9,
/// name = "…", severity = "…")`; the row count is `row_count` and names
/// no column, on either side. `None` after an error is recorded.
fn reconcile(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<ReconcileSpec>> {
    let span = meta.path.span();
    let (mut measured, mut against, mut tolerance) = (None, None, 0.0);
    let (mut name, mut level) = (None, None);
    meta.parse_nested_meta(|item| {
        let key = key_of(&item);
        match key.as_str() {
            "against" => {
                let lit = lit_str(&item)?;
                let text = lit.value();
                let (table, column) = match text.split_once('.') {
                    Some((table, column)) => (table.to_string(), Some(column.to_string())),
                    None => (text.clone(), None),
                };
                let problem = datacontract_model::naming::table_name_problem(&table).or_else(|| {
                    column
                        .as_deref()
                        .and_then(datacontract_model::naming::column_name_problem)
                });
                match problem {
                    Some(problem) => cx.error_spanned_by(&lit, problem),
                    None => against = Some((table, column, lit.span())),
                }
            }
            "tolerance" => {
                let lit: Lit = item.value()?.parse()?;
                let value: f64 = match &lit {
                    Lit::Float(number) => number.base10_parse()?,
                    Lit::Int(number) => number.base10_parse()?,
                    _ => return Err(syn::Error::new_spanned(&lit, "write the tolerance as a number")),
                };
                if !(value.is_finite() && value >= 0.0) {
                    cx.error_spanned_by(&lit, "a tolerance is a finite number, at least 0");
                }
                tolerance = value;
            }
            "name" => name = Some(lit_str(&item)?.value()),
            "severity" => level = severity(cx, &lit_str(&item)?),
            "row_count" => measured = Some((Statistic::RowCount, None, item.path.span())),
            _ => match statistic(&item)? {
                Some(statistic) if datacontract_model::ReconcileRule::measures(&statistic) => {
                    measured = Some((statistic, Some(single_ident(&item)?), item.path.span()));
                }
                _ => unknown(
                    cx,
                    &item,
                    "reconciliation",
                    "row_count, sum(col), distinct_count(col), min(col), max(col), mean(col), against, tolerance, name, severity",
                )?,
            },
        }
        Ok(())
    })?;
    match (measured, against) {
        (Some((statistic, column, _)), Some((table, other_column, against_span))) => {
            Ok(Some(ReconcileSpec {
                statistic,
                column,
                table,
                other_column,
                against_span,
                tolerance,
                name,
                severity: level,
                span,
            }))
        }
        _ => {
            cx.error_spanned_by(
                &meta.path,
                "write reconcile(sum(column), against = \"table.column\") or reconcile(row_count, against = \"table\")",
            );
            Ok(None)
        }
    }
}

/// `rule("sql")` or `rule(name = "…", sql = "…", severity = "…")`, where a
/// bare string is the SQL.
fn rule(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Rule> {
    let content;
    syn::parenthesized!(content in meta.input);
    let (mut sql, mut name, mut level) = (None, None, None);
    while !content.is_empty() {
        if content.peek(LitStr) {
            sql = Some(content.parse::<LitStr>()?);
        } else {
            let key: Ident = content.parse()?;
            content.parse::<Token![=]>()?;
            let text: LitStr = content.parse()?;
            match key.to_string().as_str() {
                "sql" => sql = Some(text),
                "name" => name = Some(text.value()),
                "severity" => level = severity(cx, &text),
                _ => cx.error_spanned_by(&key, "unknown rule key; expected sql, name or severity"),
            }
        }
        if !content.is_empty() {
            content.parse::<Token![,]>()?;
        }
    }
    match sql {
        Some(sql) => Ok(Rule {
            sql,
            name,
            severity: level,
        }),
        None => Err(meta.error("a rule needs its SQL: rule(\"high >= low\")")),
    }
}

/// `"NUMERIC(38, 9)"`, `"BIGNUMERIC"`, `"JSON"`, or the inferred type's name.
fn type_override(cx: &Ctxt, lit: &LitStr) -> Option<Spanned<TypeOverride>> {
    let text = lit.value().to_ascii_uppercase().replace(' ', "");
    let (name, params) = match text.split_once('(') {
        Some((name, rest)) => match rest.strip_suffix(')') {
            Some(params) => (name.to_string(), Some(params.to_string())),
            None => {
                cx.error_spanned_by(lit, "unbalanced parentheses in the BigQuery type");
                return None;
            }
        },
        None => (text.clone(), None),
    };
    let parsed = match (name.as_str(), params) {
        ("NUMERIC" | "BIGNUMERIC" | "DECIMAL" | "BIGDECIMAL", params) => {
            let big = name.starts_with("BIG");
            let (max_scale, max_integer_digits) = if big { (38, 38) } else { (9, 29) };
            let (precision, scale) = match params.as_deref().map(decimal_params) {
                None => (None, None),
                Some(Some((precision, scale))) => (Some(precision), Some(scale)),
                Some(None) => {
                    cx.error_spanned_by(
                        lit,
                        "write the decimal type as NUMERIC(P) or NUMERIC(P, S)",
                    );
                    return None;
                }
            };
            if let (Some(precision), Some(scale)) = (precision, scale)
                && (scale > max_scale
                    || precision < scale.max(1)
                    || precision - scale > max_integer_digits)
            {
                cx.error_spanned_by(
                    lit,
                    format!(
                        "{name}({precision}, {scale}) is out of range: scale at most {max_scale}, \
                             precision between max(1, scale) and scale + {max_integer_digits}"
                    ),
                );
                return None;
            }
            if big {
                TypeOverride::BigNumeric { precision, scale }
            } else {
                TypeOverride::Numeric { precision, scale }
            }
        }
        ("JSON", None) => TypeOverride::Json,
        (other, None) => TypeOverride::Same(other.to_string()),
        (other, Some(_)) => {
            cx.error_spanned_by(
                lit,
                format!("BigQuery type `{other}` takes no parameters here"),
            );
            return None;
        }
    };
    Some(Spanned {
        value: parsed,
        span: lit.span(),
    })
}

fn decimal_params(params: &str) -> Option<(u8, u8)> {
    let mut parts = params.split(',').map(str::parse::<u8>);
    let precision = parts.next()?.ok()?;
    let scale = match parts.next() {
        Some(scale) => scale.ok()?,
        None => 0,
    };
    parts.next().is_none().then_some((precision, scale))
}

pub fn severity(cx: &Ctxt, lit: &LitStr) -> Option<Severity> {
    match lit.value().as_str() {
        "error" => Some(Severity::Error),
        "warn" | "warning" => Some(Severity::Warn),
        other => {
            cx.error_spanned_by(
                lit,
                format!("unknown severity `{other}`; expected \"error\" or \"warn\""),
            );
            None
        }
    }
}

/// Records an unknown key and skips its value so parsing can go on.
fn unknown(cx: &Ctxt, meta: &ParseNestedMeta, what: &str, expected: &str) -> syn::Result<()> {
    cx.error_spanned_by(
        &meta.path,
        format!(
            "unknown {what} attribute `{}`; expected one of: {expected}",
            key_of(meta)
        ),
    );
    skip_value(meta.input)
}

/// Skips `= value` or `(...)` after a key, so parsing can go on.
pub fn skip_value(input: ParseStream) -> syn::Result<()> {
    if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        input.parse::<Expr>()?;
    } else if input.peek(syn::token::Paren) {
        let _content;
        syn::parenthesized!(_content in input);
        let _: proc_macro2::TokenStream = _content.parse()?;
    }
    Ok(())
}

pub fn key_of(meta: &ParseNestedMeta) -> String {
    meta.path
        .get_ident()
        .map(|ident| ident.to_string())
        .unwrap_or_else(|| meta.path.to_token_stream().to_string())
}

fn lit_str(meta: &ParseNestedMeta) -> syn::Result<LitStr> {
    meta.value()?.parse()
}

fn spanned_str(meta: &ParseNestedMeta) -> syn::Result<Spanned<String>> {
    let lit = lit_str(meta)?;
    Ok(Spanned {
        value: lit.value(),
        span: lit.span(),
    })
}

fn idents(meta: &ParseNestedMeta) -> syn::Result<Vec<Ident>> {
    let content;
    syn::parenthesized!(content in meta.input);
    Ok(Punctuated::<Ident, Token![,]>::parse_terminated(&content)?
        .into_iter()
        .collect())
}

fn single_ident(meta: &ParseNestedMeta) -> syn::Result<Ident> {
    let content;
    syn::parenthesized!(content in meta.input);
    content.parse()
}

fn lit_strs(meta: &ParseNestedMeta) -> syn::Result<Vec<LitStr>> {
    let content;
    syn::parenthesized!(content in meta.input);
    Ok(Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?
        .into_iter()
        .collect())
}

/// `= <literal>`, negative numbers included.
pub fn value(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Spanned<Value>> {
    let expr: Expr = meta.value()?.parse()?;
    let span = expr.span();
    let value = expr_value(cx, &expr).unwrap_or(Value::Const(Literal::Int(0)));
    Ok(Spanned { value, span })
}

/// The constant an expression spells, or an error recorded at it.
pub fn expr_value(cx: &Ctxt, expr: &Expr) -> Option<Value> {
    let (negative, lit) = match expr {
        Expr::Lit(ExprLit { lit, .. }) => (false, lit),
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => match &**expr {
            Expr::Lit(ExprLit { lit, .. }) => (true, lit),
            _ => return literal_expected(cx, expr),
        },
        _ => return literal_expected(cx, expr),
    };
    let value = match lit {
        // i64::MIN is a literal too, though its magnitude is no i64.
        Lit::Int(int) => match (negative, int.base10_parse::<u64>()) {
            (true, Ok(magnitude)) if magnitude == i64::MIN.unsigned_abs() => {
                Ok(Value::Const(Literal::Int(i64::MIN)))
            }
            _ => int
                .base10_parse::<i64>()
                .map(|v| Value::Const(Literal::Int(if negative { -v } else { v }))),
        },
        Lit::Float(float) => float
            .base10_parse::<f64>()
            .map(|v| Value::Const(Literal::Float(if negative { -v } else { v }))),
        Lit::Str(text) if !negative => Ok(Value::Const(Literal::String(text.value()))),
        Lit::Bool(flag) if !negative => Ok(Value::Const(Literal::Bool(flag.value))),
        _ => return literal_expected(cx, expr),
    };
    value.map_err(|error| cx.syn_error(error)).ok()
}

fn literal_expected(cx: &Ctxt, expr: &Expr) -> Option<Value> {
    cx.error_spanned_by(expr, "expected a number, a string or a boolean literal");
    None
}
