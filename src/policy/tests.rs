use serde_json::{json, Value};

use super::*;

fn app() -> Value {
    json!({
        "id": "0b1c2d3e-0000-4000-8000-000000000001",
        "name": "Sales Dashboard",
        "published": true,
        "stream": {"id": "5a000000-0000-4000-8000-000000000001", "name": "Sales"},
        "owner": {"name": "Ann Admin", "userId": "ann", "userDirectory": "CORP"},
        "customProperties": [
            {"definition": {"name": "SendTo"}, "value": "Region1"},
            {"definition": {"name": "SendTo"}, "value": "Region2"},
            {"definition": {"name": "Department"}, "value": "Finance"},
            {"value": "orphan"},
            {"definition": {}, "value": "no name"}
        ]
    })
}

fn unpublished() -> Value {
    json!({
        "id": "a2", "name": "Draft", "published": false, "stream": null,
        "owner": {"name": "Bob", "userId": "bob", "userDirectory": "CORP"},
        "customProperties": []
    })
}

fn dep(name: &str) -> Value {
    json!({"id": format!("id-{name}"), "name": name, "serviceUrl": "https://x"})
}

fn eval_on(rule: &str, app: &Value, deployment: &str) -> bool {
    let r = parse(rule).unwrap_or_else(|e| panic!("{rule}: {e}"));
    evaluate(&r, app, &dep(deployment)).unwrap_or_else(|e| panic!("{rule}: {e}"))
}

fn t(rule: &str) -> bool {
    eval_on(rule, &app(), "Region1")
}

/// (position, line, column, message) of a rule's parse error.
fn err(rule: &str) -> (usize, usize, usize, String) {
    let e = parse(rule).expect_err(rule);
    (e.position, e.line, e.column, e.message)
}

#[test]
fn empty_rule_applies_to_everything() {
    for r in ["", "   ", "\n\t "] {
        let rule = parse(r).unwrap();
        assert!(rule.is_empty());
        assert!(matches(&rule, &unpublished(), &json!({})));
    }
}

#[test]
fn rule_keeps_source_and_serializes_as_text() {
    let r = parse(" resource.name = \"x\" ").unwrap();
    assert_eq!(r.source(), " resource.name = \"x\" ");
    assert_eq!(r.to_string(), r.source());
    assert_eq!(
        serde_json::to_value(&r).unwrap(),
        json!(" resource.name = \"x\" ")
    );
    assert!(check("resource.name = \"x\"").is_ok());
    assert!(check("resource.name =").is_err());
}

#[test]
fn error_positions() {
    assert_eq!(
        err("resource.stream.name="),
        (
            21,
            1,
            22,
            "expected a value after '=', found end of rule".into()
        )
    );
    let e = parse("subject.name = \"a\" and resource.name =").unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 1, column 39: expected a value after '=', found end of rule"
    );
    assert_eq!(e.position, 38);
    // Unknown root, at the root.
    let (pos, _, col, msg) = err("resource.name = \"x\" or user.name = \"y\"");
    assert_eq!((pos, col), (23, 24));
    assert!(msg.contains("unknown property root 'user'"), "{msg}");
    // Unknown property, at the unknown segment, listing the supported ones.
    let (pos, _, _, msg) = err("resource.stream.title = \"x\"");
    assert_eq!(pos, 16);
    assert!(msg.contains("resource.stream.name"), "{msg}");
    assert!(msg.contains("resource.@<CustomProperty>"), "{msg}");
    let (pos, _, _, _) = err("resource.colour = \"x\"");
    assert_eq!(pos, 9);
    // Missing operator.
    let (pos, _, _, msg) = err("resource.name \"x\"");
    assert_eq!(pos, 14);
    assert_eq!(
        msg,
        "expected an operator (=, !=, like, matches) after 'resource.name', found string \"x\""
    );
    // Unclosed parenthesis.
    let (pos, _, _, msg) = err("(resource.name = \"x\"");
    assert_eq!(pos, 20);
    assert_eq!(
        msg,
        "expected 'and', 'or' or ')' to close the '(' at line 1, column 1, found end of rule"
    );
    // Stray closing parenthesis.
    let (pos, _, _, msg) = err("resource.name = \"x\")");
    assert_eq!(pos, 19);
    assert!(msg.contains("without a matching '('"), "{msg}");
    // Dangling operator.
    let (pos, _, _, msg) = err("resource.name = \"x\" and");
    assert_eq!(pos, 23);
    assert!(msg.starts_with("expected a condition"), "{msg}");
    assert!(msg.ends_with("found end of rule"), "{msg}");
    // Two values in a row.
    let (pos, _, _, msg) = err("resource.name = \"x\" \"y\"");
    assert_eq!(pos, 20);
    assert_eq!(
        msg,
        "expected 'and', 'or' or end of rule, found string \"y\""
    );
    // Lines and columns past a newline.
    let (pos, line, col, _) = err("resource.name = \"x\"\n  and\n  resource.nope = \"y\"");
    assert_eq!((pos, line, col), (37, 3, 12));
    // Offsets count characters, not bytes.
    let (pos, _, col, _) = err("resource.name = \"ÄÖÜ\" or x");
    assert_eq!((pos, col), (25, 26));
    // Value missing before 'and'.
    assert_eq!(
        err("resource.name = and x"),
        (16, 1, 17, "expected a value after '=', found 'and'".into())
    );
    // Property that is not a value.
    let (pos, _, _, msg) = err("resource.stream = \"Sales\"");
    assert_eq!(pos, 0);
    assert!(msg.contains("not a value"), "{msg}");
    // Subject custom properties are not supported.
    let (pos, _, _, _) = err("subject.@Region = \"x\"");
    assert_eq!(pos, 8);
    // Empty path segment.
    let (pos, _, _, _) = err("resource..name = \"x\"");
    assert_eq!(pos, 9);
    // Right side: dotted word with an unknown root.
    let (pos, _, _, _) = err("resource.name = my.app");
    assert_eq!(pos, 16);
}

