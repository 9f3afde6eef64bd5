//! Multi-cloud: the QSEoW site (Xrfkey, QRS, deployments), the Multi-cloud IdP and test
//! connection, distribution policies and their language, publishing and staging.

use crate::util::*;

const SETUP: &str =
    "let site = qseow(env(\"QLIK_QSEOW\"), #{});\nlet t = tenant(env(\"QLIK_TENANT\"));\n";

fn script(sim: &Sim, body: &str) -> Run {
    sim.script(
        &format!("import \"qlik/multicloud\" as mc;\n{SETUP}{body}"),
        &[],
    )
}

#[test]
fn the_site_rejects_requests_without_a_matching_xrfkey() {
    let sim = Sim::start(&[]);
    let site = sim.env["QLIK_QSEOW"].clone();
    let key = "abcdefghij012345";
    let ok = sim.http(
        "GET",
        &site,
        &format!("/qrs/about?xrfkey={key}"),
        &[("X-Qlik-Xrfkey", key)],
        None,
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(ok.json()["buildVersion"].is_string());
    let missing = sim.http("GET", &site, "/qrs/about", &[], None);
    assert_eq!(missing.status, 403);
    let mismatched = sim.http(
        "GET",
        &site,
        &format!("/qrs/about?xrfkey={key}"),
        &[("X-Qlik-Xrfkey", "ABCDEFGHIJ012345")],
        None,
    );
    assert_eq!(mismatched.status, 403);
    let hds = sim.http("GET", &site, "/api/hds/v1/Deployments", &[], None);
    assert_eq!(hds.status, 403);
    // The client sends a fresh key each call: every QRS and HDS call of a script succeeds.
    let run = script(&sim, "print(`apps ${site.apps().len()} streams ${site.streams().len()} deployments ${site.deployments().len()}`);");
    run.ok();
    assert!(run.line("apps").starts_with(|c: char| c.is_ascii_digit()));
}

#[test]
fn deployments_are_created_listed_updated_and_deleted() {
    let sim = Sim::start(&[]);
    let run = script(
        &sim,
        r#"let d = site.create_deployment(#{name: "Region1", api_endpoint: `https://${t.host}`, audience: "qlik.api", local_bearer_token: true});
           print(`created ${d.name} ${d.localBearerToken}`);
           try { site.create_deployment(#{name: "Region1", api_endpoint: "https://x.us.qlik.localhost"}); } catch (e) { print(`duplicate ${e.status}`); }
           let c = site.create_deployment(#{name: "Creds", api_endpoint: `https://${t.host}`, local_bearer_token: false,
               client_id: "abc", client_secret: "very-secret-value", token_endpoint: `https://${t.host}/oauth/token`});
           print(`secret echoed ${c.clientSecret != ()}`);
           print(`listed ${site.deployments().len()}`);
           site.update_deployment("Region1", #{name: "Region1b"});
           print(`renamed ${site.deployment("Region1b") != ()} ${site.deployment("Region1") == ()}`);
           site.delete_deployment("Creds");
           print(`left ${site.deployments().len()}`);
           try { site.deployment_token("nope"); } catch (e) { print(`unknown ${e.kind}`); }"#,
    );
    run.ok();
    assert_eq!(run.line("created"), "Region1 true");
    assert_eq!(run.line("duplicate"), "409");
    assert_eq!(run.line("secret echoed"), "false");
    assert_eq!(run.line("listed"), "2");
    assert_eq!(run.line("renamed"), "true true");
    assert_eq!(run.line("left"), "1");
    assert_eq!(run.line("unknown"), "usage");
    assert!(!run.stdout.contains("very-secret-value") && !run.stderr.contains("very-secret-value"));
}

#[test]
fn test_connection_needs_the_multicloud_idp_with_this_deployments_token() {
    let sim = Sim::start(&[]);
    let run = script(
        &sim,
        r#"let url = `https://${t.host}`;
           site.create_deployment(#{name: "Region1", api_endpoint: url});
           site.create_deployment(#{name: "Other", api_endpoint: url});
           let before = site.test_deployment("Region1");
           print(`without idp ${before.success}: ${before.message}`);
           let wrong = t.create_idp(#{protocol: "qsefw-local-bearer-token", provider: "qlik", interactive: false,
               description: "wrong", base64Encoded: site.deployment_token("Other")});
           let other = site.test_deployment("Region1");
           print(`other token ${other.success}: ${other.message}`);
           t.delete_idp(wrong.id);
           let setup = mc::connect(site, t, "Region1");
           print(`connected ${setup.test.success}: ${setup.test.message}`);
           print(`actions ${setup.results.map(|r| r.action)}`);
           let again = mc::connect(site, t, "Region1");
           print(`again ${again.results.map(|r| r.action)} ${again.test.success}`);"#,
    );
    run.ok();
    let without = run.line("without idp");
    assert!(
        without.starts_with("false: ") && without.to_lowercase().contains("identity provider"),
        "{without}"
    );
    let other = run.line("other token");
    assert!(other.starts_with("false: "), "{other}");
    assert!(run.line("connected").starts_with("true"), "{}", run.stdout);
    assert_eq!(run.line("actions"), r#"["unchanged", "created"]"#);
    assert_eq!(run.line("again"), r#"["unchanged", "unchanged"] true"#);
}

#[test]
fn rules_are_checked_with_positions_and_evaluated_like_the_qmc() {
    let sim = Sim::start(&[]);
    let run = script(
        &sim,
        r#"print(`valid ${policy::check("((subject.name=\"Region1\"))")}`);
           try { policy::check("resource.stream.name="); } catch (e) { print(`invalid ${e.kind} ${e.column}: ${e.message}`); }
           try { policy::check("((subject.name=\"x\")"); } catch (e) { print(`unclosed ${e.column}`); }
           let app = #{id: "a1", name: "Sales", published: true, stream: #{id: "s", name: "Sales"},
               owner: #{name: "Alice", userDirectory: "CORP"},
               customProperties: [#{definition: #{name: "SendTo"}, value: "Region1"}, #{definition: #{name: "SendTo"}, value: "Region2"}]};
           let r1 = #{name: "region1"};
           print(`multi ${policy::matches("resource.@SendTo = subject.name", app, r1)} ${policy::matches("resource.@SendTo = subject.name", app, #{name: "Region3"})}`);
           print(`precedence ${policy::matches("subject.name = \"x\" or resource.name = \"Sales\" and resource.stream.name = \"Sales\"", app, r1)}`);
           print(`like ${policy::matches("resource.name like \"sa*\"", app, r1)} regex ${policy::matches("resource.owner.name matches \"^al.*\"", app, r1)}`);
           print(`not ${policy::matches("!(resource.stream.name = \"Sales\")", app, r1)}`);
           print(`unpublished ${policy::matches("", app + #{published: false}, r1)}`);
           try { site.create_policy(#{name: "broken", condition: "subject.name = "}); } catch (e) { print(`refused ${e.kind}`); }"#,
    );
    run.ok();
    assert_eq!(run.line("valid"), "true");
    let invalid = run.line("invalid");
    assert!(
        invalid.starts_with("rule 22: ") && invalid.contains("expected a value"),
        "{invalid}"
    );
    assert!(run.line("unclosed").parse::<u32>().unwrap() > 0);
    assert_eq!(run.line("multi"), "true false");
    assert_eq!(run.line("precedence"), "true");
    assert_eq!(run.line("like"), "true regex true");
    assert_eq!(run.line("not"), "false");
    assert_eq!(run.line("unpublished"), "false");
    assert_eq!(run.line("refused"), "rule");
}

#[test]
fn publishing_stages_the_app_on_exactly_the_matched_tenants() {
    let sim = Sim::start(&[]);
    let run = script(
        &sim,
        r#"let r = region("us");
           let t2 = r.tenant(r.create_tenant(#{licenseKey: t.license_key()}).hostnames[0]);
           let t3 = r.tenant(r.create_tenant(#{licenseKey: t.license_key()}).hostnames[0]);
           for pair in [["Region1", t], ["Region2", t2], ["Region3", t3]] {
               let s = mc::connect(site, pair[1], pair[0]);
               if !s.test.success { throw s.test.message; }
           }
           mc::route_by_property(site, "SendTo");
           mc::send_app_to(site, "Draft Analysis", "SendTo", ["Region1", "Region2"]);
           let preview = site.preview_distribution().filter(|d| d.app_name == "Draft Analysis")[0];
           print(`unpublished goes to ${preview.targets.len()}`);
           mc::ensure_published(site, "Draft Analysis", "Everyone");
           let preview = site.preview_distribution().filter(|d| d.app_name == "Draft Analysis")[0];
           print(`preview ${preview.targets.map(|x| x.deployment_name)} by ${preview.targets[0].policies}`);
           let count = |tn| tn.apps().filter(|a| a.name == "Draft Analysis").len();
           print(`staged ${count.call(t)} ${count.call(t2)} ${count.call(t3)}`);
           let staged = t.apps().filter(|a| a.name == "Draft Analysis")[0];
           print(`owner "${staged.ownerId ?? ""}" space "${staged.spaceId ?? ""}"`);
           mc::send_app_to(site, "Draft Analysis", "SendTo", ["Region1", "Region2"]);
           site.set_app_property("Draft Analysis", "SendTo", ["Region1", "Region2"]);
           print(`after change ${count.call(t)} ${count.call(t2)} ${count.call(t3)}`);"#,
    );
    run.ok();
    assert_eq!(run.line("unpublished goes to"), "0");
    assert_eq!(
        run.line("preview"),
        r#"["Region1", "Region2"] by ["Distribute by SendTo"]"#
    );
    assert_eq!(run.line("staged"), "1 1 0");
    assert_eq!(run.line("owner"), r#""" space """#);
    assert_eq!(run.line("after change"), "1 1 0");
}

#[test]
fn the_setup_script_runs_twice_and_changes_nothing_the_second_time() {
    let sim = Sim::start(&[]);
    let work = temp_file("README", "multicloud work dir\n");
    let work = work.parent().unwrap();
    let run = || sim.run_repo_script(work, "scripts/multicloud_setup.rhai", &[]);
    let first = run();
    first.ok();
    assert!(first.line("Test connection:").len() > 3);
    assert!(
        first
            .line("Staged in")
            .contains(r#"1 app named "Draft Analysis", owner """#),
        "{}",
        first.stdout
    );
    let last = first.stdout.lines().last().unwrap();
    assert!(!last.starts_with("created 0,"), "{}", first.stdout);
    let second = run();
    second.ok();
    assert!(
        second
            .stdout
            .lines()
            .last()
            .unwrap()
            .starts_with("created 0, updated 0, unchanged "),
        "{}",
        second.stdout
    );
    assert!(
        second.line("Staged in").contains("1 app named"),
        "{}",
        second.stdout
    );

    let routed = sim.run_repo_script(work, "scripts/multicloud_by_property.rhai", &[]);
    routed.ok();
    assert!(
        routed.line("Finance Report:").contains("Region1")
            && routed.line("Finance Report:").contains("Region2"),
        "{}",
        routed.stdout
    );
    assert!(
        routed.line("Sales Dashboard:").contains("Region1")
            && !routed.line("Sales Dashboard:").contains("Region2")
    );
}
