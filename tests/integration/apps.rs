//! Apps between Qlik Cloud tenants: the template deployment (`scripts/deploy_template.rhai`,
//! `qlik/apps`), by rule, and the wire of export, temp-contents, import and publish as Qlik's
//! specs say, including their limits and errors; exports written under the file rules.

use crate::util::*;
use std::path::Path;

/// Apps per tenant host, from `/_sim/state`.
fn apps_by_host(sim: &Sim) -> std::collections::BTreeMap<String, u64> {
    sim.admin("state")["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["hostnames"][0].as_str().unwrap().to_string(),
                t["apps"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// An inventory CSV of `names` (each with `tags`) in a fresh directory.
fn inventory(rows: &[(&str, &str)]) -> std::path::PathBuf {
    let mut csv = String::from("name,region,tags\n");
    for (name, tags) in rows {
        csv.push_str(&format!("{name},us,{tags}\n"));
    }
    temp_file("inventory.csv", &csv)
        .parent()
        .unwrap()
        .to_path_buf()
}

fn deploy(sim: &Sim, dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["--arg", "inventory=inventory.csv"];
    args.extend_from_slice(extra);
    sim.run_repo_script(dir, "scripts/deploy_template.rhai", &args)
}

#[test]
fn the_template_reaches_twenty_tenants_and_a_second_run_leaves_every_copy_unchanged() {
    let sim = Sim::start(&[]);
    let names: Vec<String> = (0..20).map(|i| format!("cust{i:02}")).collect();
    let rows: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "template")).collect();
    let dir = inventory(&rows);
    let first = deploy(&sim, &dir, &[]);
    first.ok();
    assert_eq!(
        first.stdout.lines().last(),
        Some("created 20, updated 0, unchanged 0"),
        "{}",
        first.stdout
    );
    let second = deploy(&sim, &dir, &[]);
    assert_unchanged(&second);
    assert_eq!(
        second.stdout.lines().last(),
        Some("created 0, updated 0, unchanged 20")
    );
    // Exactly one copy on every customer tenant, none made twice.
    let apps = apps_by_host(&sim);
    for name in &names {
        assert_eq!(apps[&format!("{name}.us.qlik.localhost")], 1, "{apps:?}");
    }
    // The copy is the template's, in the shared space, marked for the next run.
    let run = sim.script(
        r#"let t = tenant("cust07.us.qlik.localhost");
           let copies = t.apps(#{name: "Sales Template"});
           let space = t.spaces(#{name: "Customer Apps"})[0];
           print(`copies ${copies.len()} space ${copies[0].spaceId == space.id} ${space.type}`);
           print(`marked ${copies[0].description.contains("[qops-template:")}`);"#,
        &[],
    );
    run.ok();
    assert_eq!(run.line("copies"), "1 space true shared");
    assert_eq!(run.line("marked"), "true");
}

#[test]
fn a_changed_template_updates_the_copies_instead_of_adding_new_ones() {
    let sim = Sim::start(&[]);
    let dir = inventory(&[("alpha", "template"), ("beta", "template")]);
    deploy(&sim, &dir, &[]).ok();
    let change = sim.script(
        r#"let s = tenant(env("QLIK_TENANT"));
           let tpl = s.apps(#{name: "Sales Template"})[0];
           s.update_app(tpl.resourceId, #{description: "Sales dashboard, v2"});"#,
        &[],
    );
    change.ok();
    let again = deploy(&sim, &dir, &[]);
    again.ok();
    assert_eq!(
        again.stdout.lines().last(),
        Some("created 0, updated 2, unchanged 0"),
        "{}",
        again.stdout
    );
    let apps = apps_by_host(&sim);
    assert_eq!(apps["alpha.us.qlik.localhost"], 1);
    assert_eq!(apps["beta.us.qlik.localhost"], 1);
    assert_unchanged(&deploy(&sim, &dir, &[]));
}

#[test]
fn a_rule_chooses_which_tenants_of_the_inventory_get_the_template() {
    let sim = Sim::start(&[]);
    let dir = inventory(&[
        ("gold1", "gold;retail"),
        ("gold2", "gold"),
        ("silver1", "silver"),
        ("goldx", "gold"),
    ]);
    let rule = r#"rule=resource.@tag = "gold" and resource.name != "goldx""#;
    let run = deploy(&sim, &dir, &["--arg", rule]);
    run.ok();
    assert_eq!(
        run.stdout.lines().last(),
        Some("created 2, updated 0, unchanged 0")
    );
    let apps = apps_by_host(&sim);
    assert_eq!(apps["gold1.us.qlik.localhost"], 1);
    assert_eq!(apps["gold2.us.qlik.localhost"], 1);
    assert_eq!(apps["silver1.us.qlik.localhost"], 0, "{apps:?}");
    assert_eq!(apps["goldx.us.qlik.localhost"], 0, "{apps:?}");
    // The same rule in a script, over the inventory's fields.
    let chosen = sim.script(
        r#"let inv = [#{name: "a", region: "eu", tags: ["gold"]}, #{name: "b", region: "us", tags: ["gold"]},
                      #{name: "c", region: "eu", tags: []}];
           print(`chosen ${policy::select(`resource.region = "eu" and resource.@tag = "gold"`, inv).map(|t| t.name)}`);"#,
        &[],
    );
    chosen.ok();
    assert_eq!(chosen.line("chosen"), r#"["a"]"#);
    // A broken rule stops before any tenant is touched, saying where.
    let bad = deploy(&sim, &dir, &["--arg", "rule=resource.@tag ="]);
    bad.fails_with(1);
    assert!(bad.stderr.contains("invalid rule"), "{}", bad.stderr);
}

#[test]
fn managed_spaces_get_published_copies_that_a_rerun_republishes_in_place() {
    let sim = Sim::start(&[]);
    let run = sim.script(
        r#"import "qlik/apps" as apps;
           let s = tenant(env("QLIK_TENANT"));
           let r = region(env("QLIK_REGION"));
           let t = r.tenant(r.create_tenant(#{licenseKey: s.license_key(), name: "pub"}).hostnames[0]);
           let opts = #{space: "Published", space_type: "managed"};
           let first = apps::deploy(s, "Sales Template", [t], opts)[0];
           let copy = t.app(first.id).attributes;
           print(`first ${first.action} published ${copy.publishTime != ""}`);
           let item = t.apps(#{spaceId: copy.spaceId})[0];
           print(`origin set ${item.resourceAttributes.originAppId != ""}`);
           let tpl = s.apps(#{name: "Sales Template"})[0];
           s.update_app(tpl.resourceId, #{description: "v2"});
           let second = apps::deploy(s, "Sales Template", [t], opts)[0];
           print(`second ${second.action} same id ${second.id == first.id} apps ${t.apps().len()}`);
           print(`third ${apps::deploy(s, "Sales Template", [t], opts)[0].action}`);"#,
        &[],
    );
    run.ok();
    assert_eq!(run.line("first"), "created published true");
    assert_eq!(run.line("origin set"), "true");
    assert_eq!(run.line("second"), "updated same id true apps 1");
    assert_eq!(run.line("third"), "unchanged");
}

/// The seeded template's id on the source tenant.
fn template_id(sim: &Sim, bearer: &str) -> String {
    let items = sim.http(
        "GET",
        sim.tenant_host(),
        "/api/v1/items?resourceType=app&name=Sales%20Template",
        &[("authorization", bearer)],
        None,
    );
    assert_eq!(items.status, 200, "{}", items.body);
    items.json()["data"][0]["resourceId"]
        .as_str()
        .unwrap()
        .to_string()
}

#[track_caller]
fn assert_error(reply: &Reply, status: u16, code: &str, detail: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body["errors"][0]["code"], code, "{body}");
    assert!(body["errors"][0]["title"].is_string(), "{body}");
    let said = body["errors"][0]["detail"].as_str().unwrap_or_default();
    assert!(said.contains(detail), "{body}");
    assert!(body["traceId"].is_string(), "{body}");
}

#[test]
fn export_download_import_and_publish_answer_as_the_specs_say() {
    let sim = Sim::start(&[]);
    let host = sim.tenant_host().to_string();
    let bearer = format!("Bearer {}", sim.token(&host));
    let auth = [("authorization", bearer.as_str())];
    let call = |method: &str, path: &str, extra: &[(&str, &str)], body: Option<&str>| {
        let mut headers = auth.to_vec();
        headers.extend_from_slice(extra);
        sim.http(method, &host, path, &headers, body)
    };
    let id = template_id(&sim, &bearer);

    // Export: 201, no body, Location on the temporary content service.
    let missing = call("POST", "/api/v1/apps/0000-missing/export", &[], None);
    assert_error(&missing, 404, "APPS-4", "App 0000-missing not found");
    let export = call("POST", &format!("/api/v1/apps/{id}/export"), &[], None);
    assert_eq!(export.status, 201, "{}", export.body);
    assert_eq!(export.body, "");
    let location = export.header("location").unwrap().to_string();
    assert!(location.starts_with("/api/v1/temp-contents/"), "{location}");
    let file = call("GET", &location, &[], None);
    assert_eq!(file.status, 200);
    assert_eq!(
        file.header("content-type"),
        Some("application/octet-stream")
    );
    assert!(file.body.contains("Sales Template"));
    let details = call("GET", &format!("{location}/details"), &[], None).json();
    assert_eq!(details["Size"], file.body.len().to_string());
    assert_eq!(details["TTLSeconds"], 3600);
    let unknown = call("GET", "/api/v1/temp-contents/nope", &[], None);
    assert_error(&unknown, 404, "TEMP-CONTENTS-4", "nope");

    // Import: spaces that do not exist or do not take imports, bad files, modes, size.
    let octet = [("content-type", "application/octet-stream")];
    let space = |name: &str, kind: &str| -> String {
        let body = format!(r#"{{"name":"{name}","type":"{kind}"}}"#);
        let s = call(
            "POST",
            "/api/v1/spaces",
            &[("content-type", "application/json")],
            Some(&body),
        );
        assert_eq!(s.status, 201, "{}", s.body);
        s.json()["id"].as_str().unwrap().to_string()
    };
    let shared = space("Imports", "shared");
    let managed = space("Published", "managed");
    let import = |query: &str, body: &str| {
        call(
            "POST",
            &format!("/api/v1/apps/import{query}"),
            &octet,
            Some(body),
        )
    };
    assert_error(
        &import("?spaceId=5f0000000000000000000000", &file.body),
        404,
        "APPS-4",
        "Space 5f0000000000000000000000 not found",
    );
    assert_error(
        &import(&format!("?spaceId={managed}"), &file.body),
        400,
        "APPS-1",
        "managed space",
    );
    assert_error(
        &import("", "PK not an app"),
        400,
        "APPS-1",
        "not a Qlik Sense app",
    );
    assert_error(&import("", ""), 400, "APPS-1", "no app file");
    assert_error(
        &import("?mode=AUTOREPLACE", &file.body),
        400,
        "APPS-1",
        "internal mode",
    );
    let huge = format!("{}{}", file.body, "x".repeat(2 << 20));
    assert_error(&import("", &huge), 413, "APPS-13", "at most 2097152 bytes");
    let imported = import(
        &format!("?spaceId={shared}&name=Copy%20of%20Sales&mode=NEW"),
        &file.body,
    );
    assert_eq!(imported.status, 200, "{}", imported.body);
    let app = imported.json();
    assert_eq!(app["attributes"]["name"], "Copy of Sales");
    assert_eq!(app["attributes"]["spaceId"], shared.as_str());
    assert_eq!(app["attributes"]["publishTime"], "");
    let copy = app["attributes"]["id"].as_str().unwrap().to_string();
    // From a temp-contents file instead of a body.
    let by_file = import(&format!("?fileId={}", &location[22..]), "");
    assert_eq!(by_file.status, 200, "{}", by_file.body);
    assert_eq!(by_file.json()["attributes"]["name"], "Sales Template");

    // Publish to a managed space, not a shared one; once; republish over the copy.
    let json = [("content-type", "application/json")];
    let publish = |method: &str, body: &str| {
        call(
            method,
            &format!("/api/v1/apps/{copy}/publish"),
            &json,
            Some(body),
        )
    };
    assert_error(
        &publish("POST", &format!(r#"{{"spaceId":"{shared}"}}"#)),
        400,
        "APPS-1",
        "shared space",
    );
    let published = publish("POST", &format!(r#"{{"spaceId":"{managed}"}}"#));
    assert_eq!(published.status, 200, "{}", published.body);
    let target = published.json()["attributes"].clone();
    assert_eq!(target["originAppId"], copy.as_str());
    assert_ne!(target["publishTime"], "");
    assert_eq!(target["published"], false);
    let target_id = target["id"].as_str().unwrap();
    assert_error(
        &publish("POST", &format!(r#"{{"spaceId":"{managed}"}}"#)),
        409,
        "APPS-9",
        "already published",
    );
    let again = publish(
        "PUT",
        &format!(r#"{{"targetId":"{target_id}","attributes":{{"name":"Sales v2"}}}}"#),
    );
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.json()["attributes"]["id"], target_id);
    assert_eq!(again.json()["attributes"]["name"], "Sales v2");
    // The published item carries its origin.
    let items = call(
        "GET",
        &format!("/api/v1/items?resourceType=app&spaceId={managed}"),
        &[],
        None,
    )
    .json();
    assert_eq!(
        items["data"][0]["resourceAttributes"]["originAppId"],
        copy.as_str()
    );
}

#[test]
fn an_expired_temporary_file_answers_410_gone() {
    // One real second is a day of simulator time: a one-second file expires at once.
    let sim = Sim::start(&["--time-scale", "86400"]);
    let host = sim.tenant_host().to_string();
    let bearer = format!("Bearer {}", sim.token(&host));
    let up = sim.http(
        "POST",
        &host,
        "/api/v1/temp-contents?filename=a.txt&ttl=1",
        &[
            ("authorization", &bearer),
            ("content-type", "application/octet-stream"),
        ],
        Some("hello"),
    );
    assert_eq!(up.status, 201, "{}", up.body);
    let location = up.header("location").unwrap().to_string();
    let bearer = format!("Bearer {}", sim.token(&host));
    let gone = sim.http("GET", &host, &location, &[("authorization", &bearer)], None);
    assert_error(&gone, 410, "TEMP-CONTENTS-10", "expired");
    let bad_ttl = sim.http(
        "POST",
        &host,
        "/api/v1/temp-contents?ttl=999999",
        &[("authorization", &bearer)],
        Some("x"),
    );
    assert_error(&bad_ttl, 400, "TEMP-CONTENTS-1", "ttl");
}

#[test]
fn an_export_is_written_atomically_owner_only_and_only_where_files_may_go() {
    let sim = Sim::start(&[]);
    let dir = temp_dir("work");
    std::fs::create_dir(dir.join("exports")).unwrap();
    std::fs::create_dir(dir.join("a-directory.qvf")).unwrap();
    let script = dir.join("export.rhai");
    std::fs::write(
        &script,
        r#"let t = tenant(env("QLIK_TENANT"));
           let id = t.apps(#{name: "Sales Template"})[0].resourceId;
           let r = t.export_app(id, "exports/sales.qvf");
           print(`written ${r.size} ${r.sha256.len()}`);
           print(`same ${sha256(t.export_app(id)) == r.sha256}`);
           for path in ["../escape.qvf", "/tmp/escape.qvf", "a-directory.qvf", "exports/"] {
               try { t.export_app(id, path); print(`WROTE ${path}`); } catch (e) { print(`refused ${path}: ${e}`); }
           }
           try { t.export_app("no-such-app", "exports/none.qvf"); } catch (e) { print(`missing ${e.status}`); }
           try { t.import_app("/etc/passwd", #{}); } catch (e) { print(`refused import: ${e}`); }
           let back = t.import_app("exports/sales.qvf", #{name: "Round trip"});
           print(`imported ${back.attributes.name}`);"#,
    )
    .unwrap();
    let mut cmd = sim.command(&["run", script.to_str().unwrap()]);
    cmd.current_dir(&dir);
    let run = Run::from(cmd.output().unwrap());
    run.ok();
    let file = dir.join("exports/sales.qvf");
    let meta = std::fs::metadata(&file).unwrap();
    assert_eq!(
        run.line("written"),
        format!("{} 64", meta.len()),
        "{}",
        run.stdout
    );
    assert_eq!(run.line("same"), "true");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert!(!run.stdout.contains("WROTE"), "{}", run.stdout);
    assert!(run
        .line("refused ../escape.qvf")
        .contains("outside the working directory"));
    assert!(run
        .line("refused /tmp/escape.qvf")
        .contains("outside the working directory"));
    assert!(run
        .line("refused a-directory.qvf")
        .contains("a-directory.qvf"));
    assert!(run.line("refused exports/").contains("names a directory"));
    assert_eq!(run.line("missing"), "404");
    assert_eq!(run.line("imported"), "Round trip");
    assert!(run
        .line("refused import:")
        .contains("outside the working directory"));
    assert!(!dir.parent().unwrap().join("escape.qvf").exists());
    assert!(!dir.join("exports/none.qvf").exists());
    // Nothing but the export in its directory: no temp file left behind.
    let names: Vec<String> = std::fs::read_dir(dir.join("exports"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["sales.qvf".to_string()]);
    // Under --dry-run the export is read but no file is written.
    let mut dry = sim.command(&["run", "--dry-run", script.to_str().unwrap()]);
    dry.current_dir(&dir);
    std::fs::remove_file(&file).unwrap();
    let _ = Run::from(dry.output().unwrap());
    assert!(!file.exists());
}

#[test]
fn a_binary_import_is_journaled_by_the_digest_of_its_bytes() {
    let sim = Sim::start(&[]);
    let dir = temp_dir("journaled");
    let script = dir.join("import.rhai");
    std::fs::write(
        &script,
        r#"let t = tenant(env("QLIK_TENANT"));
           let id = t.apps(#{name: "Sales Template"})[0].resourceId;
           let file = t.export_app(id);
           let copy = t.import_app(file, #{name: "Journaled copy"});
           print(`copy ${copy.attributes.id}`);"#,
    )
    .unwrap();
    let run_once = || {
        let mut cmd = sim.command(&["run", "--journal", "j.jsonl", script.to_str().unwrap()]);
        cmd.current_dir(&dir);
        Run::from(cmd.output().unwrap())
    };
    let first = run_once();
    first.ok();
    let second = run_once();
    second.ok();
    // The rerun answers the import from the journal: one copy, the same id.
    assert_eq!(first.line("copy"), second.line("copy"));
    let journal = std::fs::read_to_string(dir.join("j.jsonl")).unwrap();
    assert!(
        !journal.contains("LOAD Region"),
        "the app's bytes are not journaled"
    );
    let copies = sim.script(
        r#"print(`copies ${tenant(env("QLIK_TENANT")).apps(#{name: "Journaled copy"}).len()}`);"#,
        &[],
    );
    assert_eq!(copies.line("copies"), "1");
}

#[test]
fn a_dry_run_of_the_deployment_plans_the_imports_and_changes_nothing() {
    let sim = Sim::start(&[]);
    let dir = inventory(&[("dry1", "template"), ("dry2", "other")]);
    let run = deploy(&sim, &dir, &["--dry-run"]);
    run.ok();
    assert_eq!(
        run.stdout.matches("/api/v1/apps/import").count(),
        1,
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("nothing was changed (--dry-run)"),
        "{}",
        run.stdout
    );
    // Only the source tenant with its template: no tenant, space or app was made.
    assert_eq!(
        apps_by_host(&sim).into_iter().collect::<Vec<_>>(),
        vec![(sim.tenant_host().to_string(), 1)]
    );
}
