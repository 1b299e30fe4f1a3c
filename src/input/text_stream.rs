//! A text file read as a stream, for the CSV reader: decoded to UTF-8 as
//! it is read ([`Decoded`]), and its line breaks counted ([`LineCounted`]),
//! so that a file far larger than memory still names each row's line.

use std::collections::VecDeque;
use std::io::{self, Read};

use encoding_rs::{Decoder, DecoderResult, Encoding};

/// Bytes of `inner`, text in some encoding, as UTF-8. A byte-order mark
/// that names another encoding wins. Bytes that are not valid in the
/// encoding end the stream with an [`io::ErrorKind::InvalidData`] error
/// holding a [`Malformed`].
pub(super) struct Decoded<R> {
    inner: R,
    decoder: Decoder,
    /// The bytes last read from `inner`.
    input: Vec<u8>,
    /// Their text in UTF-8, handed out from `output_start` on.
    output: Vec<u8>,
    output_start: usize,
    /// Whether `inner` has ended and the decoder has been told.
    finished: bool,
    /// Line breaks decoded so far, for the line of a malformed byte.
    newlines: u64,
}

/// Text that is not valid in its encoding: which, and the 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the text is not valid {encoding}")]
pub(super) struct Malformed {
    /// The encoding's name.
    pub encoding: &'static str,
    /// The line the first malformed byte is on.
    pub line: u64,
}

/// How many bytes are read from the file at a time.
const READ_SIZE: usize = 64 * 1024;

impl<R: Read> Decoded<R> {
    pub(super) fn new(inner: R, encoding: &'static Encoding) -> Self {
        Decoded {
            inner,
            decoder: encoding.new_decoder(),
            input: Vec::with_capacity(READ_SIZE),
            output: Vec::new(),
            output_start: 0,
            finished: false,
            newlines: 0,
        }
    }

    /// Reads the next bytes of `inner` and decodes them, all of them.
    fn decode_more(&mut self) -> io::Result<()> {
        self.input.resize(READ_SIZE, 0);
        let read = self.inner.read(&mut self.input)?;
        self.input.truncate(read);
        let last = read == 0;
        let room = self
            .decoder
            .max_utf8_buffer_length_without_replacement(read)
            .unwrap_or(read * 3 + 16);
        self.output.resize(room, 0);
        let (result, _, written) =
            self.decoder
                .decode_to_utf8_without_replacement(&self.input, &mut self.output, last);
        self.output.truncate(written);
        self.output_start = 0;
        self.newlines += self.output.iter().filter(|b| **b == b'\n').count() as u64;
        match result {
            DecoderResult::InputEmpty => {
                self.finished = last;
                Ok(())
            }
            DecoderResult::Malformed(..) => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                Malformed {
                    encoding: self.decoder.encoding().name(),
                    line: self.newlines + 1,
                },
            )),
            DecoderResult::OutputFull => Err(io::Error::other(
                "the decoder wanted more room than it said it would",
            )),
        }
    }
}

impl<R: Read> Read for Decoded<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.output_start == self.output.len() {
            if self.finished {
                return Ok(0);
            }
            self.decode_more()?;
        }
        let ready = &self.output[self.output_start..];
        let taken = ready.len().min(out.len());
        out[..taken].copy_from_slice(&ready[..taken]);
        self.output_start += taken;
        Ok(taken)
    }
}

/// `inner`, whose line breaks are remembered as they pass, so the line of
/// any later offset can be told ([`LineCounted::line_at`]) without
/// keeping the text.
pub(super) struct LineCounted<R> {
    inner: R,
    /// Bytes read so far.
    read: u64,
    /// The offset of every `\r` and `\n` read and not yet passed, and
    /// whether it is a `\n`.
    breaks: VecDeque<(u64, bool)>,
    /// The line at the offset passed last.
    line: u64,
}

impl<R> LineCounted<R> {
    pub(super) fn new(inner: R) -> Self {
        LineCounted {
            inner,
            read: 0,
            breaks: VecDeque::new(),
            line: 1,
        }
    }

    /// The 1-based line of the record the csv crate says starts at `byte`:
    /// its offset points before the blank lines the record follows, so
    /// they are skipped first. Offsets must come in order (each record's
    /// after the last), and the record must have been read.
    pub(super) fn line_at(&mut self, byte: u64) -> u64 {
        let mut at = byte;
        while let Some(&(offset, newline)) = self.breaks.front() {
            if offset > at {
                break;
            }
            if offset == at {
                at += 1;
            }
            self.line += u64::from(newline);
            self.breaks.pop_front();
        }
        self.line
    }
}

impl<R: Read> Read for LineCounted<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(out)?;
        for (index, byte) in out[..read].iter().enumerate() {
            if matches!(byte, b'\n' | b'\r') {
                self.breaks
                    .push_back((self.read + index as u64, *byte == b'\n'));
            }
        }
        self.read += read as u64;
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(mut reader: impl Read, chunk: usize) -> io::Result<Vec<u8>> {
        let mut all = Vec::new();
        let mut buffer = vec![0; chunk];
        loop {
            let read = reader.read(&mut buffer)?;
            if read == 0 {
                return Ok(all);
            }
            all.extend_from_slice(&buffer[..read]);
        }
    }

    /// `bytes`, at most `size` of them a read.
    struct Trickle<'a> {
        bytes: &'a [u8],
        size: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let taken = self.size.min(out.len()).min(self.bytes.len());
            out[..taken].copy_from_slice(&self.bytes[..taken]);
            self.bytes = &self.bytes[taken..];
            Ok(taken)
        }
    }

    #[test]
    fn text_decodes_whatever_the_reads_size() {
        let text = "naïve,café\r\nÅngström,€\n";
        let latin1: Vec<u8> = encoding_rs::WINDOWS_1252.encode(text).0.into_owned();
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        for chunk in [1, 2, 5, 4096] {
            let trickle = |bytes| Trickle { bytes, size: chunk };
            let decoded = read_all(
                Decoded::new(trickle(&latin1[..]), encoding_rs::WINDOWS_1252),
                chunk,
            )
            .unwrap();
            assert_eq!(String::from_utf8(decoded).unwrap(), text, "{chunk}");
            // A byte-order mark names UTF-16LE: it wins over Latin-1, and
            // characters split across reads come out whole.
            let decoded = read_all(
                Decoded::new(trickle(&utf16[..]), encoding_rs::WINDOWS_1252),
                chunk,
            );
            assert_eq!(String::from_utf8(decoded.unwrap()).unwrap(), text);
        }
    }

    #[test]
    fn a_malformed_byte_is_named_at_its_line() {
        let mut utf16: Vec<u8> = "a\nb\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
        utf16.push(0x41);
        let error = read_all(Decoded::new(&utf16[..], encoding_rs::UTF_16LE), 16).unwrap_err();
        let malformed = error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<Malformed>())
            .unwrap();
        assert_eq!(
            malformed,
            &Malformed {
                encoding: "UTF-16LE",
                line: 3
            }
        );
    }

    #[test]
    fn lines_are_counted_past_blank_lines_and_carriage_returns() {
        let text = b"h\r\n\r\n\na\nb\"x\ny\"\n\nc";
        let mut counted = LineCounted::new(&text[..]);
        read_all(&mut counted, 3).unwrap();
        // The records start at 0 (h), 3 (blank lines, then a at line 4),
        // 8 (b, line 5) and 15 (a blank line, then c at line 8).
        assert_eq!(counted.line_at(0), 1);
        assert_eq!(counted.line_at(3), 4);
        assert_eq!(counted.line_at(8), 5);
        assert_eq!(counted.line_at(15), 8);
    }
}
