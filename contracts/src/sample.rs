//! The bundled sample: **synthetic** BTCUSDT 1-minute klines in Binance's
//! response format, made by [`generate`] from a fixed seed. The prices are
//! a random walk, not market data.
//!
//! It holds one day (2024-03-01, UTC) as the pages an extract received,
//! 500 klines each, with the defects real extracts show:
//! - a duplicated page: page 2 arrives twice;
//! - a gap: the 5 minutes from 11:40 are missing;
//! - an out-of-order row: two neighbouring klines of page 3 are swapped;
//! - one kline with high < low (10:00: the two are swapped).
//!
//! Regenerate it with
//! `cargo run -p datacontract-contracts --example generate_sample > contracts/sample/btcusdt-1m-2024-03-01.json`;
//! a test checks that the committed file is exactly what the generator makes.

/// The sample, as committed.
pub const SAMPLE: &str = include_str!("../sample/btcusdt-1m-2024-03-01.json");
/// Where the sample lives in the repository.
pub const SAMPLE_PATH: &str = "contracts/sample/btcusdt-1m-2024-03-01.json";
/// The seed the sample was generated with.
pub const SEED: u64 = 20240301;

/// 2024-03-01T00:00:00Z in milliseconds.
const START_MILLIS: i64 = 1_709_251_200_000;
const MINUTES: usize = 24 * 60;
const PAGE: usize = 500;
const GAP: std::ops::Range<usize> = 700..705;
const INVERTED: usize = 600;
const SWAPPED: usize = 1100;

/// xorshift64*: small, seeded, and the same on every platform.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The sample for `seed`: a JSON array of pages, one kline per line.
pub fn generate(seed: u64) -> String {
    let mut random = Random(seed.max(1));
    let mut close = 62_000.0_f64;
    let mut klines: Vec<String> = Vec::new();
    for minute in 0..MINUTES {
        let open = close;
        // A sum of uniforms: a bell-shaped step of about 0.05%, with only
        // arithmetic, so that every platform rounds it the same way.
        let step = (random.unit() + random.unit() + random.unit() - 1.5) * 0.001;
        close = open * (1.0 + step);
        let mut high = open.max(close) * (1.0 + random.unit() * 0.0004);
        let mut low = open.min(close) * (1.0 - random.unit() * 0.0004);
        if minute == INVERTED {
            std::mem::swap(&mut high, &mut low);
        }
        let volume = 2.0 + random.unit() * 40.0;
        let quote = volume * (high + low + close) / 3.0;
        let trades = 200 + (random.unit() * 1800.0) as i64;
        let taker = 0.3 + random.unit() * 0.4;
        let open_time = START_MILLIS + minute as i64 * 60_000;
        if GAP.contains(&minute) {
            continue;
        }
        klines.push(format!(
            "[{open_time},\"{open:.2}\",\"{high:.2}\",\"{low:.2}\",\"{close:.2}\",\"{volume:.5}\",{},\"{quote:.8}\",{trades},\"{:.5}\",\"{:.8}\",\"0\"]",
            open_time + 59_999,
            volume * taker,
            quote * taker,
        ));
    }
    let mut pages: Vec<Vec<String>> = klines.chunks(PAGE).map(<[String]>::to_vec).collect();
    let swap_at = SWAPPED - GAP.len() - 2 * PAGE;
    pages[2].swap(swap_at, swap_at + 1);
    pages.insert(2, pages[1].clone());
    let pages: Vec<String> = pages
        .iter()
        .map(|page| format!("[\n{}\n]", page.join(",\n")))
        .collect();
    format!("[\n{}\n]\n", pages.join(",\n"))
}
