//! PostgreSQL's binary COPY format: its rows, and each value's binary
//! form decoded into the contract's type, exactly or with an error.

use tokio_postgres::types::{Kind, Type};

use crate::pipeline::source::database::Cell;
use crate::pipeline::source::database::values::{self, decimal, integer, text};
use crate::{LogicalType, Mode};

/// Microseconds from 1970-01-01 (Unix) to 2000-01-01 (PostgreSQL's epoch).
const EPOCH_MICROS: i64 = 946_684_800_000_000;
/// Days from 1970-01-01 to 2000-01-01.
const EPOCH_DAYS: i32 = 10_957;

/// How a result column's values arrive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wire {
    Bool,
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    Numeric,
    /// text, varchar, char(n), name, citext and enums: UTF-8 text.
    Text,
    Uuid,
    Bytea,
    Date,
    Time,
    Timestamp,
    Timestamptz,
    Json,
    Jsonb,
    /// A one-dimensional array of the element's wire.
    Array(Box<Wire>),
}

impl Wire {
    /// The wire of a PostgreSQL type, if this reader knows it (domains
    /// as their base type).
    pub fn of(ty: &Type) -> Option<Wire> {
        Some(match *ty {
            Type::BOOL => Wire::Bool,
            Type::INT2 => Wire::Int2,
            Type::INT4 => Wire::Int4,
            Type::INT8 => Wire::Int8,
            Type::FLOAT4 => Wire::Float4,
            Type::FLOAT8 => Wire::Float8,
            Type::NUMERIC => Wire::Numeric,
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => Wire::Text,
            Type::UUID => Wire::Uuid,
            Type::BYTEA => Wire::Bytea,
            Type::DATE => Wire::Date,
            Type::TIME => Wire::Time,
            Type::TIMESTAMP => Wire::Timestamp,
            Type::TIMESTAMPTZ => Wire::Timestamptz,
            Type::JSON => Wire::Json,
            Type::JSONB => Wire::Jsonb,
            _ => match ty.kind() {
                Kind::Enum(_) => Wire::Text,
                Kind::Domain(base) => Wire::of(base)?,
                Kind::Array(element) => Wire::Array(Box::new(Wire::of(element)?)),
                _ if ty.name() == "citext" => Wire::Text,
                _ => return None,
            },
        })
    }

    /// Whether values of this wire become `logical_type` values without
    /// a loss (a NUMERIC's digits are checked value by value).
    fn fits_type(&self, logical_type: &LogicalType) -> bool {
        use LogicalType as L;
        match self {
            Wire::Bool => matches!(logical_type, L::Bool),
            Wire::Int2 | Wire::Int4 | Wire::Int8 => {
                matches!(
                    logical_type,
                    L::Int64 | L::Numeric { .. } | L::BigNumeric { .. }
                )
            }
            Wire::Float4 | Wire::Float8 => matches!(logical_type, L::Float64),
            Wire::Numeric => matches!(logical_type, L::Numeric { .. } | L::BigNumeric { .. }),
            Wire::Text | Wire::Uuid => matches!(logical_type, L::String),
            Wire::Bytea => matches!(logical_type, L::Bytes),
            Wire::Date => matches!(logical_type, L::Date),
            Wire::Time => matches!(logical_type, L::Time),
            Wire::Timestamp => matches!(logical_type, L::DateTime),
            Wire::Timestamptz => matches!(logical_type, L::Timestamp),
            Wire::Json | Wire::Jsonb => matches!(logical_type, L::Json | L::String),
            Wire::Array(_) => false,
        }
    }

    /// Whether this wire's values fit a column of `logical_type` in
    /// `mode`: an array exactly a REPEATED one.
    pub fn fits(&self, logical_type: &LogicalType, mode: Mode) -> bool {
        match (self, mode) {
            (Wire::Array(element), Mode::Repeated) => element.fits_type(logical_type),
            (Wire::Array(_), _) | (_, Mode::Repeated) => false,
            (wire, _) => wire.fits_type(logical_type),
        }
    }

