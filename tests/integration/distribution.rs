//! Distribution as Qlik does it, and visible: triggers (publish, reload, change, move), policy
//! changes that move nothing until the next trigger, present/pending/unexpected per app and
//! target, `mc::drift`, `mc::reconcile` (idempotent, dry-run aware, journaled),
//! `mc::ensure_published` with another stream, and the Multi-cloud IdP's token check.

use crate::util::*;

const SETUP: &str = "import \"qlik/multicloud\" as mc;\nlet site = qseow(env(\"QLIK_QSEOW\"), #{});\nlet t = tenant(env(\"QLIK_TENANT\"));\n";

/// A second tenant in the source tenant's region, connected as `Region2` (and `t` as `Region1`).
const TWO_REGIONS: &str = r#"
let r = region(t.info().region);
let t2 = r.tenant(r.create_tenant(#{licenseKey: t.license_key()}).hostnames[0]);
for pair in [["Region1", t], ["Region2", t2]] {
    let s = mc::connect(site, pair[1], pair[0]);
    if !s.test.success { throw s.test.message; }
}
"#;

/// Finds the second tenant again in a later run.
const FIND_T2: &str = r#"
let t2 = ();
for d in site.deployments() { if d.name == "Region2" { t2 = region(t.info().region).tenant(d.serviceUrl.sub_string(8)); } }
"#;

fn script(sim: &Sim, body: &str, extra: &[&str]) -> Run {
    sim.script(&format!("{SETUP}{body}"), extra)
}

#[test]
fn an_app_published_before_its_policy_is_pending_until_a_reload_sends_it() {
    let sim = Sim::start(&[]);
    let run = script(
        &sim,
        r#"let s = mc::connect(site, t, "Region1");
           if !s.test.success { throw s.test.message; }
           let copies = || t.apps().filter(|a| a.name == "Draft Analysis").len();
           let status = || {
               let p = site.preview_distribution([t]).filter(|d| d.app_name == "Draft Analysis")[0];
               p.targets.map(|x| `${x.deployment_name}:${x.status}`)
           };
           print(`publish ${mc::ensure_published(site, "Draft Analysis", "Everyone").status}`);
           print(`no policy ${status.call()} ${copies.call()}`);
           mc::ensure_policy(site, "to Region1", "subject.name = \"Region1\"");
           print(`policy only ${status.call()} ${copies.call()}`);
           print(`unverified ${site.preview_distribution().filter(|d| d.app_name == "Draft Analysis")[0].targets[0].status}`);
           let after = site.reload_app("Draft Analysis");
           print(`reloaded ${after.lastReloadTime != ()}`);
           print(`after reload ${status.call()} ${copies.call()}`);
           let copy = t.apps().filter(|a| a.name == "Draft Analysis")[0];
           print(`same id ${copy.resourceId == after.id}`);
           print(`others ${site.preview_distribution([t]).filter(|d| d.app_name == "Sales Dashboard")[0].targets.map(|x| x.status)}`);"#,
        &[],
    );
    run.ok();
    assert_eq!(run.line("publish"), "published");
    assert_eq!(run.line("no policy"), "[] 0");
    assert_eq!(run.line("policy only"), r#"["Region1:pending"] 0"#);
    assert_eq!(run.line("unverified"), "unverified");
    assert_eq!(run.line("reloaded"), "true");
    assert_eq!(run.line("after reload"), r#"["Region1:present"] 1"#);
    assert_eq!(run.line("same id"), "true");
    // the seeded apps were published before the policy too, and were not touched
    assert_eq!(run.line("others"), r#"["pending"]"#);
}

#[test]
fn a_property_change_moves_an_app_and_a_move_or_delete_reevaluates_it() {
    let sim = Sim::start(&[]);
    let run = script(
        &sim,
        &format!(
            r#"{TWO_REGIONS}
           mc::route_by_property(site, "SendTo");
           let count = |tn| tn.apps().filter(|a| a.name == "Sales Dashboard").len();
           mc::send_app_to(site, "Sales Dashboard", "SendTo", ["Region1"]);
           print(`to Region1 ${{count.call(t)}} ${{count.call(t2)}}`);
           mc::send_app_to(site, "Sales Dashboard", "SendTo", ["Region2"]);
           print(`to Region2 ${{count.call(t)}} ${{count.call(t2)}}`);
           print(`targets ${{site.preview_distribution([t, t2]).filter(|d| d.app_name == "Sales Dashboard")[0].targets.map(|x| `${{x.deployment_name}}:${{x.status}}`)}}`);
           site.update_app("Sales Dashboard", #{{name: "Sales Dashboard 2"}});
           print(`renamed ${{t2.apps().filter(|a| a.name == "Sales Dashboard 2").len()}} ${{count.call(t2)}}`);
           mc::ensure_policy(site, "Distribute by SendTo", "resource.@SendTo = subject.name and resource.stream.name = \"Sales\"");
           print(`policy changed ${{t2.apps().filter(|a| a.name == "Sales Dashboard 2").len()}}`);
           site.move_app("Sales Dashboard 2", "Finance");
           print(`moved ${{site.apps("name eq 'Sales Dashboard 2'")[0].stream.name}} ${{t2.apps().filter(|a| a.name == "Sales Dashboard 2").len()}}`);
           site.move_app("Sales Dashboard 2", "Sales");
           print(`moved back ${{t2.apps().filter(|a| a.name == "Sales Dashboard 2").len()}}`);
           mc::ensure_policy(site, "Bob's apps", "resource.owner.userId = \"bob\" and subject.name = \"Region1\"");
           let bob = site.apps("name eq 'Draft Analysis'")[0].owner;
           print(`before owner ${{t.apps().filter(|a| a.name == "Sales Dashboard 2").len()}}`);
           site.update_app("Sales Dashboard 2", #{{owner: #{{id: bob.id}}}});
           print(`owner changed ${{t.apps().filter(|a| a.name == "Sales Dashboard 2").len()}} ${{site.apps("name eq 'Sales Dashboard 2'")[0].owner.userId}}`);
           site.delete_app("Sales Dashboard 2");
           print(`deleted ${{t.apps().filter(|a| a.name == "Sales Dashboard 2").len()}} ${{t2.apps().filter(|a| a.name == "Sales Dashboard 2").len()}}`);"#
        ),
        &[],
    );
    run.ok();
    assert_eq!(run.line("to Region1"), "1 0");
    // per wire::QSEOW_WITHDRAW_ON_REEVALUATION the old target's copy is withdrawn
    assert_eq!(run.line("to Region2"), "0 1");
    assert_eq!(run.line("targets"), r#"["Region2:present"]"#);
    assert_eq!(run.line("renamed"), "1 0");
    // a policy change alone moves nothing
    assert_eq!(run.line("policy changed"), "1");
    assert_eq!(run.line("moved"), "Finance 0");
    assert_eq!(run.line("moved back"), "1");
    // an owner change re-evaluates too
    assert_eq!(run.line("before owner"), "0");
    assert_eq!(run.line("owner changed"), "1 bob");
    assert_eq!(run.line("deleted"), "0 0");
}

/// Sales Dashboard present on Region1, Operations Monitor pending on Region1, Finance Report
/// unexpected on Region2.
const DRIFTED: &str = r#"
mc::route_by_property(site, "SendTo");
mc::send_app_to(site, "Sales Dashboard", "SendTo", ["Region1"]);
mc::send_app_to(site, "Finance Report", "SendTo", ["Region2"]);
mc::ensure_policy(site, "Operations to Region1", "resource.name = \"Operations Monitor\" and subject.name = \"Region1\"");
mc::ensure_policy(site, "Distribute by SendTo", "resource.@SendTo = subject.name and subject.name = \"Region1\"");
"#;

#[test]
fn drift_lists_present_pending_and_unexpected_exactly() {
    let sim = Sim::start(&[]);
    let run = script(
        &sim,
        &format!(
            r#"{TWO_REGIONS}{DRIFTED}
           let d = mc::drift(site, [t, t2]);
           print(`rows ${{d.rows.map(|r| `${{r.status}}:${{r.app}}@${{r.deployment}}`)}}`);
           print(`counts ${{d.present}} ${{d.pending}} ${{d.unexpected}} ${{d.unverified}}`);
           let partial = mc::drift(site, [t]);
           print(`partial ${{partial.rows.map(|r| `${{r.status}}:${{r.app}}@${{r.deployment}}`)}}`);"#
        ),
        &[],
    );
    run.ok();
    assert_eq!(
        run.line("rows"),
        r#"["present:Sales Dashboard@Region1", "unexpected:Finance Report@Region2", "pending:Operations Monitor@Region1"]"#
    );
    assert_eq!(run.line("counts"), "1 1 1 0");
    // the printed table
    assert!(
        run.stdout.lines().any(|l| l.starts_with("unexpected")
            && l.contains("Finance Report")
            && l.contains("Region2")),
        "{}",
        run.stdout
    );
    assert!(run
        .stdout
        .contains("present 1, pending 1, unexpected 1, unverified 0"));
    // without Region2's tenant its copy cannot be seen
    assert_eq!(
        run.line("partial"),
        r#"["present:Sales Dashboard@Region1", "pending:Operations Monitor@Region1"]"#
    );
}

#[test]
fn reconcile_moves_what_drifted_once_plans_under_dry_run_and_journals() {
    let sim = Sim::start(&[]);
    script(&sim, &format!("{TWO_REGIONS}{DRIFTED}"), &[]).ok();
    let reconcile = format!(
        r#"{FIND_T2}
           let r = mc::reconcile(site, [t, t2]);
           print(`dry ${{r.dry_run}}`);
           print(`moved ${{r.moved.map(|m| `${{m.action}}:${{m.app}}@${{m.deployment}}`)}}`);
           print(`apps ${{r.triggered}}`);
           let d = mc::drift(site, [t, t2]);
           print(`drift ${{d.present}} ${{d.pending}} ${{d.unexpected}}`);"#
    );
    let dry = script(&sim, &reconcile, &["--dry-run"]);
    dry.ok();
    assert_eq!(dry.line("dry"), "true");
    assert_eq!(
        dry.line("moved"),
        r#"["would withdraw:Finance Report@Region2", "would distribute:Operations Monitor@Region1"]"#
    );
    assert_eq!(dry.line("drift"), "1 1 1");
    assert!(
        dry.stdout.contains("/reload") || dry.stdout.contains("qrs/app/"),
        "{}",
        dry.stdout
    );

    let journal = temp_file("reconcile.jsonl", "");
    std::fs::remove_file(&journal).unwrap();
    let first = script(&sim, &reconcile, &["--journal", journal.to_str().unwrap()]);
    first.ok();
    assert_eq!(first.line("dry"), "false");
    assert_eq!(
        first.line("moved"),
        r#"["withdrawn:Finance Report@Region2", "distributed:Operations Monitor@Region1"]"#
    );
    assert_eq!(
        first.line("apps"),
        r#"["Finance Report", "Operations Monitor"]"#
    );
    assert_eq!(first.line("drift"), "2 0 0");
    let journaled = std::fs::read_to_string(&journal).unwrap();
    assert!(journaled.contains("qrs/app/"), "{journaled}");

    let second = script(&sim, &reconcile, &[]);
    second.ok();
    assert_eq!(second.line("moved"), "[]");
    assert_eq!(second.line("apps"), "[]");
    assert!(second.stdout.contains("triggered 0, moved 0, remaining 0"));
    assert_eq!(second.line("drift"), "2 0 0");
}

#[test]
fn ensure_published_reports_another_stream_and_moves_only_when_asked() {
    let sim = Sim::start(&[]);
    let run = script(
        &sim,
        r#"let same = mc::ensure_published(site, "Sales Dashboard", "Sales");
           print(`same ${same.status} ${same.action}`);
           let elsewhere = mc::ensure_published(site, "Sales Dashboard", "Finance");
           print(`elsewhere ${elsewhere.status} ${elsewhere.stream} ${elsewhere.action}`);
           print(`still ${site.apps("name eq 'Sales Dashboard'")[0].stream.name}`);
           let moved = mc::ensure_published(site, "Sales Dashboard", "Finance", #{move: true});
           print(`moved ${moved.status} from ${moved.from} ${moved.action}`);
           print(`now ${site.apps("name eq 'Sales Dashboard'")[0].stream.name}`);
           print(`again ${mc::ensure_published(site, "Sales Dashboard", "finance", #{move: true}).status}`);
           print(`fresh ${mc::ensure_published(site, "Draft Analysis", "Everyone").status}`);"#,
        &[],
    );
    run.ok();
    assert_eq!(run.line("same"), "unchanged unchanged");
    assert_eq!(run.line("elsewhere"), "published_elsewhere Sales unchanged");
    assert_eq!(run.line("still"), "Sales");
    assert_eq!(run.line("moved"), "moved from Sales updated");
    assert_eq!(run.line("now"), "Finance");
    assert_eq!(run.line("again"), "unchanged");
    assert_eq!(run.line("fresh"), "published");
}

#[test]
fn a_multicloud_idp_refuses_a_token_the_site_did_not_issue() {
    let sim = Sim::start(&[]);
    let run = script(
        &sim,
        r#"site.create_deployment(#{name: "Region1", api_endpoint: `https://${t.host}`});
           let body = #{protocol: "qsefw-local-bearer-token", provider: "qlik", interactive: false,
               description: "garbage", tenantIds: [t.info().id]};
           for garbage in ["not-a-token", "eyJraWQiOiJ4In0=", "eyJpc3N1ZXIiOiJodHRwczovL2V2aWwuZXhhbXBsZS9oZHMveCIsImtpZCI6IngiLCJwZW0iOiItLS0tLUJFR0lOIFBVQkxJQyBLRVktLS0tLSJ9"] {
               try { t.create_idp(body + #{base64Encoded: garbage}); print("accepted"); }
               catch (e) { print(`refused ${e.status} ${e.code}: ${e.message}`); }
           }
           let good = t.create_idp(body + #{description: "good", base64Encoded: site.deployment_token("Region1")});
           print(`valid ${good.protocol}`);
           print(`test ${site.test_deployment("Region1").success}`);
           try { t.update_idp(good.id, [#{op: "replace", path: "/base64Encoded", value: "bm9wZQ=="}]); print("patched"); }
           catch (e) { print(`patch refused ${e.status}`); }
           print(`still ${site.test_deployment("Region1").success}`);"#,
        &[],
    );
    run.ok();
    assert!(!run.stdout.contains("accepted"), "{}", run.stdout);
    let refused: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("refused 400 "))
        .collect();
    assert_eq!(refused.len(), 3, "{}", run.stdout);
    assert!(
        refused.iter().all(|l| l.contains("base64Encoded")),
        "{refused:?}"
    );
    assert_eq!(run.line("valid"), "qsefw-local-bearer-token");
    assert_eq!(run.line("test"), "true");
    assert_eq!(run.line("patch refused"), "400");
    assert_eq!(run.line("still"), "true");

    // the raw answer is Qlik's error shape
    let token = sim.token(sim.tenant_host());
    let host = sim.tenant_host().to_string();
    let raw = sim.http(
        "POST",
        &host,
        "/api/v1/identity-providers",
        &[("Authorization", &format!("Bearer {token}")), ("Content-Type", "application/json")],
        Some(r#"{"protocol":"qsefw-local-bearer-token","provider":"qlik","interactive":false,"base64Encoded":"Z2FyYmFnZQ=="}"#),
    );
    assert_eq!(raw.status, 400, "{}", raw.body);
    let body = raw.json();
    assert_eq!(body["errors"][0]["status"], 400, "{body}");
    assert!(body["errors"][0]["code"].is_string(), "{body}");
    assert!(
        body["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("base64Encoded"),
        "{body}"
    );
}
