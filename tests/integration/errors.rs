//! API failures as scripts and operators see them.

use crate::util::*;

#[test]
fn an_api_error_is_caught_with_its_code() {
    let sim = Sim::start(&[]);
    let run = sim.script(
        r#"try {
               region("us").create_tenant(#{});
               print("no error");
           } catch (e) {
               print(`status ${e.status}`);
               print(`code ${e.code}`);
               print(`title ${e.title}`);
               print(`method ${e.method}`);
               print(`url ${e.url}`);
           }"#,
        &[],
    );
    run.ok();
    assert_eq!(run.line("status"), "400");
    assert_eq!(run.line("code"), "TENANTS-21");
    assert_eq!(run.line("title"), "Missing licenseKey property");
    assert_eq!(run.line("method"), "POST");
    assert!(run
        .line("url")
        .starts_with("http://register.us.qlik.localhost:"));
}

#[test]
fn an_uncaught_api_error_exits_1_and_points_at_the_call() {
    let sim = Sim::start(&[]);
    let run = sim.script(
        "let t = tenant(env(\"QLIK_TENANT\"));\nt.user(\"000000000000000000000000\");\n",
        &[],
    );
    run.fails_with(1);
    assert!(
        run.stderr
            .contains("script.rhai:2:3: uncaught API error: GET http://"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(": 404"), "{}", run.stderr);
}

#[test]
fn deactivate_refuses_a_hostname_that_does_not_match() {
    let sim = Sim::start(&[]);
    let run = sim.script(
        r#"let r = region("us");
           let t = r.create_tenant(#{licenseKey: tenant(env("QLIK_TENANT")).license_key()});
           try { r.deactivate_tenant(t.id, "someone-else.us.qlik.localhost", 30); }
           catch (e) { print(`refused ${e.status}`); }
           let d = r.deactivate_tenant(t.id, t.hostnames[0], 10);
           print(`status ${d.status}`);
           print(`purge ${d.estimatedPurgeDate != ()}`);
           let a = r.reactivate_tenant(t.id, t.hostnames[0]);
           print(`again ${a.status}`);
           try { r.deactivate_tenant(t.id, t.hostnames[0], 5); } catch (e) { print(`days ${e.status}`); }"#,
        &[],
    );
    run.ok();
    assert_eq!(run.line("refused"), "412");
    assert_eq!(run.line("status"), "disabled");
    assert_eq!(run.line("purge"), "true");
    assert_eq!(run.line("again"), "active");
    assert_eq!(run.line("days"), "400");
}

#[test]
fn a_disabled_tenant_stops_answering() {
    let sim = Sim::start(&[]);
    let run = sim.script(
        r#"let r = region("us");
           let t = r.create_tenant(#{licenseKey: tenant(env("QLIK_TENANT")).license_key()});
           let target = r.tenant(t.hostnames[0]);
           target.me();
           r.deactivate_tenant(t.id, t.hostnames[0]);
           try { target.me(); print("still answers"); } catch (e) { print(`refused ${e.status}`); }"#,
        &[],
    );
    run.ok();
    assert!(!run.stdout.contains("still answers"), "{}", run.stdout);
    assert!(run.line("refused").starts_with('4'), "{}", run.stdout);
}
