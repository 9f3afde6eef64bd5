//! Hostile paths, ids and URLs: every one is refused before any network I/O, so neither the
//! handle's own host nor another listener named in the input receives anything.

use crate::fake::{Answer, Fake};
use crate::util::*;
use serde_json::json;

/// Paths that would change the origin or climb out of the API if a joiner took them as
/// given. `{TRAP}` is the address of a listener that must never be contacted.
const HOSTILE_PATHS: &[&str] = &[
    "/\\{TRAP}/x",
    "\\\\{TRAP}/x",
    "//{TRAP}/x",
    "///{TRAP}/x",
    "http://{TRAP}/x",
    "https://{TRAP}/x",
    "HTTP://{TRAP}/x",
    "{TRAP}/x",
    "/@{TRAP}/x",
    "/x@{TRAP}",
    "@{TRAP}/x",
    "/\t//{TRAP}/x",
    "\t//{TRAP}/x",
    "/\n//{TRAP}/x",
    "/x\r\nHost: {TRAP}",
    " //{TRAP}/x",
    "/%2F%2F{TRAP}/x",
    "/%2f{TRAP}/x",
    "/%5C{TRAP}/x",
    "/api/v1/users/%2e%2e/%2e%2e/x",
    "/api/v1/users/../../x",
    "/api/v1/users/./x",
    "/api/v1/users/%2E%2E",
    "/api//v1/users",
    "/api/v1/users#@{TRAP}",
    "/api/v1/users/\u{0}",
    "/api/v1/users/\u{7f}",
    "/api/v1/users/a b",
    "/api/v1/ü",
    "/api/v1/users/%zz",
    "/api/v1/users?x=\n",
    "",
];

/// Ids that must never become anything but one path segment (or be refused).
const HOSTILE_IDS: &[&str] = &["", ".", "..", "../..", "a/b", "a\\b", "/{TRAP}", "\n"];

fn fill(items: &[&str], trap: &Fake) -> Vec<String> {
    let addr = trap.addr.to_string();
    items.iter().map(|p| p.replace("{TRAP}", &addr)).collect()
}

fn script(text: &str, args: &[(&str, String)]) -> Run {
    let file = temp_file("hostile.rhai", text);
    let mut cmd = qops_cmd();
    cmd.arg("run").arg(&file);
    for (k, v) in args {
        cmd.arg("--arg").arg(format!("{k}={v}"));
    }
    Run::from(cmd.output().expect("run qops"))
}