    /// One non-NULL value of this wire as a `logical_type` cell.
    pub fn decode(&self, bytes: &[u8], logical_type: &LogicalType) -> Result<Cell, String> {
        match self {
            Wire::Bool => Ok(Cell::Bool(fixed::<1>(bytes)?[0] != 0)),
            Wire::Int2 => integer(i16::from_be_bytes(fixed(bytes)?).into(), logical_type),
            Wire::Int4 => integer(i32::from_be_bytes(fixed(bytes)?).into(), logical_type),
            Wire::Int8 => integer(i64::from_be_bytes(fixed(bytes)?), logical_type),
            Wire::Float4 => Ok(Cell::Float(f32::from_be_bytes(fixed(bytes)?).into())),
            Wire::Float8 => Ok(Cell::Float(f64::from_be_bytes(fixed(bytes)?))),
            Wire::Numeric => match logical_type {
                LogicalType::Numeric {
                    precision: Some(precision),
                    scale: Some(scale),
                } => match unscaled_numeric(bytes, *precision, *scale) {
                    Some(unscaled) => Ok(Cell::Decimal(unscaled)),
                    // Out of range, NaN, or damaged: the exact text says why.
                    None => decimal(&numeric_text(bytes)?, logical_type),
                },
                _ => decimal(&numeric_text(bytes)?, logical_type),
            },
            Wire::Text | Wire::Json => text(bytes).map(Cell::Text),
            Wire::Jsonb => match bytes.split_first() {
                Some((1, json)) => text(json).map(Cell::Text),
                _ => Err("is a jsonb value of an unknown version".into()),
            },
            Wire::Uuid => {
                let b = fixed::<16>(bytes)?;
                let hex: String = b.iter().map(|byte| format!("{byte:02x}")).collect();
                Ok(Cell::Text(format!(
                    "{}-{}-{}-{}-{}",
                    &hex[..8],
                    &hex[8..12],
                    &hex[12..16],
                    &hex[16..20],
                    &hex[20..]
                )))
            }
            Wire::Bytea => Ok(Cell::Bytes(bytes.to_vec())),
            Wire::Date => {
                let days = i32::from_be_bytes(fixed(bytes)?);
                let what = if days == i32::MAX || days == i32::MIN {
                    "infinity"
                } else {
                    "the date"
                };
                values::day(days.saturating_add(EPOCH_DAYS), what)
            }
            Wire::Time => values::time_of_day(i64::from_be_bytes(fixed(bytes)?)),
            Wire::Timestamp | Wire::Timestamptz => {
                let micros = i64::from_be_bytes(fixed(bytes)?);
                let what = if micros == i64::MAX || micros == i64::MIN {
                    "infinity"
                } else {
                    "the time"
                };
                values::micros(micros.saturating_add(EPOCH_MICROS), what)
            }
            Wire::Array(element) => array(bytes, element, logical_type),
        }
    }
}

/// Exactly `N` bytes.
fn fixed<const N: usize>(bytes: &[u8]) -> Result<[u8; N], String> {
    bytes
        .try_into()
        .map_err(|_| format!("has {} bytes on the wire, not {N}", bytes.len()))
}

