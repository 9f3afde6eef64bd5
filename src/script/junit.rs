//! `qops test --junit FILE`: the results as JUnit XML, the format GitHub (test reporter
//! actions), GitLab (`artifacts:reports:junit`) and Jenkins (`junit` step) read: a
//! `<testsuite>` per file with tests, a `<testcase>` per `test_*` function, and for a failure a
//! `<failure>` whose message is the error's first line (`file:line:col: ...`) and whose text is
//! the whole report. quick-xml escapes; characters XML 1.0 cannot carry at all (most control
//! characters) are replaced first.

use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;

/// The tests of one file.
pub struct Suite {
    pub file: String,
    pub cases: Vec<Case>,
}

pub struct Case {
    pub name: String,
    pub seconds: f64,
    /// The report of a failed test.
    pub failure: Option<String>,
}

/// XML 1.0 allows tab, newline, carriage return and characters from U+0020 up (minus
/// U+FFFE/U+FFFF); anything else becomes U+FFFD.
fn xml_text(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

fn seconds(s: f64) -> String {
    format!("{s:.3}")
}

/// The whole report.
pub fn render(suites: &[Suite]) -> String {
    let count = |s: &Suite| s.cases.len();
    let failures = |s: &Suite| s.cases.iter().filter(|c| c.failure.is_some()).count();
    let time = |s: &Suite| s.cases.iter().fold(0.0, |t, c| t + c.seconds);
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let written = (|| -> std::io::Result<()> {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        w.create_element("testsuites")
            .with_attributes([
                ("name", "qops test"),
                (
                    "tests",
                    &suites.iter().map(count).sum::<usize>().to_string(),
                ),
                (
                    "failures",
                    &suites.iter().map(failures).sum::<usize>().to_string(),
                ),
                ("errors", "0"),
                (
                    "time",
                    &seconds(suites.iter().map(time).fold(0.0, |a, b| a + b)),
                ),
            ])
            .write_inner_content(|w| {
                for suite in suites.iter().filter(|s| !s.cases.is_empty()) {
                    let file = xml_text(&suite.file);
                    w.create_element("testsuite")
                        .with_attributes([
                            ("name", file.as_str()),
                            ("tests", &count(suite).to_string()),
                            ("failures", &failures(suite).to_string()),
                            ("errors", "0"),
                            ("skipped", "0"),
                            ("time", &seconds(time(suite))),
                            ("file", file.as_str()),
                        ])
                        .write_inner_content(|w| {
                            for case in &suite.cases {
                                write_case(w, &file, case)?;
                            }
                            Ok(())
                        })?;
                }
                Ok(())
            })?;
        Ok(())
    })();
    // Writing into a Vec cannot fail.
    debug_assert!(written.is_ok());
    let mut xml = String::from_utf8_lossy(&w.into_inner()).into_owned();
    xml.push('\n');
    xml
}

fn write_case(w: &mut Writer<Vec<u8>>, file: &str, case: &Case) -> std::io::Result<()> {
    let name = xml_text(&case.name);
    let element = w.create_element("testcase").with_attributes([
        ("name", name.as_str()),
        ("classname", file),
        ("file", file),
        ("time", &seconds(case.seconds)),
    ]);
    match &case.failure {
        None => element.write_empty().map(|_| ()),
        Some(report) => {
            let report = xml_text(report);
            let message = report.lines().next().unwrap_or("failed");
            element
                .write_inner_content(|w| {
                    w.create_element("failure")
                        .with_attributes([("message", message), ("type", "failure")])
                        .write_text_content(BytesText::new(&report))?;
                    Ok(())
                })
                .map(|_| ())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_names_and_messages_is_escaped_and_counts_add_up() {
        let xml = render(&[Suite {
            file: "a&b.rhai".into(),
            cases: vec![
                Case {
                    name: "test_ok".into(),
                    seconds: 0.5,
                    failure: None,
                },
                Case {
                    name: "test_bad".into(),
                    seconds: 0.25,
                    failure: Some("a&b.rhai:2:5: <\"x\"> \u{1b}[0m\nmore".into()),
                },
            ],
        }]);
        assert!(
            xml.contains(r#"<testsuites name="qops test" tests="2" failures="1""#),
            "{xml}"
        );
        assert!(xml.contains(r#"time="0.750""#), "{xml}");
        assert!(xml.contains("a&amp;b.rhai:2:5: &lt;"), "{xml}");
        assert!(!xml.contains('\u{1b}'), "{xml}");
        assert!(
            xml.contains(r#"<testcase name="test_ok" classname="a&amp;b.rhai""#),
            "{xml}"
        );
    }
}