#[test]
fn hostile_paths_in_raw_calls_never_reach_the_network() {
    let (origin, trap) = (Fake::trap(), Fake::trap());
    let paths = fill(HOSTILE_PATHS, &trap);
    assert!(paths.len() >= 25);
    let run = script(
        r#"
        let t = tenant(args.origin, #{api_key: "test-key-1"});
        let refused = 0;
        for p in parse_json(args.paths) {
            for verb in ["get", "get_all", "post", "put", "patch", "delete", "request"] {
                try {
                    switch verb {
                        "get" => t.get(p),
                        "get_all" => t.get_all(p),
                        "post" => t.post(p, #{}),
                        "put" => t.put(p, #{}),
                        "patch" => t.patch(p, []),
                        "delete" => t.delete(p),
                        "request" => t.request("GET", p, (), #{}),
                    }
                    print(`REACHED ${verb} ${p}`);
                } catch (e) {
                    if e.message.contains("refusing path") { refused += 1 } else { print(`OTHER ${verb}: ${e.message}`) }
                }
            }
        }
        print(`refused: ${refused}`);
        "#,
        &[
            ("origin", origin.url()),
            ("paths", serde_json::to_string(&paths).unwrap()),
        ],
    );
    run.ok();
    assert_eq!(
        run.line("refused:"),
        (paths.len() * 7).to_string(),
        "{}",
        run.stdout
    );
    assert_eq!(trap.connections(), 0, "the trap was contacted");
    assert_eq!(origin.connections(), 0, "{:?}", origin.seen());
}

#[test]
fn hostile_ids_are_refused_before_any_request() {
    let (origin, trap) = (Fake::trap(), Fake::trap());
    let ids = fill(HOSTILE_IDS, &trap);
    let run = script(
        r#"
        let t = tenant(args.origin, #{api_key: "test-key-1"});
        let calls = [
            |id| t.user(id), |id| t.delete_user(id), |id| t.space(id), |id| t.delete_space(id),
            |id| t.space_assignments(id), |id| t.update_space(id, []), |id| t.idp(id),
            |id| t.delete_idp(id), |id| t.update_idp(id, []), |id| t.delete_group(id),
            |id| t.oauth_client(id), |id| t.delete_oauth_client(id), |id| t.create_client_secret(id),
            |id| t.delete_client_secret("0123abcd", id), |id| t.delete_client_secret(id, "hint"),
            |id| t.app(id), |id| t.export_app(id), |id| t.delete_app(id),
            |id| t.update_app(id, #{name: "x"}), |id| t.republish_app(id, "target"),
        ];
        let refused = 0;
        for id in parse_json(args.ids) {
            for f in calls {
                try { f.call(id); print(`REACHED ${id}`); }
                catch (e) {
                    if e.message.contains("invalid id") { refused += 1 } else { print(`OTHER ${e.message}`) }
                }
            }
        }
        print(`refused: ${refused}`);
        "#,
        &[
            ("origin", origin.url()),
            ("ids", serde_json::to_string(&ids).unwrap()),
        ],
    );
    run.ok();
    assert_eq!(
        run.line("refused:"),
        (ids.len() * 20).to_string(),
        "{}",
        run.stdout
    );
    assert_eq!(trap.connections(), 0);
    assert_eq!(origin.connections(), 0, "{:?}", origin.seen());
}

#[test]
fn hostile_region_and_tenant_ids_on_the_register_host_are_refused() {
    // Tenant lifecycle ids from a script go into register-host paths.
    let sim = Sim::start(&[]);
    let run = sim.script(
        r#"
        let r = region("us");
        for id in ["..", ".", "", "a/b"] {
            try { r.deactivate_tenant(id, "acme.us.qlik.localhost"); print("REACHED"); }
            catch (e) { print(`refused: ${e.message}`); }
            try { r.reactivate_tenant(id, "acme.us.qlik.localhost"); print("REACHED"); }
            catch (e) { print(`refused: ${e.message}`); }
        }
        "#,
        &[],
    );
    run.ok();
    assert!(!run.stdout.contains("REACHED"), "{}", run.stdout);
    assert_eq!(
        run.stdout.matches("invalid id").count(),
        8,
        "{}",
        run.stdout
    );
    assert_eq!(sim.admin("stats")["requests"], 0, "{}", sim.admin("stats"));
}

#[test]
fn server_chosen_ids_cannot_steer_qseow_writes() {
    // The site lists an app whose id climbs out of /qrs/app: publishing it must not send the
    // PUT anywhere; the reads that found it are all the site receives.
    let site = Fake::start(|seen, _| match seen.path() {
        "/qrs/app/full" => Answer::json(
            200,
            json!([{"id": "../systemrule", "name": "Sales", "published": false, "stream": null}]),
        ),
        "/qrs/stream/full" => Answer::json(200, json!([{"id": "s1", "name": "Everyone"}])),
        _ => Answer::json(200, json!({})),
    });
    let run = script(
        r#"
        let site = qseow(args.site, #{header: "hdr-usr", user_id: "admin"});
        try { site.publish_app("Sales", "Everyone"); print("REACHED"); }
        catch (e) { print(`refused: ${e.message}`); }
        "#,
        &[("site", site.url())],
    );
    run.ok();
    assert!(
        run.line("refused:").contains("invalid id"),
        "{}",
        run.stdout
    );
    let writes: Vec<_> = site
        .seen()
        .into_iter()
        .filter(|s| s.method != "GET")
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
}

#[test]
fn hostile_site_and_tenant_urls_are_refused() {
    let trap = Fake::trap();
    let t = trap.addr.to_string();
    let urls = [
        format!("http://admin:hunter2@{t}"),
        format!("https://user@{t}"),
        format!("http://{t}\\@acme.eu.qlikcloud.com"),
        format!("http://{t}\t/x"),
        format!("ftp://{t}"),
        "http://acme.eu.qlikcloud.com".to_string(),
        String::new(),
    ];
    let run = script(
        r#"
        let refused = 0;
        for u in parse_json(args.urls) {
            try { tenant(u, #{api_key: "k-1"}).get("/api/v1/users/me"); print("REACHED"); }
            catch (e) { refused += 1; print(`tenant: ${e.message}`); }
            try { qseow(u, #{header: "h", user_id: "u"}).about(); print("REACHED"); }
            catch (e) { refused += 1; print(`site: ${e.message}`); }
        }
        print(`refused: ${refused}`);
        "#,
        &[("urls", serde_json::to_string(&urls).unwrap())],
    );
    run.ok();
    assert_eq!(
        run.line("refused:"),
        (urls.len() * 2).to_string(),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("hunter2") && !run.stderr.contains("hunter2"));
    assert_eq!(trap.connections(), 0);
}

#[test]
fn a_simulator_run_never_reaches_another_host() {
    let sim = Sim::start(&[]);
    let trap = Fake::trap();
    let run = sim.script(
        r#"
        for host in ["acme.eu.qlikcloud.com", args.trap, "http://localhost:1", "https://example.com"] {
            try { tenant(host).me(); print("REACHED"); }
            catch (e) { print(`refused: ${e.message}`); }
            try { qseow(host, #{header: "h", user_id: "u"}).about(); print("REACHED"); }
            catch (e) { print(`refused: ${e.message}`); }
        }
        "#,
        &["--arg", &format!("trap={}", trap.url())],
    );
    run.ok();
    assert!(!run.stdout.contains("REACHED"), "{}", run.stdout);
    assert_eq!(
        run.stdout.matches("is not a simulator host").count(),
        8,
        "{}",
        run.stdout
    );
    assert_eq!(trap.connections(), 0);
    // Embedded too, and in `qops test`.
    let file = temp_file(
        "sealed_test.rhai",
        "fn test_sealed() { tenant(\"acme.eu.qlikcloud.com\").me(); }",
    );
    let mut cmd = qops_cmd();
    cmd.arg("test").arg(&file);
    let test = Run::from(cmd.output().unwrap());
    test.fails_with(1);
    assert!(
        test.stdout.contains("is not a simulator host"),
        "{}",
        test.stdout
    );
}