#[test]
fn function_errors() {
    let (pos, _, _, msg) = err("resource.stream.Full()");
    assert_eq!(pos, 16);
    assert!(msg.starts_with("unknown function 'Full'"), "{msg}");
    let (pos, _, _, _) = err("resource.Empty()");
    assert_eq!(pos, 9);
    let (pos, _, _, _) = err("resource.stream.Empty(\"x\")");
    assert_eq!(pos, 22);
    let (pos, _, _, msg) = err("resource.HasPrivilege()");
    assert_eq!(pos, 22);
    assert!(msg.contains("privilege string"), "{msg}");
    let (pos, _, _, _) = err("resource.HasPrivilege(read)");
    assert_eq!(pos, 22);
    let (pos, _, _, _) = err("resource.HasPrivilege(\"read\", \"update\")");
    assert_eq!(pos, 30);
    let (pos, _, _, _) = err("resource.stream.name.HasPrivilege(\"read\")");
    assert_eq!(pos, 21);
    let (pos, _, _, msg) = err("resource.stream.Empty(");
    assert_eq!(pos, 22);
    assert!(msg.ends_with("found end of rule"), "{msg}");
    let (pos, _, _, msg) = err("Empty()");
    assert_eq!(pos, 0);
    assert!(msg.contains("before function 'Empty'"), "{msg}");
    let (pos, _, _, _) = err("user.IsAnonymous()");
    assert_eq!(pos, 0);
}

#[test]
fn invalid_regex_literal_is_a_parse_error() {
    let (pos, _, col, msg) = err("resource.name matches \"[a-\"");
    assert_eq!((pos, col), (22, 23));
    assert!(
        msg.starts_with("expected a valid regular expression after 'matches'"),
        "{msg}"
    );
    assert!(!msg.contains('\n'));
}

#[test]
fn invalid_regex_from_property_is_an_evaluation_error() {
    let mut a = app();
    a["customProperties"] = json!([{"definition": {"name": "Pattern"}, "value": "(("}]);
    let r = parse("resource.name matches resource.@Pattern").unwrap();
    let e = evaluate(&r, &a, &dep("Region1")).unwrap_err();
    assert_eq!(e.position, 22);
    assert!(!matches(&r, &a, &dep("Region1")));
    a["customProperties"] = json!([{"definition": {"name": "Pattern"}, "value": "dash"}]);
    assert!(matches(&r, &a, &dep("Region1")));
}

#[test]
fn nesting_depth_is_capped() {
    let ok = format!("{}resource.name = \"x\"{}", "(".repeat(64), ")".repeat(64));
    assert!(parse(&ok).is_ok());
    let deep = format!("{}resource.name = \"x\"{}", "(".repeat(65), ")".repeat(65));
    let e = parse(&deep).unwrap_err();
    assert_eq!(e.position, 64);
    assert!(e.message.contains("deeper than 64"), "{e}");
    // Far deeper input is still an error, not a stack overflow.
    assert!(parse(&"(".repeat(100_000)).is_err());
    // Long chains of '!' and of 'and'/'or' are iterative.
    let nots = format!("{}resource.name = \"x\"", "!".repeat(100_001));
    assert!(t(&nots));
    let chain = vec!["resource.name = \"x\""; 10_000].join(" or ");
    assert!(!t(&chain));
}

