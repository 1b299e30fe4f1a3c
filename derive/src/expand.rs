//! Turns a checked [`Table`] into the `DataContract` impl: code that builds
//! the library's `Contract` description, and nothing else.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::Ident;
use syn::ext::IdentExt;
use syn::spanned::Spanned as _;

use datacontract_model::naming;
use datacontract_model::tokens::{option, scalar_type_tokens};
use datacontract_model::{ConstraintKind, Sensitivity};

use crate::ast::{Column, Table};
use crate::attr::{
    Bound, Check, Expect, Partition, ReconcileSpec, Reference, RegexSource, Severity, Target,
    Value, ValueCheck,
};
use crate::check::scalar_logical_type;
use crate::ty::{self, Scalar};

/// The `impl DataContract` block, and a compile-time depth assertion per
/// RECORD column.
pub fn expand(table: &Table) -> TokenStream {
    let ident = &table.ident;
    let name = &table.name.value;
    let version = &table.version.value;
    let description = option_string(table.description.as_deref());
    let fields = table.columns.iter().map(|column| field(table, column));
    let dedup_key = if table.dedup_key.is_empty() {
        quote!(::std::option::Option::None)
    } else {
        let columns = table
            .dedup_key
            .iter()
            .map(|key| string(column_name(table, key)));
        let level = table.dedup_severity.unwrap_or(table.severity);
        quote!(::std::option::Option::Some(::datacontract::DedupKey {
            columns: ::std::vec![#(#columns),*],
            severity: #level,
        }))
    };
    let clustering = table
        .cluster_by
        .iter()
        .map(|key| string(column_name(table, key)));
    let partitioning = match &table.partition {
        Some(partition) => {
            let partition = partitioning(table, partition);
            quote!(::std::option::Option::Some(#partition))
        }
        None => quote!(::std::option::Option::None),
    };
    let default_severity = table.severity;
    let rules = table.rules.iter().map(|rule| {
        let sql = rule.sql.value();
        let name = string(&rule.name.clone().unwrap_or_else(|| naming::rule_name(&sql)));
        let level = rule.severity.unwrap_or(table.severity);
        quote!(::datacontract::RowRule { name: #name, sql: #sql.to_string(), severity: #level })
    });
    let table_expectations = table
        .row_count
        .iter()
        .map(|expect| expectation(expect, table.severity));
    let freshness = option(table.freshness.as_ref().map(|freshness| {
        let column = string(column_name(table, &freshness.column));
        let max_age_seconds = freshness.max_age_seconds;
        let level = freshness.severity.unwrap_or(table.severity);
        quote!(::datacontract::Freshness {
            column: #column,
            max_age_seconds: #max_age_seconds,
            severity: #level,
        })
    }));
    let drift = option(table.drift.as_ref().map(|drift| {
        let columns = drift
            .columns
            .iter()
            .map(|column| string(column_name(table, column)));
        let threshold = |value: Option<f64>| option(value.map(|v| quote!(#v)));
        let (psi, ks, share) = (
            threshold(drift.psi),
            threshold(drift.ks),
            threshold(drift.category_share),
        );
        let level = drift.severity.unwrap_or(table.severity);
        quote!(::datacontract::DriftRule {
            columns: ::std::vec![#(#columns),*],
            max_psi: #psi,
            max_ks: #ks,
            max_share_change: #share,
            severity: #level,
        })
    }));
    let records: Vec<&syn::Type> = table
        .columns
        .iter()
        .filter_map(|column| column.column_type.as_ref())
        .filter(|column_type| column_type.scalar == Scalar::Record)
        .map(|column_type| &column_type.element)
        .collect();
    let depth_assertions = records.iter().map(|record| {
        quote_spanned! {record.span()=>
            const _: () = ::core::assert!(
                <#record as ::datacontract::DataContract>::RECORD_DEPTH <= ::datacontract::MAX_RECORD_DEPTH,
                "BigQuery nests RECORD columns at most 15 levels deep",
            );
        }
    });
    let key_columns = table.columns.iter().filter_map(|column| {
        let logical = scalar_logical_type(column)?;
        let repeated = column.column_type.as_ref()?.mode == ty::Mode::Repeated;
        let key_type = logical.key_type();
        let name = &column.name.value;
        (logical.can_be_key() && !repeated).then(|| quote!((#name, #key_type)))
    });
    let foreign_keys = table.foreign_keys.iter().map(|key| foreign_key(table, key));
    let reconciliations = table
        .reconciliations
        .iter()
        .map(|spec| reconciliation(table, spec));
    let reference_assertions = table
        .foreign_keys
        .iter()
        .flat_map(|key| reference_assertions(table, key));
    quote! {
        #[automatically_derived]
        impl ::datacontract::DataContract for #ident {
            const RECORD_DEPTH: usize = 1 + ::datacontract::__private::max_depth(&[
                #(<#records as ::datacontract::DataContract>::RECORD_DEPTH),*
            ]);
            const TABLE: &'static str = #name;
            const KEY_COLUMNS: &'static [(&'static str, &'static str)] = &[#(#key_columns),*];

            fn contract() -> ::datacontract::Contract {
                ::datacontract::Contract {
                    name: #name.to_string(),
                    version: #version.to_string(),
                    description: #description,
                    fields: ::std::vec![#(#fields),*],
                    dedup_key: #dedup_key,
                    partitioning: #partitioning,
                    clustering: ::std::vec![#(#clustering),*],
                    default_severity: #default_severity,
                    rules: ::std::vec![#(#rules),*],
                    expectations: ::std::vec![#(#table_expectations),*],
                    freshness: #freshness,
                    drift: #drift,
                    foreign_keys: ::std::vec![#(#foreign_keys),*],
                    reconciliations: ::std::vec![#(#reconciliations),*],
                }
            }
        }
        #(#depth_assertions)*
        #(#reference_assertions)*
    }
}

/// A foreign key as the contract holds it. A key naming a contract type
/// takes that type's table name.
fn foreign_key(table: &Table, key: &Reference) -> TokenStream {
    let columns = key
        .columns
        .iter()
        .map(|column| string(column_name(table, column)));
    let (referenced_table, referenced) = match &key.target {
        Target::Type { ty, columns } => (
            quote!(<#ty as ::datacontract::DataContract>::TABLE.to_string()),
            columns
                .iter()
                .map(|c| c.unraw().to_string())
                .collect::<Vec<_>>(),
        ),
        Target::Table { table, columns } => (quote!(#table.to_string()), columns.value.clone()),
    };
    let referenced = referenced.iter().map(|column| string(column));
    let level = key.severity.unwrap_or(table.severity);
    quote!(::datacontract::ForeignKey {
        columns: ::std::vec![#(#columns),*],
        table: #referenced_table,
        referenced: ::std::vec![#(#referenced),*],
        severity: #level,
    })
}

/// A reconciliation as the contract holds it, named by default after its
/// statistic and column (`sum_volume`).
fn reconciliation(table: &Table, spec: &ReconcileSpec) -> TokenStream {
    let column = spec
        .column
        .as_ref()
        .map(|ident| column_name(table, ident).to_string());
    let name = spec.name.clone().unwrap_or_else(|| {
        datacontract_model::ReconcileRule::default_name(&spec.statistic.name(), column.as_deref())
    });
    let name = string(&name);
    let statistic = &spec.statistic;
    let column = option(column.map(|column| string(&column)));
    let other_table = &spec.table;
    let other_column = option(spec.other_column.as_deref().map(string));
    let tolerance = spec.tolerance;
    let level = spec.severity.unwrap_or(table.severity);
    quote!(::datacontract::ReconcileRule {
        name: #name,
        statistic: #statistic,
        column: #column,
        table: #other_table.to_string(),
        other_column: #other_column,
        tolerance: #tolerance,
        severity: #level,
    })
}

/// For a key naming a contract type: one constant per column, which fails
/// to compile when that type has no such scalar column, or has it with
/// another type.
fn reference_assertions(table: &Table, key: &Reference) -> Vec<TokenStream> {
    let Target::Type { ty, columns } = &key.target else {
        return Vec::new();
    };
    let shown_type = ty.to_token_stream().to_string().replace(' ', "");
    key.columns
        .iter()
        .zip(columns)
        .map(|(ours, theirs)| {
            let column = table.column(ours).expect("checked: a key's columns exist");
            let key_type = scalar_logical_type(column)
                .expect("checked: a key's columns are scalar")
                .key_type();
            let ours = &column.name.value;
            let theirs = theirs.unraw().to_string();
            let missing = format!(
                "`{shown_type}` has no column `{theirs}` a key can reference (a scalar column, not an array, RECORD or JSON), which `{}.{ours}` references",
                table.name.value
            );
            let other_type = format!(
                "`{}.{ours}` is {key_type}, but the column it references, `{shown_type}.{theirs}`, is of another type",
                table.name.value
            );
            quote_spanned! {key.span=>
                const _: () = match ::datacontract::__private::reference_fit(
                    <#ty as ::datacontract::DataContract>::KEY_COLUMNS,
                    #theirs,
                    #key_type,
                ) {
                    ::datacontract::__private::ReferenceFit::Missing => ::core::panic!(#missing),
                    ::datacontract::__private::ReferenceFit::OtherType => ::core::panic!(#other_type),
                    ::datacontract::__private::ReferenceFit::Fits => {}
                };
            }
        })
        .collect()
}

fn field(table: &Table, column: &Column) -> TokenStream {
    let column_type = column
        .column_type
        .as_ref()
        .expect("checked: every column has a type");
    let name = &column.name.value;
    let logical_type = logical_type(column);
    let mode = column_type.mode;
    let description = option_string(column.description.as_deref());
    let null_array_allowed = column_type.null_array_allowed;
    let fallback = column.attrs.severity.unwrap_or(table.severity);
    let constraints = constraints(column, fallback);
    let expectations = column
        .attrs
        .expectations
        .iter()
        .map(|expect| expectation(expect, fallback));
    let policy_tags = column.attrs.policy_tags.iter().map(|tag| string(tag));
    let sensitivity =
        option(column.attrs.sensitivity.as_ref().map(|level| {
            Sensitivity::from_name(&level.value).expect("checked: a known sensitivity")
        }));
    quote! {
        ::datacontract::Field {
            name: #name.to_string(),
            logical_type: #logical_type,
            mode: #mode,
            description: #description,
            null_array_allowed: #null_array_allowed,
            constraints: ::std::vec![#(#constraints),*],
            expectations: ::std::vec![#(#expectations),*],
            policy_tags: ::std::vec![#(#policy_tags),*],
            sensitivity: #sensitivity,
        }
    }
}

fn logical_type(column: &Column) -> TokenStream {
    match scalar_logical_type(column) {
        Some(logical_type) => scalar_type_tokens(&logical_type).expect("not a RECORD"),
        None => {
            let record = &column
                .column_type
                .as_ref()
                .expect("checked: every column has a type")
                .element;
            quote_spanned! {record.span()=>
                ::datacontract::LogicalType::Record {
                    fields: <#record as ::datacontract::DataContract>::contract().fields,
                }
            }
        }
    }
}

/// The column's checks; `min` and `max` of one severity become one range.
/// They are listed in `ConstraintKind::NAMES`' order (ranges first, the
/// error range before the warning one), so the attributes' order does not
/// change the contract.
fn constraints(column: &Column, fallback: Severity) -> Vec<TokenStream> {
    let mut ranges: Vec<(Severity, Option<&Bound>, Option<&Bound>)> = Vec::new();
    let mut others = Vec::new();
    let mut checks: Vec<&Check> = column.attrs.checks.iter().collect();
    checks.sort_by_key(|check| ConstraintKind::rank_of(check.kind.kind_name()));
    for check in checks {
        let level = check.severity.unwrap_or(fallback);
        let kind = match &check.kind {
            ValueCheck::Min(bound) | ValueCheck::Max(bound) => {
                let is_min = matches!(check.kind, ValueCheck::Min(_));
                match ranges.iter_mut().find(|(s, _, _)| *s == level) {
                    Some((_, min, _)) if is_min => *min = Some(bound),
                    Some((_, _, max)) => *max = Some(bound),
                    None if is_min => ranges.push((level, Some(bound), None)),
                    None => ranges.push((level, None, Some(bound))),
                }
                continue;
            }
            ValueCheck::Length { min, max } => {
                let (min, max) = (option(*min), option(*max));
                quote!(Length { min: #min, max: #max })
            }
            ValueCheck::Regex(RegexSource::Literal(pattern)) => {
                quote!(Regex { pattern: #pattern.to_string() })
            }
            ValueCheck::Regex(RegexSource::Path(path)) => {
                quote!(Regex { pattern: ::std::string::ToString::to_string((#path).as_str()) })
            }
            ValueCheck::OneOf(values) => {
                let values = values.iter().map(literal);
                quote!(OneOf {
                    values: ::std::vec![#(#values),*]
                })
            }
            ValueCheck::Unique => quote!(Unique),
            ValueCheck::Email => quote!(Email),
            ValueCheck::Url => quote!(Url),
        };
        others.push(constraint(kind, level));
    }
    // Errors' range first, whichever severity the attributes gave first.
    ranges.sort_by_key(|(level, _, _)| *level != Severity::Error);
    let mut all: Vec<TokenStream> = ranges
        .into_iter()
        .map(|(level, min, max)| {
            let (min, max) = (option_bound(min), option_bound(max));
            constraint(quote!(Range { min: #min, max: #max }), level)
        })
        .collect();
    all.extend(others);
    all
}

fn constraint(kind: TokenStream, level: Severity) -> TokenStream {
    quote!(::datacontract::Constraint { kind: ::datacontract::ConstraintKind::#kind, severity: #level })
}

fn option_bound(bound: Option<&Bound>) -> TokenStream {
    match bound {
        Some(Bound { value, inclusive }) => {
            let value = literal(value);
            quote!(::std::option::Option::Some(::datacontract::Bound { value: #value, inclusive: #inclusive }))
        }
        None => quote!(::std::option::Option::None),
    }
}

fn expectation(expect: &Expect, fallback: Severity) -> TokenStream {
    let statistic = &expect.statistic;
    let option_literal = |value: &Option<Value>| match value {
        Some(value) => {
            let value = literal(value);
            quote!(::std::option::Option::Some(#value))
        }
        None => quote!(::std::option::Option::None),
    };
    let (min, max) = (option_literal(&expect.min), option_literal(&expect.max));
    let level = expect.severity.unwrap_or(fallback);
    let approximate = expect.approximate;
    quote! {
        ::datacontract::Expectation {
            statistic: #statistic,
            min: #min,
            max: #max,
            severity: #level,
            approximate: #approximate,
        }
    }
}

fn partitioning(table: &Table, partition: &Partition) -> TokenStream {
    match partition {
        Partition::Time {
            column,
            granularity,
        } => {
            let column = string(column_name(table, column));
            let granularity = granularity.value;
            quote!(::datacontract::Partitioning::Time { column: #column, granularity: #granularity })
        }
        Partition::IngestionTime { granularity } => {
            let granularity = *granularity;
            quote!(::datacontract::Partitioning::IngestionTime { granularity: #granularity })
        }
        Partition::Range {
            column,
            start,
            end,
            interval,
        } => {
            let column = string(column_name(table, column));
            quote! {
                ::datacontract::Partitioning::IntegerRange {
                    column: #column, start: #start, end: #end, interval: #interval,
                }
            }
        }
    }
}

/// The stored name of the column an attribute refers to (checked to exist).
fn column_name<'t>(table: &'t Table, ident: &Ident) -> &'t str {
    let column = table.column(ident).expect("checked: key columns exist");
    column.name.value.as_str()
}

fn literal(value: &Value) -> TokenStream {
    match value {
        Value::Const(constant) => quote!(#constant),
        Value::Runtime(expr) => quote!(::datacontract::Literal::from(#expr)),
    }
}

fn string(text: &str) -> TokenStream {
    quote!(#text.to_string())
}

fn option_string(text: Option<&str>) -> TokenStream {
    option(text.map(string))
}