/// A NUMERIC's binary form as the unscaled integer of a NUMERIC(`precision`,
/// `scale`) value, computed straight from its base-10000 digits; `None`
/// when it does not fit exactly (more digits after the point than `scale`,
/// more in all than `precision`), is NaN or infinite, or is damaged. The
/// caller then reads its exact text, which says why.
fn unscaled_numeric(bytes: &[u8], precision: u8, scale: u8) -> Option<i128> {
    let word = |at: usize| {
        bytes
            .get(at..at + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
    };
    let count = usize::from(word(0)?);
    let weight = i32::from(word(2)? as i16);
    let negative = match word(4)? {
        0x0000 => false,
        0x4000 => true,
        _ => return None,
    };
    let scale = i32::from(scale);
    let mut unscaled: i128 = 0;
    for index in 0..count {
        let digit = i128::from(word(8 + 2 * index)?);
        // This digit's power of ten in the unscaled integer.
        let exponent = 4 * (weight - index as i32) + scale;
        let part = if exponent >= 0 {
            digit.checked_mul(10i128.checked_pow(exponent as u32)?)?
        } else {
            let divisor = 10i128.checked_pow((-exponent) as u32).unwrap_or(i128::MAX);
            if digit % divisor != 0 {
                return None;
            }
            digit / divisor
        };
        unscaled = unscaled.checked_add(part)?;
    }
    if unscaled >= 10i128.checked_pow(u32::from(precision))? {
        return None;
    }
    Some(if negative { -unscaled } else { unscaled })
}

/// A NUMERIC's binary form as exact decimal text: base-10000 digits, the
/// first one's weight, a sign and the display scale.
fn numeric_text(bytes: &[u8]) -> Result<String, String> {
    let word = |at: usize| -> Result<u16, String> {
        bytes
            .get(at..at + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| "is a damaged NUMERIC".to_string())
    };
    let count = usize::from(word(0)?);
    let weight = i32::from(word(2)? as i16);
    let sign = word(4)?;
    let scale = usize::from(word(6)?);
    match sign {
        0x0000 | 0x4000 => {}
        0xC000 => return Err("NaN is not a number BigQuery holds".into()),
        0xD000 | 0xF000 => return Err("infinity is not a number BigQuery holds".into()),
        other => return Err(format!("is a NUMERIC with an unknown sign {other:#x}")),
    }
    let digits = (0..count)
        .map(|index| word(8 + 2 * index))
        .collect::<Result<Vec<u16>, _>>()?;
    let digit_at = |power: i32| -> u16 {
        usize::try_from(weight - power)
            .ok()
            .and_then(|index| digits.get(index))
            .copied()
            .unwrap_or(0)
    };
    let mut whole = String::new();
    for power in (0..=weight).rev() {
        whole.push_str(&format!("{:04}", digit_at(power)));
    }
    let whole = whole.trim_start_matches('0');
    let groups = scale.div_ceil(4) as i32;
    let mut fraction: String = (1..=groups)
        .map(|power| format!("{:04}", digit_at(-power)))
        .collect();
    fraction.truncate(scale);
    let sign = if sign == 0x4000 { "-" } else { "" };
    let whole = if whole.is_empty() { "0" } else { whole };
    Ok(if fraction.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
    })
}

/// A one-dimensional array as a list cell: no NULL elements (BigQuery's
/// arrays cannot hold one) and no second dimension.
fn array(bytes: &[u8], element: &Wire, logical_type: &LogicalType) -> Result<Cell, String> {
    let int = |at: usize| -> Result<i32, String> {
        bytes
            .get(at..at + 4)
            .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or_else(|| "is a damaged array".to_string())
    };
    let dimensions = int(0)?;
    if dimensions == 0 {
        return Ok(Cell::List(Vec::new()));
    }
    if dimensions != 1 {
        return Err(format!(
            "is a {dimensions}-dimensional array; a REPEATED column holds one dimension"
        ));
    }
    let length = usize::try_from(int(12)?).map_err(|_| "is a damaged array".to_string())?;
    let mut at = 20;
    let mut items = Vec::with_capacity(length);
    for index in 0..length {
        let size = int(at)?;
        at += 4;
        if size < 0 {
            return Err(format!(
                "element {} is NULL; BigQuery arrays cannot hold NULL",
                index + 1
            ));
        }
        let end = at + size as usize;
        let value = bytes.get(at..end).ok_or("is a damaged array")?;
        items.push(
            element
                .decode(value, logical_type)
                .map_err(|why| format!("element {}: {why}", index + 1))?,
        );
        at = end;
    }
    Ok(Cell::List(items))
}

/// The signature every binary COPY stream starts with.
const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";

/// Splits a binary COPY stream, fed chunk by chunk, into rows.
#[derive(Default)]
pub struct CopyParser {
    buffer: Vec<u8>,
    header_read: bool,
    ended: bool,
    fields: Vec<Option<(usize, usize)>>,
}