#[test]
fn precedence_not_and_or() {
    // a or b and c == a or (b and c)
    let a = "subject.name = \"Region1\"";
    let no = "resource.name = \"nope\"";
    assert!(t(&format!("{a} or {no} and {no}")));
    assert!(!t(&format!("({a} or {no}) and {no}")));
    assert!(t(&format!("{no} and {no} or {a}")));
    assert!(!t(&format!("{no} and ({no} or {a})")));
    // ! binds to the next term only.
    assert!(!t(&format!("!{a} or {no}")));
    assert!(t(&format!("!{no} and {a}")));
    assert!(t(&format!("!({no} and {a})")));
    assert!(!t(&format!("!({no} or {a})")));
    assert!(t(&format!("!!{a}")));
    assert!(t("((subject.name=\"Region1\"))"));
    // Keywords in any case.
    assert!(t(&format!("{no} OR {a} AnD !{no}")));
}

#[test]
fn equality_is_case_insensitive() {
    const { assert!(CASE_INSENSITIVE_COMPARISON) };
    assert!(t("resource.name = \"sales dashboard\""));
    assert!(t("RESOURCE.NAME = \"SALES DASHBOARD\""));
    assert!(!t("resource.name != \"Sales DASHBOARD\""));
    assert!(t("resource.name != \"Sales\""));
    assert!(t(
        "resource.owner.userDirectory = corp and resource.owner.userId = \"ANN\""
    ));
    assert!(t("resource.owner.name = \"ann admin\""));
    assert!(t("resource.id = 0B1C2D3E-0000-4000-8000-000000000001"));
    assert!(t(
        "resource.stream.id = \"5a000000-0000-4000-8000-000000000001\""
    ));
    assert!(t("subject.id = \"ID-region1\""));
    assert!(t(
        "resource.published = \"true\" and resource.published != false"
    ));
    assert!(!eval_on(
        "resource.published = true",
        &unpublished(),
        "Region1"
    ));
    assert!(eval_on(
        "resource.published = \"FALSE\"",
        &unpublished(),
        "Region1"
    ));
    // An escaped quote inside a literal.
    let mut a = app();
    a["name"] = json!("Say \"hi\"");
    assert!(eval_on(r#"resource.name = "say \"HI\"""#, &a, "Region1"));
}

#[test]
fn like_wildcards() {
    assert!(t("resource.name like \"sales*\""));
    assert!(t("resource.name LIKE \"*DASH*\""));
    assert!(t("resource.name like \"Sales?Dashboard\""));
    assert!(!t("resource.name like \"Sales\""));
    assert!(!t("resource.name like \"*report\""));
    assert!(t("resource.@SendTo like \"region?\""));
    assert!(t(
        "resource.stream.name like \"s*\" and !resource.name like \"x*\""
    ));
    // No value: like is false.
    assert!(!eval_on(
        "resource.stream.name like \"*\"",
        &unpublished(),
        "R"
    ));
}

#[test]
fn matches_is_an_unanchored_case_insensitive_regex() {
    assert!(t("resource.name matches \"dash\""));
    assert!(t("resource.name MATCHES \"^SALES\""));
    assert!(!t("resource.name matches \"^dash\""));
    assert!(t(r#"resource.name matches "^sales\s+dashboard$""#));
    assert!(t("resource.@SendTo matches \"2$\""));
    assert!(t("subject.name matches \"^region[0-9]+$\""));
    assert!(!t("resource.@Missing matches \".*\""));
}

#[test]
fn multi_valued_custom_properties() {
    // Any value matches.
    assert!(t("resource.@SendTo = \"Region2\""));
    assert!(t("resource.@sendto = \"region1\""));
    // != is the negation of =.
    assert!(!t("resource.@SendTo != \"Region2\""));
    assert!(t("resource.@SendTo != \"Region3\""));
    // No values: = false, != true.
    assert!(!t("resource.@Missing = \"x\""));
    assert!(t("resource.@Missing != \"x\""));
    // Entries without a definition name are skipped, not errors.
    assert!(!t("resource.@orphan = \"orphan\""));
    // Property against property, either side multi-valued.
    assert!(eval_on(
        "resource.@SendTo = subject.name",
        &app(),
        "Region2"
    ));
    assert!(eval_on(
        "subject.name = resource.@SendTo",
        &app(),
        "region1"
    ));
    assert!(!eval_on(
        "resource.@SendTo = subject.name",
        &app(),
        "Region3"
    ));
    assert!(eval_on(
        "resource.@SendTo != subject.name",
        &app(),
        "Region3"
    ));
    let mut a = app();
    a["customProperties"] = json!([
        {"definition": {"name": "A"}, "value": "x"},
        {"definition": {"name": "A"}, "value": "y"},
        {"definition": {"name": "B"}, "value": "Y"},
        {"definition": {"name": "B"}, "value": "z"},
        {"definition": {"name": "C"}, "value": "q"}
    ]);
    assert!(eval_on("resource.@A = resource.@B", &a, "R"));
    assert!(!eval_on("resource.@A = resource.@C", &a, "R"));
    assert!(eval_on("resource.@A like resource.@B", &a, "R"));
    // Missing customProperties altogether.
    assert!(!eval_on(
        "resource.@A = \"x\"",
        &json!({"published": true}),
        "R"
    ));
}

#[test]
fn empty_and_has_privilege() {
    assert!(!t("resource.stream.Empty()"));
    assert!(eval_on("resource.stream.Empty()", &unpublished(), "R"));
    assert!(eval_on("resource.stream.empty()", &json!({}), "R"));
    assert!(!t("resource.@SendTo.Empty()"));
    assert!(t("resource.@Missing.Empty()"));
    assert!(t("!resource.@SendTo.Empty() and !resource.owner.Empty()"));
    assert!(eval_on("resource.owner.Empty()", &json!({}), "R"));
    assert!(eval_on("resource.stream.name.Empty()", &unpublished(), "R"));
    // HasPrivilege parses but is false (no user in a distribution context).
    assert!(check("resource.HasPrivilege(\"read\")").is_ok());
    assert!(!t("resource.HasPrivilege(\"read\")"));
    assert!(t("!resource.hasprivilege(\"read\")"));
    assert!(!t("subject.HasPrivilege(\"update\")"));
}

#[test]
fn published_examples() {
    // The QMC default condition with a deployment name filled in.
    assert!(eval_on(
        "((subject.name=\"deployment\"))",
        &app(),
        "Deployment"
    ));
    assert!(!eval_on("((subject.name=\"deployment\"))", &app(), "Other"));
    assert!(!eval_on("((subject.name=\"\"))", &app(), "Region1"));
    // Multiple tenants: the app names its targets.
    let r = "resource.@SendTo = subject.name";
    assert!(eval_on(r, &app(), "Region1"));
    assert!(eval_on(r, &app(), "Region2"));
    assert!(!eval_on(r, &app(), "Region3"));
    // Stream-based routing.
    let r = "resource.stream.name = \"Sales\" and subject.name = \"Region1\"";
    assert!(eval_on(r, &app(), "Region1"));
    assert!(!eval_on(r, &app(), "Region2"));
    assert!(!eval_on(r, &unpublished(), "Region1"));
    // 2019 scenario: subject is the deployment and the app says send to it.
    let r = "subject.name = \"Region1\" and resource.@sendto = \"Region1\"";
    assert!(eval_on(r, &app(), "Region1"));
}

fn policy(name: &str, rule: &str, disabled: bool) -> Policy {
    Policy {
        id: format!("p-{name}"),
        name: name.to_string(),
        rule: parse(rule).unwrap(),
        disabled,
    }
}

#[test]
fn preview_routes_apps() {
    let policies = vec![
        policy("by-property", "resource.@SendTo = subject.name", false),
        policy(
            "sales-to-r1",
            "resource.stream.name = \"Sales\" and subject.name = \"Region1\"",
            false,
        ),
        policy("everything", "", true),
    ];
    let mut other = app();
    other["id"] = json!("a3");
    other["name"] = json!("Ops");
    other["stream"] = json!({"id": "s2", "name": "Ops"});
    other["customProperties"] = json!([{"definition": {"name": "SendTo"}, "value": "Region2"}]);
    let apps = vec![app(), unpublished(), other];
    let deps = vec![dep("Region1"), dep("Region2"), dep("Region3")];
    let out = preview(&policies, &apps, &deps);
    assert_eq!(out.len(), 3);
    assert_eq!(
        out[0],
        Distribution {
            app_id: "0b1c2d3e-0000-4000-8000-000000000001".into(),
            app_name: "Sales Dashboard".into(),
            targets: vec![
                Target {
                    deployment_id: "id-Region1".into(),
                    deployment_name: "Region1".into(),
                    policies: vec!["by-property".into(), "sales-to-r1".into()],
                },
                Target {
                    deployment_id: "id-Region2".into(),
                    deployment_name: "Region2".into(),
                    policies: vec!["by-property".into()],
                },
            ],
        }
    );
    // Unpublished: nowhere, even for a catch-all policy.
    assert_eq!(out[1].app_id, "a2");
    assert!(out[1].targets.is_empty());
    assert!(targets(&[policy("all", "", false)], &unpublished(), &deps).is_empty());
    assert_eq!(out[2].targets.len(), 1);
    assert_eq!(out[2].targets[0].deployment_name, "Region2");
    // The disabled catch-all was ignored; enabled, it names every deployment.
    let all = targets(&[policy("all", "", false)], &app(), &deps);
    assert_eq!(all.len(), 3);
    // Serializable for scripts.
    let v = serde_json::to_value(&out[0]).unwrap();
    assert_eq!(v["targets"][0]["policies"][1], json!("sales-to-r1"));
    let p = serde_json::to_value(&policies[0]).unwrap();
    assert_eq!(p["rule"], json!("resource.@SendTo = subject.name"));
}

/// Edge inputs that must not panic. Add fuzz crash inputs here (the 60 s
/// and 90 s cargo-fuzz runs so far found none).
#[test]
fn regressions() {
    for input in [
        "\"",
        "\\",
        "(",
        ")",
        "!",
        "@",
        ".",
        "resource.",
        "resource.@",
        "resource.@.Empty()",
        "resource.@a@b = x",
        "x(",
        ".Empty()",
        "resource.stream.Empty(,)",
        "resource.name matches \"\\\"",
    ] {
        let _ = parse(input);
    }
}

#[test]
fn random_input_never_panics() {
    const PIECES: &[&str] = &[
        "resource.name",
        "resource.id",
        "resource.stream.name",
        "resource.stream",
        "resource.owner.userId",
        "resource.published",
        "resource.@SendTo",
        "resource.@",
        "subject.name",
        "subject.id",
        "user.name",
        "=",
        "!=",
        "like",
        "matches",
        "and",
        "OR",
        "!",
        "(",
        ")",
        ",",
        ".",
        "@",
        "\"Region1\"",
        "\"a*b?\"",
        "\"[\"",
        "\"^r.*$\"",
        "\"\\\"\"",
        "\"",
        "\\",
        ".Empty()",
        ".HasPrivilege(\"read\")",
        "Empty",
        "(",
        " ",
        " ",
        "\n",
        "0b1c2d3e-0000-4000-8000-000000000001",
        "true",
        "é",
    ];
    let mut rng = fastrand::Rng::with_seed(0x0051_7e5e_ed00);
    let apps = [app(), unpublished(), json!({}), json!(null), json!([1, 2])];
    let deps = [dep("Region1"), json!({"name": 5}), json!("x")];
    let mut parsed = 0usize;
    for _ in 0..20_000 {
        let mut s = String::new();
        for _ in 0..rng.usize(0..16) {
            if rng.u8(..) < 20 {
                let bytes: Vec<u8> = (0..rng.usize(1..4)).map(|_| rng.u8(..)).collect();
                s.push_str(&String::from_utf8_lossy(&bytes));
            } else if let Some(p) = PIECES.get(rng.usize(..PIECES.len())) {
                s.push_str(p);
                if rng.bool() {
                    s.push(' ');
                }
            }
        }
        if let Ok(rule) = parse(&s) {
            parsed += 1;
            for a in &apps {
                for d in &deps {
                    let _ = evaluate(&rule, a, d);
                }
            }
        }
    }
    // The generator is useful only if a fair share of inputs parse.
    assert!(parsed > 500, "only {parsed} random rules parsed");
}

#[test]
fn tenant_rules_read_inventory_fields_tags_and_attributes() {
    let t = json!({"name": "globex", "region": "eu", "hostname": "globex.eu.qlik.localhost",
                   "tags": ["gold", "retail"], "attributes": {"tier": "premium"}});
    let r = crate::policy::tenant_resource(&t);
    let sel = |rule: &str| {
        let rule = crate::policy::parse_for(rule, &crate::policy::TENANT).unwrap();
        crate::policy::matches(&rule, &r, &serde_json::Value::Null)
    };
    assert!(sel(r#"resource.region = "EU" and resource.@tag = "gold""#));
    assert!(sel(
        r#"resource.name like "glob*" and resource.@tier = "premium""#
    ));
    assert!(!sel(
        r#"resource.@tag = "silver" or resource.region = "us""#
    ));
    assert!(sel(r#"resource.hostname matches "\.eu\.""#));
    // Tenant fields are no app properties: the QSEoW language is unchanged.
    assert!(crate::policy::parse(r#"resource.region = "eu""#).is_err());
}
