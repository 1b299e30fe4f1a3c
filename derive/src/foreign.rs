//! Reads other crates' attributes so users annotate once: doc comments,
//! serde's `rename`, `rename_all` and `skip`, and validator's `range`,
//! `length`, `regex`, `email` and `url`. Keys this crate has no use for are
//! skipped: they belong to serde and validator, except serde's that change
//! the written row in ways a contract cannot describe (`flatten`, `with`,
//! `serialize_with`, `getter`; `transparent`, `into`, `tag`, `untagged` and
//! `remote` on the struct): those are errors naming the attribute.
//! `skip_serializing` is read as `skip`: the column is never written.

use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned as _;
use syn::{Attribute, Expr, ExprLit, Lit, LitStr, Meta, Token};

use crate::attr::{
    Bound, Check, Literal, RegexSource, Spanned, Value, ValueCheck, expr_value, key_of, skip_value,
};
use crate::ctxt::Ctxt;

/// The doc comment, one string, or `None` when there is none.
pub fn doc_comment(attrs: &[Attribute]) -> Option<String> {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            Meta::NameValue(pair) => match &pair.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(text),
                    ..
                }) => Some(text.value()),
                _ => None,
            },
            _ => None,
        })
        .flat_map(|text| text.split('\n').map(str::to_string).collect::<Vec<_>>())
        .map(|line| {
            line.strip_prefix(' ')
                .unwrap_or(&line)
                .trim_end()
                .to_string()
        })
        .collect();
    let text = lines.join("\n").trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// What serde says of a field.
#[derive(Default)]
pub struct SerdeField {
    pub rename: Option<Spanned<String>>,
    pub skip: bool,
    /// Attributes that change how the field is written in a way the
    /// contract cannot describe: an error unless the field is skipped.
    pub unmodelled: Vec<(String, proc_macro2::Span)>,
}

/// serde's field attributes that change the written row beyond a contract.
const UNMODELLED_FIELD_KEYS: [&str; 4] = ["flatten", "with", "serialize_with", "getter"];
/// serde's struct attributes that change the written row beyond a contract.
const UNMODELLED_STRUCT_KEYS: [&str; 5] = ["transparent", "into", "tag", "untagged", "remote"];

/// Reads `#[serde(rename = …)]`, `#[serde(rename(serialize = …))]`,
/// `#[serde(skip)]` and `#[serde(skip_serializing)]`, and notes the
/// attributes a contract cannot describe.
pub fn serde_field(cx: &Ctxt, attrs: &[Attribute]) -> SerdeField {
    let mut field = SerdeField::default();
    for_each_serde_item(cx, attrs, |meta| {
        let key = key_of(meta);
        match key.as_str() {
            "rename" => field.rename = serialize_name(meta)?,
            "skip" | "skip_serializing" => field.skip = true,
            _ if UNMODELLED_FIELD_KEYS.contains(&key.as_str()) => {
                field.unmodelled.push((key, meta.path.span()));
                skip_rest(meta)?;
            }
            _ => skip_rest(meta)?,
        }
        Ok(())
    });
    field
}

/// The rule of `#[serde(rename_all = …)]` on the struct, if any. A struct
/// attribute that changes the written row beyond a contract is an error.
pub fn serde_rename_all(cx: &Ctxt, attrs: &[Attribute]) -> Option<Spanned<String>> {
    let mut rule = None;
    for_each_serde_item(cx, attrs, |meta| {
        let key = key_of(meta);
        match key.as_str() {
            "rename_all" => rule = serialize_name(meta)?,
            _ if UNMODELLED_STRUCT_KEYS.contains(&key.as_str()) => {
                cx.error_spanned_by(
                    &meta.path,
                    format!(
                        "`#[serde({key})]` changes the written row in a way a contract cannot describe; a contract's struct is written as a plain record: remove it"
                    ),
                );
                skip_rest(meta)?;
            }
            _ => skip_rest(meta)?,
        }
        Ok(())
    });
    rule
}

/// Why `#[serde(key)]` cannot go with a contract.
pub fn unmodelled(key: &str) -> String {
    format!(
        "`#[serde({key})]` changes the written row in a way a contract cannot describe; remove it, or skip the field (`#[contract(skip)]`)"
    )
}

/// Applies a serde `rename_all` rule to a snake_case field name, as serde does.
pub fn apply_rename_rule(rule: &str, field: &str) -> Option<String> {
    let pascal = || {
        let mut out = String::new();
        let mut upper_next = true;
        for c in field.chars() {
            if c == '_' {
                upper_next = true;
            } else if upper_next {
                out.extend(c.to_uppercase());
                upper_next = false;
            } else {
                out.push(c);
            }
        }
        out
    };
    Some(match rule {
        "lowercase" | "snake_case" => field.to_string(),
        "UPPERCASE" | "SCREAMING_SNAKE_CASE" => field.to_ascii_uppercase(),
        "PascalCase" => pascal(),
        "camelCase" => {
            let pascal = pascal();
            let mut chars = pascal.chars();
            chars
                .next()
                .map(|first| first.to_lowercase().chain(chars).collect())
                .unwrap_or_default()
        }
        "kebab-case" => field.replace('_', "-"),
        "SCREAMING-KEBAB-CASE" => field.to_ascii_uppercase().replace('_', "-"),
        _ => return None,
    })
}