/// One row of a COPY stream: each field's bytes, `None` for NULL.
pub struct Row<'a> {
    buffer: &'a [u8],
    fields: &'a [Option<(usize, usize)>],
}

impl Row<'_> {
    /// Field `index`'s bytes.
    pub fn field(&self, index: usize) -> Option<&[u8]> {
        self.fields[index].map(|(start, end)| &self.buffer[start..end])
    }
}

impl CopyParser {
    /// Adds `chunk` and hands every row it completes to `each`.
    pub fn feed<E: From<String>>(
        &mut self,
        chunk: &[u8],
        mut each: impl FnMut(Row<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.buffer.extend_from_slice(chunk);
        let mut at = 0;
        if !self.header_read {
            let Some(end) = self.header_end()? else {
                return Ok(());
            };
            self.header_read = true;
            at = end;
        }
        while let Some(next) = self.row(at)? {
            if self.ended {
                at = next;
                break;
            }
            each(Row {
                buffer: &self.buffer,
                fields: &self.fields,
            })?;
            at = next;
        }
        self.buffer.drain(..at);
        Ok(())
    }

    /// Whether the stream ended with its trailer, nothing after it.
    pub fn finish(&self) -> Result<(), String> {
        if !self.ended || !self.buffer.is_empty() {
            return Err("the COPY stream ended in the middle of a row".into());
        }
        Ok(())
    }

    /// Where the header ends, once it is all in.
    fn header_end(&self) -> Result<Option<usize>, String> {
        if self.buffer.len() < SIGNATURE.len() + 8 {
            return Ok(None);
        }
        if !self.buffer.starts_with(SIGNATURE) {
            return Err("the COPY stream is not in the binary format".into());
        }
        let at = SIGNATURE.len() + 4;
        let extension = u32::from_be_bytes(self.buffer[at..at + 4].try_into().expect("4 bytes"));
        let end = at + 4 + extension as usize;
        Ok((self.buffer.len() >= end).then_some(end))
    }

    /// Reads the row at `at` into `self.fields`; where the next starts, or
    /// `None` if it is not all in yet.
    fn row(&mut self, at: usize) -> Result<Option<usize>, String> {
        let buffer = &self.buffer;
        let Some(count) = buffer.get(at..at + 2) else {
            return Ok(None);
        };
        let count = i16::from_be_bytes([count[0], count[1]]);
        if count == -1 {
            self.ended = true;
            return Ok(Some(at + 2));
        }
        self.fields.clear();
        let mut position = at + 2;
        for _ in 0..count {
            let Some(size) = buffer.get(position..position + 4) else {
                return Ok(None);
            };
            let size = i32::from_be_bytes(size.try_into().expect("4 bytes"));
            position += 4;
            if size < 0 {
                self.fields.push(None);
                continue;
            }
            let end = position + size as usize;
            if end > buffer.len() {
                return Ok(None);
            }
            self.fields.push(Some((position, end)));
            position = end;
        }
        Ok(Some(position))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric(weight: i16, sign: u16, scale: u16, digits: &[u16]) -> Vec<u8> {
        let mut bytes = Vec::new();
        for word in [digits.len() as u16, weight as u16, sign, scale] {
            bytes.extend_from_slice(&word.to_be_bytes());
        }
        for digit in digits {
            bytes.extend_from_slice(&digit.to_be_bytes());
        }
        bytes
    }

    #[test]
    fn numerics_read_exactly() {
        // 12345.678 = [1][2345].[6780], weight 1, scale 3.
        assert_eq!(
            numeric_text(&numeric(1, 0, 3, &[1, 2345, 6780])).unwrap(),
            "12345.678"
        );
        assert_eq!(
            numeric_text(&numeric(-1, 0x4000, 5, &[12])).unwrap(),
            "-0.00120"
        );
        assert_eq!(numeric_text(&numeric(2, 0, 0, &[7])).unwrap(), "700000000");
        assert_eq!(numeric_text(&numeric(0, 0, 0, &[])).unwrap(), "0");
        assert!(
            numeric_text(&numeric(0, 0xC000, 0, &[]))
                .unwrap_err()
                .contains("NaN")
        );
    }

    #[test]
    fn numerics_become_unscaled_integers_or_fall_back_to_their_text() {
        let numeric_type = |p, s| LogicalType::Numeric {
            precision: Some(p),
            scale: Some(s),
        };
        let decode = |bytes: &[u8], p, s| Wire::Numeric.decode(bytes, &numeric_type(p, s));
        // 12345.678 at scale 3 and 5; -0.0012 at scale 4.
        let value = numeric(1, 0, 3, &[1, 2345, 6780]);
        assert_eq!(decode(&value, 12, 3).unwrap(), Cell::Decimal(12_345_678));
        assert_eq!(decode(&value, 12, 5).unwrap(), Cell::Decimal(1_234_567_800));
        let small = numeric(-1, 0x4000, 4, &[12]);
        assert_eq!(decode(&small, 10, 4).unwrap(), Cell::Decimal(-12));
        assert_eq!(
            decode(&numeric(0, 0, 0, &[]), 10, 2).unwrap(),
            Cell::Decimal(0)
        );
        // Too many digits after the point, or in all: the text's errors.
        let error = decode(&value, 12, 2).unwrap_err();
        assert!(error.contains("3 digits after the point"), "{error}");
        let error = decode(&value, 6, 3).unwrap_err();
        assert!(error.contains("5 digits before the point"), "{error}");
        let error = decode(&numeric(0, 0xC000, 0, &[]), 10, 2).unwrap_err();
        assert!(error.contains("NaN"), "{error}");
        // Every case agrees with the exact text's reading.
        for (weight, sign, dscale, digits) in [
            (0, 0, 2, vec![7, 5000]),
            (2, 0x4000, 0, vec![9999, 9999, 9999]),
            (-2, 0, 8, vec![1]),
            (3, 0, 4, vec![1, 0, 0, 0, 1]),
        ] {
            let bytes = numeric(weight, sign, dscale, &digits);
            for (p, s) in [(38, 9), (20, 4), (12, 0)] {
                let text = numeric_text(&bytes).unwrap();
                assert_eq!(
                    decode(&bytes, p, s),
                    decimal(&text, &numeric_type(p, s)),
                    "{text} as NUMERIC({p}, {s})"
                );
            }
        }
    }

    #[test]
    fn times_outside_bigquerys_range_are_refused() {
        let infinity = i64::MAX.to_be_bytes();
        let error = Wire::Timestamptz
            .decode(&infinity, &LogicalType::Timestamp)
            .unwrap_err();
        assert!(error.contains("infinity"), "{error}");
        let noon_2000 = (12 * 3_600_000_000i64).to_be_bytes();
        assert_eq!(
            Wire::Timestamp
                .decode(&noon_2000, &LogicalType::DateTime)
                .unwrap(),
            Cell::Micros(EPOCH_MICROS + 12 * 3_600_000_000)
        );
    }

    #[test]
    fn a_stream_split_anywhere_gives_the_same_rows() {
        let mut stream = SIGNATURE.to_vec();
        stream.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]);
        for value in [Some(&b"ab"[..]), None] {
            stream.extend_from_slice(&1i16.to_be_bytes());
            match value {
                Some(bytes) => {
                    stream.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
                    stream.extend_from_slice(bytes);
                }
                None => stream.extend_from_slice(&(-1i32).to_be_bytes()),
            }
        }
        stream.extend_from_slice(&(-1i16).to_be_bytes());
        for split in 0..stream.len() {
            let mut parser = CopyParser::default();
            let mut rows = Vec::new();
            for chunk in [&stream[..split], &stream[split..]] {
                parser
                    .feed::<String>(chunk, |row| {
                        rows.push(row.field(0).map(<[u8]>::to_vec));
                        Ok(())
                    })
                    .unwrap();
            }
            parser.finish().unwrap();
            assert_eq!(rows, [Some(b"ab".to_vec()), None], "split at {split}");
        }
    }
}
