//! Lists page to completion: no silent cut at 20 or 100.

use crate::util::*;

#[test]
fn more_than_a_hundred_users_all_come_back() {
    let sim = Sim::start(&[]);
    let run = sim.script(
        r#"let t = tenant(env("QLIK_TENANT"));
           for i in 0..130 {
               t.create_user(#{subject: `auth0|bulk${i}`, name: `Bulk User ${i}`, email: `bulk${i}@acme.example`, status: "active"});
           }
           let all = t.users();
           print(`listed ${all.len()}`);
           print(`counted ${t.count_users()}`);
           let ids = #{}; for u in all { ids[u.id] = true; } print(`unique ${ids.len()}`);
           print(`bulk ${t.users(`email co "bulk"`).len()}`);
           print(`limited ${t.users("", 25).len()}`);"#,
        &["-v"],
    );
    run.ok();
    let listed: usize = run.line("listed").parse().unwrap();
    assert!(listed > 130, "{}", run.stdout);
    assert_eq!(run.line("counted"), listed.to_string());
    assert_eq!(run.line("unique"), listed.to_string());
    assert_eq!(run.line("bulk"), "130");
    assert_eq!(run.line("limited"), "25");
    // Pages of 100 followed through links.next.href: more than one GET of the users list.
    assert!(run.stderr.matches("GET http://").filter(|_| true).count() >= 2);
    assert!(
        run.stderr.contains("next="),
        "next links followed verbatim:\n{}",
        run.stderr
    );
}

#[test]
fn next_links_are_absolute_on_the_requested_host() {
    let sim = Sim::start(&[]);
    let host = sim.tenant_host().to_string();
    let auth = format!("Bearer {}", sim.token(&host));
    let page = sim
        .http(
            "GET",
            &host,
            "/api/v1/users?limit=2",
            &[("authorization", &auth)],
            None,
        )
        .json();
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    let next = page["links"]["next"]["href"].as_str().unwrap();
    assert!(
        next.starts_with(&format!("http://{host}/api/v1/users?")),
        "{next}"
    );
    let too_many = sim.http(
        "GET",
        &host,
        "/api/v1/users?limit=101",
        &[("authorization", &auth)],
        None,
    );
    assert_eq!(too_many.status, 400);
}
