//! Maps a field's Rust type to a column type and mode, by its syntax.
//!
//! The macro sees tokens, not resolved types, so a type is recognised by the
//! last segment of its path (`chrono::NaiveDate` and `NaiveDate` alike). Any
//! other plain path is taken for a nested struct that derives `DataContract`;
//! the compiler then checks that it does.

use syn::{GenericArgument, PathArguments, Type};

/// The kind of value one element of a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    Bool,
    /// An integer that fits INT64.
    Int,
    /// `u64`, `i128`, `u128`, `usize`, `isize`: only as NUMERIC/BIGNUMERIC.
    WideInt,
    Float,
    String,
    Bytes,
    Date,
    Time,
    DateTime,
    Timestamp,
    Decimal,
    Json,
    Record,
}

impl Scalar {
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            Scalar::Int | Scalar::WideInt | Scalar::Float | Scalar::Decimal
        )
    }

    pub fn is_temporal(self) -> bool {
        matches!(
            self,
            Scalar::Date | Scalar::Time | Scalar::DateTime | Scalar::Timestamp
        )
    }

    /// The GoogleSQL name, for messages.
    pub fn sql_name(self) -> &'static str {
        match self {
            Scalar::Bool => "BOOL",
            Scalar::Int => "INT64",
            Scalar::WideInt => "a wide integer",
            Scalar::Float => "FLOAT64",
            Scalar::String => "STRING",
            Scalar::Bytes => "BYTES",
            Scalar::Date => "DATE",
            Scalar::Time => "TIME",
            Scalar::DateTime => "DATETIME",
            Scalar::Timestamp => "TIMESTAMP",
            Scalar::Decimal => "NUMERIC",
            Scalar::Json => "JSON",
            Scalar::Record => "RECORD",
        }
    }
}

/// REQUIRED, NULLABLE or REPEATED.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Required,
    Nullable,
    Repeated,
}

/// What a field's Rust type becomes.
#[derive(Debug, Clone)]
pub struct ColumnType {
    pub scalar: Scalar,
    pub mode: Mode,
    /// `Option<Vec<T>>`: serde may write `null`, BigQuery stores it empty.
    pub null_array_allowed: bool,
    /// The element type (`T` of `Vec<T>` / `Option<T>`), for records.
    pub element: Type,
}

/// Classifies `ty`, or says why it cannot be a column.
pub fn classify(ty: &Type) -> Result<ColumnType, syn::Error> {
    if let Some(inner) = single_generic(ty, "Option") {
        if single_generic(inner, "Option").is_some() {
            return Err(unsupported(
                ty,
                "`Option<Option<T>>` has no BigQuery form: a column is NULL or not",
            ));
        }
        if let Some(element) = array_element(inner) {
            let mut column = repeated(inner, element)?;
            column.null_array_allowed = true;
            return Ok(column);
        }
        let scalar = scalar(inner)?;
        return Ok(ColumnType {
            scalar,
            mode: Mode::Nullable,
            null_array_allowed: false,
            element: inner.clone(),
        });
    }
    if let Some(element) = array_element(ty) {
        return repeated(ty, element);
    }
    Ok(ColumnType {
        scalar: scalar(ty)?,
        mode: Mode::Required,
        null_array_allowed: false,
        element: ty.clone(),
    })
}

fn repeated(array: &Type, element: &Type) -> Result<ColumnType, syn::Error> {
    if single_generic(element, "Option").is_some() {
        return Err(unsupported(
            array,
            "BigQuery arrays cannot hold NULL elements; use `Vec<T>` (a NULL array is stored as an empty one)",
        ));
    }
    if array_element(element).is_some() {
        return Err(unsupported(
            array,
            "BigQuery has no arrays of arrays; wrap the inner array in a struct that derives DataContract",
        ));
    }
    Ok(ColumnType {
        scalar: scalar(element)?,
        mode: Mode::Repeated,
        null_array_allowed: false,
        element: element.clone(),
    })
}

/// `T` of `Vec<T>`, unless `T` is `u8` (then the whole is BYTES).
fn array_element(ty: &Type) -> Option<&Type> {
    single_generic(ty, "Vec").filter(|element| last_ident(element).as_deref() != Some("u8"))
}

fn scalar(ty: &Type) -> Result<Scalar, syn::Error> {
    if single_generic(ty, "Vec").is_some() {
        return Ok(Scalar::Bytes);
    }
    let Type::Path(path) = ty else {
        return Err(unsupported(
            ty,
            "only named types, `Option<T>` and `Vec<T>` map to columns",
        ));
    };
    if path.qself.is_some() {
        return Err(unsupported(
            ty,
            "qualified paths are not supported; name the type directly",
        ));
    }
    let segment = path.path.segments.last().expect("a path has a segment");
    let name = segment.ident.to_string();
    let scalar = match name.as_str() {
        "bool" => Scalar::Bool,
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" => Scalar::Int,
        "u64" | "i128" | "u128" | "usize" | "isize" => Scalar::WideInt,
        "f32" | "f64" => Scalar::Float,
        "String" | "char" => Scalar::String,
        "NaiveDate" => Scalar::Date,
        "NaiveTime" => Scalar::Time,
        "NaiveDateTime" => Scalar::DateTime,
        "DateTime" => Scalar::Timestamp,
        "Decimal" => Scalar::Decimal,
        "Value" => Scalar::Json,
        "HashMap" | "BTreeMap" | "IndexMap" | "HashSet" | "BTreeSet" | "Box" | "Rc" | "Arc"
        | "Cow" | "str" | "Duration" | "Uuid" => {
            return Err(unsupported(
                ty,
                &format!(
                    "`{name}` has no BigQuery column type; use one of the types in the mapping table"
                ),
            ));
        }
        _ if !matches!(segment.arguments, PathArguments::None) => {
            return Err(unsupported(
                ty,
                "generic types other than `Option`, `Vec` and `DateTime` are not supported",
            ));
        }
        _ => Scalar::Record,
    };
    Ok(scalar)
}

fn unsupported(ty: &Type, why: &str) -> syn::Error {
    syn::Error::new_spanned(ty, format!("unsupported column type: {why}"))
}

/// `T` when `ty` is `Name<T>` (by last path segment).
fn single_generic<'t>(ty: &'t Type, name: &str) -> Option<&'t Type> {
    let Type::Path(path) = ty else { return None };
    let segment = path.path.segments.last()?;
    if segment.ident != name {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    match args.args.first() {
        Some(GenericArgument::Type(inner)) if args.args.len() == 1 => Some(inner),
        _ => None,
    }
}

fn last_ident(ty: &Type) -> Option<String> {
    let Type::Path(path) = ty else { return None };
    path.path
        .segments
        .last()
        .map(|segment| segment.ident.to_string())
}
