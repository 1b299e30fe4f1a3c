//! Maps a field's Rust type to a column type and mode, by its syntax and
//! the model's type table ([`datacontract_model::rust_types`]).
//!
//! Any plain path the table does not list is taken for a nested struct that
//! derives `DataContract`; the compiler then checks that it does.

pub use datacontract_model::Mode;
pub use datacontract_model::rust_types::Scalar;
use datacontract_model::rust_types::UNSUPPORTED_RUST_TYPES;
use syn::{GenericArgument, PathArguments, Type};

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
    if let Some(scalar) = Scalar::of_rust_type(&name) {
        return Ok(scalar);
    }
    if UNSUPPORTED_RUST_TYPES.contains(&name.as_str()) {
        return Err(unsupported(
            ty,
            &format!(
                "`{name}` has no BigQuery column type; use one of the types in the mapping table"
            ),
        ));
    }
    if !matches!(segment.arguments, PathArguments::None) {
        return Err(unsupported(
            ty,
            "generic types other than `Option`, `Vec` and `DateTime` are not supported",
        ));
    }
    Ok(Scalar::Record)
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