fn for_each_serde_item(
    cx: &Ctxt,
    attrs: &[Attribute],
    mut item: impl FnMut(&ParseNestedMeta) -> syn::Result<()>,
) {
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("serde")) {
        if let Err(error) = attr.parse_nested_meta(|meta| item(&meta)) {
            cx.syn_error(error);
        }
    }
}

/// `= "name"`, or `(serialize = "name", deserialize = …)`: the serialized name.
fn serialize_name(meta: &ParseNestedMeta) -> syn::Result<Option<Spanned<String>>> {
    if meta.input.peek(Token![=]) {
        let lit: LitStr = meta.value()?.parse()?;
        return Ok(Some(Spanned {
            value: lit.value(),
            span: lit.span(),
        }));
    }
    let mut name = None;
    meta.parse_nested_meta(|inner| {
        let lit: LitStr = inner.value()?.parse()?;
        if inner.path.is_ident("serialize") {
            name = Some(Spanned {
                value: lit.value(),
                span: lit.span(),
            });
        }
        Ok(())
    })?;
    Ok(name)
}

/// Reads validator's `#[validate(...)]` checks of a field.
pub fn validator_checks(cx: &Ctxt, attrs: &[Attribute]) -> Vec<Check> {
    let mut checks = Vec::new();
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("validate")) {
        let parsed = attr.parse_nested_meta(|meta| {
            let span = meta.path.span();
            let mut push = |kind| {
                checks.push(Check {
                    kind,
                    severity: None,
                    span,
                })
            };
            match key_of(&meta).as_str() {
                "range" => meta.parse_nested_meta(|inner| {
                    let (is_min, inclusive) = match key_of(&inner).as_str() {
                        "min" => (true, true),
                        "max" => (false, true),
                        "exclusive_min" => (true, false),
                        "exclusive_max" => (false, false),
                        _ => return skip_rest(&inner),
                    };
                    let value = runtime_or_literal(cx, &inner.value()?.parse()?);
                    let bound = Bound { value, inclusive };
                    push(if is_min {
                        ValueCheck::Min(bound)
                    } else {
                        ValueCheck::Max(bound)
                    });
                    Ok(())
                })?,
                "length" => {
                    let (mut min, mut max) = (None, None);
                    meta.parse_nested_meta(|inner| {
                        let key = key_of(&inner);
                        if !matches!(key.as_str(), "min" | "max" | "equal") {
                            return skip_rest(&inner);
                        }
                        let length = inner
                            .value()?
                            .parse::<syn::LitInt>()?
                            .base10_parse::<u64>()?;
                        match key.as_str() {
                            "min" => min = Some(length),
                            "max" => max = Some(length),
                            _ => (min, max) = (Some(length), Some(length)),
                        }
                        Ok(())
                    })?;
                    push(ValueCheck::Length { min, max });
                }
                "regex" => meta.parse_nested_meta(|inner| {
                    if !inner.path.is_ident("path") {
                        return skip_rest(&inner);
                    }
                    let expr: Expr = inner.value()?.parse()?;
                    let path = match &expr {
                        Expr::Lit(ExprLit {
                            lit: Lit::Str(text),
                            ..
                        }) => text.parse::<Expr>()?,
                        _ => expr,
                    };
                    push(ValueCheck::Regex(RegexSource::Path(path)));
                    Ok(())
                })?,
                "email" => {
                    push(ValueCheck::Email);
                    skip_rest(&meta)?;
                }
                "url" => {
                    push(ValueCheck::Url);
                    skip_rest(&meta)?;
                }
                _ => skip_rest(&meta)?,
            }
            Ok(())
        });
        if let Err(error) = parsed {
            cx.syn_error(error);
        }
    }
    checks
}

/// A literal bound, or an expression (a constant's path) read at run time.
fn runtime_or_literal(cx: &Ctxt, expr: &Expr) -> Value {
    let literal = matches!(expr, Expr::Lit(_))
        || matches!(expr, Expr::Unary(unary) if matches!(*unary.expr, Expr::Lit(_)));
    if literal {
        expr_value(cx, expr).unwrap_or(Value::Const(Literal::Int(0)))
    } else {
        Value::Runtime(Box::new(expr.clone()))
    }
}

/// Skips the value of a key this crate does not use.
fn skip_rest(meta: &ParseNestedMeta) -> syn::Result<()> {
    skip_value(meta.input)
}
