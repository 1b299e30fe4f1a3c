//! The run report as one self-contained HTML page: no script, no external
//! style or font, charts as inline SVG. A verdict banner on top, then the
//! stages, each gate's checks (failures first, with examples), the
//! expectations, the drift, and a card per column with a small histogram.

use std::fmt::Write as _;

use super::profile::ColumnProfile;
use super::run_report::{Outcome, RunReport, StageStatus, byte_size};
use crate::Severity;
use crate::report::{Report, Status, escape_markup as escape};

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}\
main{max-width:1100px;margin:0 auto;padding:0 20px 40px}\
.banner{padding:18px 20px;color:#fff;font-size:20px}.ok{background:#1a7f37}.bad{background:#b42318}\
h2{margin-top:32px;border-bottom:1px solid #d0d5dd;padding-bottom:4px}\
table{border-collapse:collapse;width:100%;background:#fff;margin:8px 0}\
td,th{border:1px solid #e4e7ec;padding:4px 8px;text-align:left;vertical-align:top}\
th{background:#f2f4f7}.num{text-align:right;font-variant-numeric:tabular-nums}\
.pass{color:#1a7f37}.fail{color:#b42318}.warn{color:#b54708}.skip{color:#667085}\
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:10px}\
.card{background:#fff;border:1px solid #e4e7ec;border-radius:6px;padding:8px 10px}\
.card h4{margin:0 0 4px;font-size:13px}.meta{color:#667085;font-size:12px}\
code{background:#f2f4f7;padding:0 3px;border-radius:3px}details{margin:4px 0}";

/// The report as a complete HTML document.
pub fn render(report: &RunReport) -> String {
    let mut out = String::new();
    let promoted = report.outcome == Outcome::Promoted;
    write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Run {id}</title><style>{STYLE}</style></head><body>\
         <div class=\"banner {class}\">{icon} Run <code>{id}</code>: {outcome}</div><main>",
        id = escape(report.run_id.as_str()),
        class = if promoted { "ok" } else { "bad" },
        icon = if promoted { "✔" } else { "✘" },
        outcome = escape(report.outcome.describe()),
    )
    .unwrap();
    write!(
        out,
        "<p>Pipeline <code>{}</code> · environment <code>{}</code> · datacontract {}{} · started {} · finished {}</p><p><b>Promotion:</b> {}</p>",
        escape(&report.pipeline),
        escape(&report.environment),
        escape(&report.code.version),
        report.code.commit.as_deref().map(|c| format!(" ({})", escape(c))).unwrap_or_default(),
        report.started_at.to_rfc3339(),
        report.finished_at.to_rfc3339(),
        escape(&report.promotion.reason),
    )
    .unwrap();
    if let Some(error) = &report.error {
        write!(out, "<p class=\"fail\"><b>Error:</b> {}</p>", escape(error)).unwrap();
    }
    stages(&mut out, report);
    if report.rejected_count > 0 {
        write!(
            out,
            "<h2>Rejected records ({})</h2><table><tr><th>where</th><th>reason</th><th>record</th></tr>",
            report.rejected_count
        )
        .unwrap();
        for record in &report.rejected {
            write!(
                out,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                escape(&record.location),
                escape(&record.reason),
                escape(&record.record)
            )
            .unwrap();
        }
        out.push_str("</table>");
    }
    for (title, validation) in [
        ("Gate 1: raw", &report.raw_validation),
        ("Gate 2: processed", &report.processed_validation),
    ] {
        if let Some(validation) = validation {
            gate(&mut out, title, validation);
        }
    }
    expectations(&mut out, report);
    for (title, profiles) in [
        ("Raw columns", &report.profiles.raw),
        ("Processed columns", &report.profiles.processed),
    ] {
        if !profiles.is_empty() {
            write!(out, "<h2>{title}</h2><div class=\"cards\">").unwrap();
            for profile in profiles {
                card(&mut out, profile);
            }
            out.push_str("</div>");
        }
    }
    alerts(&mut out, report);
    out.push_str("<h2>Configuration</h2><table><tr><th>key</th><th>value</th><th>from</th></tr>");
    for (key, setting) in &report.configuration {
        write!(
            out,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            escape(key),
            escape(&setting.value),
            escape(&setting.origin.to_string())
        )
        .unwrap();
    }
    out.push_str("</table></main></body></html>\n");
    out
}

fn alerts(out: &mut String, report: &RunReport) {
    if report.alerts.is_empty() {
        return;
    }
    out.push_str("<h2>Alerts</h2><table><tr><th></th><th>channel</th><th>told of</th><th class=\"num\">attempts</th><th>error</th></tr>");
    for alert in &report.alerts {
        write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            if alert.delivered { "✅" } else { "❌" },
            escape(&alert.channel),
            escape(&alert.told_of()),
            alert.attempts,
            escape(alert.error.as_deref().unwrap_or(""))
        )
        .unwrap();
    }
    out.push_str("</table>");
}

fn stages(out: &mut String, report: &RunReport) {
    out.push_str("<h2>Stages</h2><table><tr><th></th><th>stage</th><th class=\"num\">rows in</th><th class=\"num\">rows out</th><th class=\"num\">time</th><th>summary</th></tr>");
    for stage in &report.stages {
        let (class, mark) = match stage.status {
            StageStatus::Ok => ("pass", "✔"),
            StageStatus::Warn => ("warn", "⚠"),
            StageStatus::Failed => ("fail", "✘"),
            StageStatus::Skipped => ("skip", "–"),
        };
        write!(
            out,
            "<tr><td class=\"{class}\">{mark}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.0} ms</td><td>{}</td></tr>",
            escape(&stage.name),
            stage.rows_in.map(|n| n.to_string()).unwrap_or_default(),
            stage.rows_out.map(|n| n.to_string()).unwrap_or_default(),
            stage.duration_ms,
            escape(&stage.summary)
        )
        .unwrap();
    }
    out.push_str("</table>");
    let usage = report.usage_by_stage();
    if !usage.is_empty() {
        out.push_str("<h2>Warehouse bytes</h2><table><tr><th>stage</th><th class=\"num\">queries</th><th class=\"num\">dry runs' estimate</th><th class=\"num\">processed</th><th class=\"num\">billed</th></tr>");
        for (stage, usage) in usage {
            write!(
                out,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                escape(&stage),
                usage.queries,
                byte_size(usage.estimated_bytes),
                byte_size(usage.processed_bytes),
                byte_size(usage.billed_bytes)
            )
            .unwrap();
        }
        out.push_str("</table>");
    }
}

fn gate(out: &mut String, title: &str, report: &Report) {
    let s = &report.summary;
    write!(
        out,
        "<h2>{title}: <span class=\"{}\">{}</span></h2><p><code>{}</code> {} · {} rows · {} passed · {} failed (error) · {} failed (warn) · {} skipped{}</p>",
        if report.passed { "pass" } else { "fail" },
        if report.passed { "passed" } else { "failed" },
        escape(&report.contract.name),
        escape(&report.contract.version),
        report.input.rows,
        s.passed,
        s.failed_errors,
        s.failed_warnings,
        s.skipped,
        report
            .input
            .scanned()
            .map(|scanned| format!(" · {scanned}"))
            .unwrap_or_default()
    )
    .unwrap();
    out.push_str("<table><tr><th></th><th>check</th><th>severity</th><th class=\"num\">failing rows</th><th>expected</th><th>observed / why</th></tr>");
    let mut checks: Vec<_> = report.checks.iter().collect();
    checks.sort_by_key(|check| match check.status {
        Status::Fail => 0,
        Status::Skipped => 1,
        Status::Pass => 2,
    });
    for check in checks {
        let (class, mark) = match (check.status, check.severity) {
            (Status::Pass, _) => ("pass", "✔"),
            (Status::Fail, Severity::Error) => ("fail", "✘"),
            (Status::Fail, Severity::Warn) => ("warn", "⚠"),
            (Status::Skipped, _) => ("skip", "–"),
        };
        let observed = check
            .message
            .clone()
            .or_else(|| check.observed_text())
            .unwrap_or_default();
        write!(
            out,
            "<tr><td class=\"{class}\">{mark}</td><td><code>{}</code></td><td>{:?}</td><td class=\"num\">{}</td><td>{}</td><td>{}",
            escape(&check.id),
            check.severity,
            check.failing_rows.map(|n| n.to_string()).unwrap_or_default(),
            escape(&check.expected),
            escape(&observed)
        )
        .unwrap();
        if !check.examples.is_empty() {
            write!(
                out,
                "<details><summary>{} example(s)</summary><ul>",
                check.examples.len()
            )
            .unwrap();
            for example in &check.examples {
                let values: Vec<String> = example
                    .values
                    .iter()
                    .map(|(column, value)| format!("{column} = {value}"))
                    .collect();
                write!(
                    out,
                    "<li>{}: <code>{}</code></li>",
                    escape(&example.location()),
                    escape(&values.join(", "))
                )
                .unwrap();
            }
            out.push_str("</ul></details>");
        }
        out.push_str("</td></tr>");
    }
    out.push_str("</table>");
}

fn expectations(out: &mut String, report: &RunReport) {
    if !report.reconciliation.is_empty() {
        out.push_str("<h2>Expectations against the input</h2><table><tr><th></th><th>expectation</th><th class=\"num\">input</th><th class=\"num\">output</th><th>rule</th></tr>");
        for result in &report.reconciliation {
            write!(
                out,
                "<tr><td class=\"{}\">{}</td><td><b>{}</b><br><span class=\"meta\">{}</span></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                if result.passed { "pass" } else { "fail" },
                if result.passed { "✔" } else { "✘" },
                escape(&result.name),
                escape(&result.description),
                result.input,
                result.output,
                escape(&result.rule)
            )
            .unwrap();
        }
        out.push_str("</table>");
    }
    if !report.drift.is_empty() {
        write!(
            out,
            "<h2>Drift against run <code>{}</code></h2><table><tr><th></th><th>column</th><th>statistic</th><th class=\"num\">value</th><th class=\"num\">threshold</th><th>severity</th></tr>",
            report.drift_reference.as_ref().map(|id| escape(id.as_str())).unwrap_or_default()
        )
        .unwrap();
        for drift in &report.drift {
            write!(
                out,
                "<tr><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td class=\"num\">{:.4}</td><td class=\"num\">{}</td><td>{:?}</td></tr>",
                if drift.drifted { "warn" } else { "pass" },
                if drift.drifted { "⚠" } else { "✔" },
                escape(&drift.column),
                escape(&drift.statistic),
                drift.value,
                drift.threshold,
                drift.severity
            )
            .unwrap();
        }
        out.push_str("</table>");
    }
}

/// One column's card: counts, range, and a histogram or category bars.
fn card(out: &mut String, profile: &ColumnProfile) {
    write!(
        out,
        "<div class=\"card\"><h4>{}</h4><div class=\"meta\">{} · {} rows · {} null</div>",
        escape(&profile.column),
        escape(&profile.dtype),
        profile.rows,
        profile.nulls
    )
    .unwrap();
    if let (Some(min), Some(max)) = (&profile.min, &profile.max) {
        write!(out, "<div class=\"meta\">{} … {}", escape(min), escape(max)).unwrap();
        if let Some(mean) = profile.mean {
            write!(out, " · mean {mean:.6}").unwrap();
        }
        out.push_str("</div>");
    }
    if !profile.histogram.is_empty() {
        bars(out, &profile.histogram);
    }
    if !profile.top.is_empty() {
        let counts: Vec<u64> = profile.top.iter().map(|(_, count)| *count).collect();
        bars(out, &counts);
        let labels: Vec<String> = profile
            .top
            .iter()
            .map(|(value, count)| format!("{} ({count})", escape(value)))
            .collect();
        write!(out, "<div class=\"meta\">{}</div>", labels.join(" · ")).unwrap();
    }
    out.push_str("</div>");
}

/// A small SVG bar chart of `counts`.
fn bars(out: &mut String, counts: &[u64]) {
    let (width, height) = (230.0, 48.0);
    let most = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let step = width / counts.len() as f64;
    write!(
        out,
        "<svg width=\"{width}\" height=\"{height}\" role=\"img\">"
    )
    .unwrap();
    for (index, count) in counts.iter().enumerate() {
        let bar = height * *count as f64 / most;
        write!(
            out,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bar:.1}\" fill=\"#4e79a7\"><title>{count}</title></rect>",
            index as f64 * step,
            height - bar,
            (step - 1.0).max(1.0)
        )
        .unwrap();
    }
    out.push_str("</svg>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_escaped() {
        assert_eq!(
            escape("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt;&amp;&quot;"
        );
    }
}
