//! The model's value types as Rust expressions, for the derive macro.
//!
//! Each expression names the type through the `datacontract` library's
//! re-exports (`::datacontract::Severity::Error`), the crate a user of the
//! derive depends on.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};

use crate::{Bound, Literal, LogicalType, Mode, Sensitivity, Severity, Statistic, TimeGranularity};

impl ToTokens for Severity {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.extend(match self {
            Severity::Error => quote!(::datacontract::Severity::Error),
            Severity::Warn => quote!(::datacontract::Severity::Warn),
        });
    }
}

impl ToTokens for Mode {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.extend(match self {
            Mode::Required => quote!(::datacontract::Mode::Required),
            Mode::Nullable => quote!(::datacontract::Mode::Nullable),
            Mode::Repeated => quote!(::datacontract::Mode::Repeated),
        });
    }
}

impl ToTokens for TimeGranularity {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.extend(match self {
            TimeGranularity::Hour => quote!(::datacontract::TimeGranularity::Hour),
            TimeGranularity::Day => quote!(::datacontract::TimeGranularity::Day),
            TimeGranularity::Month => quote!(::datacontract::TimeGranularity::Month),
            TimeGranularity::Year => quote!(::datacontract::TimeGranularity::Year),
        });
    }
}

impl ToTokens for Sensitivity {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.extend(match self {
            Sensitivity::Public => quote!(::datacontract::Sensitivity::Public),
            Sensitivity::Internal => quote!(::datacontract::Sensitivity::Internal),
            Sensitivity::Confidential => quote!(::datacontract::Sensitivity::Confidential),
            Sensitivity::Restricted => quote!(::datacontract::Sensitivity::Restricted),
        });
    }
}

impl ToTokens for Statistic {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let variant = match self {
            Statistic::RowCount => quote!(RowCount),
            Statistic::Mean => quote!(Mean),
            Statistic::Stddev => quote!(Stddev),
            Statistic::Min => quote!(Min),
            Statistic::Max => quote!(Max),
            Statistic::Sum => quote!(Sum),
            Statistic::Quantile { q } => quote!(Quantile { q: #q }),
            Statistic::NullFraction => quote!(NullFraction),
            Statistic::DistinctCount => quote!(DistinctCount),
        };
        tokens.extend(quote!(::datacontract::Statistic::#variant));
    }
}

impl ToTokens for Literal {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.extend(match self {
            Literal::Bool(flag) => quote!(::datacontract::Literal::Bool(#flag)),
            Literal::Int(int) => quote!(::datacontract::Literal::Int(#int)),
            Literal::Float(float) => quote!(::datacontract::Literal::Float(#float)),
            Literal::String(text) => {
                quote!(::datacontract::Literal::String(::std::string::ToString::to_string(#text)))
            }
        });
    }
}

impl ToTokens for Bound {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let Bound { value, inclusive } = self;
        tokens.extend(quote!(::datacontract::Bound { value: #value, inclusive: #inclusive }));
    }
}

/// A column type whose value is known when the macro runs: every type but
/// a RECORD, whose sub-fields come from the nested struct's own contract at
/// run time (`None`).
pub fn scalar_type_tokens(logical_type: &LogicalType) -> Option<TokenStream> {
    let decimal = |precision: &Option<u8>, scale: &Option<u8>| {
        let (precision, scale) = (option(*precision), option(*scale));
        quote!({ precision: #precision, scale: #scale })
    };
    let variant = match logical_type {
        LogicalType::Bool => quote!(Bool),
        LogicalType::Int64 => quote!(Int64),
        LogicalType::Float64 => quote!(Float64),
        LogicalType::Numeric { precision, scale } => {
            let parameters = decimal(precision, scale);
            quote!(Numeric #parameters)
        }
        LogicalType::BigNumeric { precision, scale } => {
            let parameters = decimal(precision, scale);
            quote!(BigNumeric #parameters)
        }
        LogicalType::String => quote!(String),
        LogicalType::Bytes => quote!(Bytes),
        LogicalType::Date => quote!(Date),
        LogicalType::Time => quote!(Time),
        LogicalType::DateTime => quote!(DateTime),
        LogicalType::Timestamp => quote!(Timestamp),
        LogicalType::Json => quote!(Json),
        LogicalType::Record { .. } => return None,
    };
    Some(quote!(::datacontract::LogicalType::#variant))
}

/// `Some(value)` or `None`, spelled out for generated code.
pub fn option<T: ToTokens>(value: Option<T>) -> TokenStream {
    match value {
        Some(value) => quote!(::std::option::Option::Some(#value)),
        None => quote!(::std::option::Option::None),
    }
}
