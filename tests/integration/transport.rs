//! The client's own wire rules, tested against a scripted loopback fake: what is retried, what
//! is not, where the bearer goes, what a hostile or broken answer does.

use crate::fake::{Answer, Fake, Seen};
use crate::util::*;
use serde_json::json;

fn script(text: &str, args: &[(&str, String)]) -> Run {
    let file = temp_file("transport.rhai", text);
    let mut cmd = qops_cmd();
    cmd.arg("run").arg(&file).arg("-v");
    for (k, v) in args {
        cmd.arg("--arg").arg(format!("{k}={v}"));
    }
    Run::from(cmd.output().expect("run qops"))
}

/// A token answer with a new token each time.
fn token(index: usize) -> Answer {
    Answer::json(
        200,
        json!({"access_token": format!("tok-{index}"), "token_type": "bearer", "expires_in": 21600}),
    )
}

const CLIENT: &str =
    r#"let t = tenant(args.origin, #{client_id: "c1", client_secret: "s3cr3t-client"});"#;

fn bearer(seen: &Seen) -> Option<&str> {
    seen.header("authorization")
}

#[test]
fn the_bearer_never_follows_a_redirect_to_another_origin() {
    let other = Fake::start(|_, _| Answer::json(200, json!({"name": "elsewhere"})));
    let target = format!("{}/landing", other.url());
    let origin = Fake::start(move |seen, _| match seen.path() {
        "/api/v1/users/me" => Answer::status(302).with("location", &target),
        "/api/v1/same" => Answer::status(307).with("location", "/api/v1/moved"),
        "/api/v1/moved" => Answer::json(200, json!({"name": "moved"})),
        _ => Answer::status(404),
    });
    let run = script(
        r#"let t = tenant(args.origin, #{api_key: "key-must-stay"});
           print(`same: ${t.get("/api/v1/same").name}`);
           print(`other: ${t.get("/api/v1/users/me").name}`);"#,
        &[("origin", origin.url())],
    );
    run.ok();
    assert_eq!(run.line("same:"), "moved");
    assert_eq!(run.line("other:"), "elsewhere");
    let moved = origin.seen();
    assert!(
        moved
            .iter()
            .all(|s| bearer(s) == Some("Bearer key-must-stay")),
        "{moved:?}"
    );
    let landed = other.seen();
    assert_eq!(landed.len(), 1);
    assert_eq!(bearer(&landed[0]), None, "{landed:?}");
}

#[test]
fn a_next_link_to_another_origin_is_refused() {
    let other = Fake::trap();
    let next = format!("{}/api/v1/items?page=2", other.url());
    let origin = Fake::start(move |_, _| {
        Answer::json(
            200,
            json!({"data": [{"id": "1"}], "links": {"next": {"href": next}}}),
        )
    });
    let run = script(
        r#"let t = tenant(args.origin, #{api_key: "key-must-stay"});
           t.get_all("/api/v1/items");"#,
        &[("origin", origin.url())],
    );
    run.fails_with(1);
    assert!(
        run.stderr.contains("not following it with this token"),
        "{}",
        run.stderr
    );
    assert_eq!(other.connections(), 0);
    assert!(!run.stderr.contains("key-must-stay"));
}

/// An export's `Location` names where to download the app from: only the tenant's own
/// temp-contents service, and only as one id; anything else is refused before a byte is sent.
#[test]
fn an_export_location_off_the_tenant_is_never_followed() {
    let trap = Fake::trap();
    let locations = [
        format!("{}/api/v1/temp-contents/abc", trap.url()),
        format!(
            "//{}/api/v1/temp-contents/abc",
            trap.url().trim_start_matches("http://")
        ),
        "/api/v1/temp-contents/../../users".to_string(),
        "/api/v1/temp-contents/a/b".to_string(),
        "/api/v1/users/me".to_string(),
    ];
    for location in locations {
        let at = location.clone();
        let origin = Fake::start(move |seen, _| match seen.path() {
            "/api/v1/apps/app1/export" => Answer::status(201).with("location", &at),
            _ => Answer::json(200, json!({"data": []})),
        });
        let run = script(
            r#"let t = tenant(args.origin, #{api_key: "key-must-stay"});
               t.export_app("app1");"#,
            &[("origin", origin.url())],
        );
        run.fails_with(1);
        assert_eq!(origin.seen().len(), 1, "{location}: {:?}", origin.seen());
        assert!(!run.stderr.contains("key-must-stay"), "{}", run.stderr);
    }
    assert_eq!(trap.connections(), 0);
}

#[test]
fn a_rejected_token_is_refreshed_exactly_once() {
    // Every API call is refused: one refresh, then the 401 reaches the script.
    let origin = Fake::start(|seen, i| match seen.path() {
        "/oauth/token" => token(i),
        _ => Answer::json(
            401,
            json!({"errors": [{"code": "HTTP-401", "title": "Unauthorized"}]}),
        ),
    });
    let run = script(
        &format!("{CLIENT} try {{ t.me() }} catch (e) {{ print(`status: ${{e.status}}`) }}"),
        &[("origin", origin.url())],
    );
    run.ok();
    assert_eq!(run.line("status:"), "401");
    assert_eq!(origin.count("POST", "/oauth/token"), 2);
    assert_eq!(origin.count("GET", "/api/v1/users/me"), 2);
    let gets: Vec<_> = origin
        .seen()
        .into_iter()
        .filter(|s| s.method == "GET")
        .map(|s| bearer(&s).unwrap_or_default().to_string())
        .collect();
    assert_ne!(gets[0], gets[1], "the second try carries the new token");
    // A token that fails once, then works: the call succeeds with the new token.
    let origin = Fake::start(|seen, i| match (seen.path(), bearer(seen)) {
        ("/oauth/token", _) => token(i),
        (_, Some("Bearer tok-0")) => Answer::status(401),
        _ => Answer::json(200, json!({"id": "me"})),
    });
    let run = script(
        &format!("{CLIENT} print(`me: ${{t.me().id}}`);"),
        &[("origin", origin.url())],
    );
    run.ok();
    assert_eq!(run.line("me:"), "me");
    assert_eq!(origin.count("POST", "/oauth/token"), 2);
}

#[test]
fn a_post_is_not_repeated_after_a_server_error_but_a_get_is() {
    for status in [500, 502, 503, 504] {
        let origin = Fake::start(move |seen, _| match seen.method.as_str() {
            "POST" => Answer::json(
                status,
                json!({"errors": [{"code": "X", "title": "broken"}]}),
            ),
            _ => Answer::json(status, json!({})),
        });
        let run = script(
            r#"let t = tenant(args.origin, #{api_key: "k-1"});
               try { t.post("/api/v1/automations", #{name: "s"}) } catch (e) { print(`post: ${e.status}`) }
               try { t.get("/api/v1/automations") } catch (e) { print(`get: ${e.status}`) }"#,
            &[("origin", origin.url())],
        );
        run.ok();
        assert_eq!(run.line("post:"), status.to_string());
        assert_eq!(origin.count("POST", "/api/v1/automations"), 1, "{status}");
        assert_eq!(
            origin.count("GET", "/api/v1/automations"),
            4,
            "{status}: 1 + 3 retries"
        );
    }
}

#[test]
fn a_create_with_an_unknown_outcome_is_looked_up_before_it_is_sent_again() {
    // The first POST is applied but answered 502; the lookup finds the space: adopted, not
    // created twice. A second create meets a 500 that applied nothing: the lookup finds
    // nothing, so it is sent once more.
    let origin = Fake::start(|seen, _| match (seen.method.as_str(), seen.path()) {
        ("POST", "/api/v1/spaces") if seen.body.contains("\"made\"") => Answer::status(502),
        ("GET", "/api/v1/spaces") if seen.target.contains("name=made") => {
            Answer::json(200, json!({"data": [{"id": "sp-made", "name": "made"}]}))
        }
        ("POST", "/api/v1/spaces") if seen.body.contains("\"lost\"") => Answer::status(500),
        ("GET", _) => Answer::json(200, json!({"data": []})),
        _ => Answer::status(404),
    });
    let run = script(
        r#"let t = tenant(args.origin, #{api_key: "k-1"});
           print(`made: ${t.post("/api/v1/spaces", #{name: "made", type: "shared"}).id}`);
           try { t.post("/api/v1/spaces", #{name: "lost", type: "shared"}) } catch (e) { print(`lost: ${e.status}`) }"#,
        &[("origin", origin.url())],
    );
    run.ok();
    assert_eq!(run.line("made:"), "sp-made");
    let made = origin
        .seen()
        .iter()
        .filter(|s| s.method == "POST" && s.body.contains("\"made\""))
        .count();
    assert_eq!(made, 1, "adopted after the lookup, not sent again");
    // Looked up after every unknown outcome, resent only while nothing was found.
    assert_eq!(run.line("lost:"), "500");
    let lost = origin
        .seen()
        .iter()
        .filter(|s| s.method == "POST" && s.body.contains("\"lost\""))
        .count();
    assert_eq!(lost, 4, "1 + 3 sends, each after a lookup found nothing");
    assert_eq!(origin.count("GET", "/api/v1/spaces"), 1 + 4);
}

#[test]
fn the_lookup_after_a_lost_create_reads_every_page() {
    // The IdP the lost create made is on the second page of an unfiltered list.
    let origin = Fake::start(|seen, _| {
        let next = format!(
            "http://{}/api/v1/identity-providers?next=p2",
            seen.header("host").unwrap_or_default()
        );
        match (seen.method.as_str(), seen.path()) {
            ("POST", "/api/v1/identity-providers") => Answer::status(502),
            ("GET", "/api/v1/identity-providers") if seen.target.contains("next=p2") => {
                Answer::json(
                    200,
                    json!({"data": [{"id": "idp-2", "options": {"issuer": "https://ours.example"}}], "links": {}}),
                )
            }
            ("GET", "/api/v1/identity-providers") => Answer::json(
                200,
                json!({"data": [{"id": "idp-1", "options": {"issuer": "https://other.example"}}],
                       "links": {"next": {"href": next}}}),
            ),
            _ => Answer::status(404),
        }
    });
    let run = script(
        r#"let t = tenant(args.origin, #{api_key: "k-1"});
           let idp = t.post("/api/v1/identity-providers", #{protocol: "jwtAuth", options: #{issuer: "https://ours.example"}});
           print(`adopted: ${idp.id}`);"#,
        &[("origin", origin.url())],
    );
    run.ok();
    assert_eq!(run.line("adopted:"), "idp-2");
    assert_eq!(origin.count("POST", "/api/v1/identity-providers"), 1);
}

#[test]
fn the_token_endpoint_is_retried_on_503_and_a_503_with_retry_after_on_any_method() {
    let origin = Fake::start(|seen, i| match (seen.method.as_str(), seen.path(), i) {
        ("POST", "/oauth/token", 0) => Answer::status(503),
        ("POST", "/oauth/token", _) => token(i),
        // The service says it did not act and when to come back: safe to send again.
        ("POST", "/api/v1/spaces", 2) => Answer::status(503).with("retry-after", "0"),
        ("POST", "/api/v1/spaces", _) => Answer::json(201, json!({"id": "sp1"})),
        _ => Answer::status(404),
    });
    let run = script(
        &format!("{CLIENT} print(`space: ${{t.post(\"/api/v1/spaces\", #{{name: \"s\"}}).id}}`);"),
        &[("origin", origin.url())],
    );
    run.ok();
    assert_eq!(run.line("space:"), "sp1");
    assert_eq!(origin.count("POST", "/oauth/token"), 2);
    assert_eq!(origin.count("POST", "/api/v1/spaces"), 2);
    let bodies: Vec<String> = origin
        .seen()
        .into_iter()
        .filter(|s| s.path() == "/api/v1/spaces")
        .map(|s| s.body)
        .collect();
    assert_eq!(
        bodies,
        vec![r#"{"name":"s"}"#; 2],
        "the same request, sent again"
    );
    assert!(!run.stderr.contains("s3cr3t-client"), "{}", run.stderr);
}

#[test]
fn hostile_answers_are_errors_not_crashes() {
    let huge = vec![b' '; (64 << 20) + 10];
    let origin = Fake::start(move |seen, _| match seen.path() {
        "/oauth/token" => Answer::json(
            200,
            json!({"access_token": "tok", "token_type": "bearer", "expires_in": 18446744073709551615u64}),
        ),
        "/api/v1/huge" => Answer {
            status: 200,
            headers: vec![],
            body: huge.clone(),
        },
        "/api/v1/html" => Answer {
            status: 200,
            headers: vec![("content-type".into(), "text/html".into())],
            body: b"<html>oops</html>".to_vec(),
        },
        "/api/v1/forever" => Answer::status(429).with("retry-after", "99999999999999999999999"),
        _ => Answer::json(200, json!({"ok": true})),
    });
    let run = script(
        &format!(
            r#"{CLIENT}
            print(`ok: ${{t.get("/api/v1/x").ok}}`);
            for p in ["/api/v1/huge", "/api/v1/html", "/api/v1/forever"] {{
                try {{ t.get(p); print("REACHED") }} catch (e) {{ print(`failed: ${{e.message}}`) }}
            }}"#
        ),
        &[("origin", origin.url())],
    );
    run.ok();
    assert_eq!(run.line("ok:"), "true");
    let failures: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("failed:"))
        .collect();
    assert_eq!(failures.len(), 3, "{}", run.stdout);
    assert!(failures[0].contains("larger than 64 MiB"), "{failures:?}");
    assert!(failures[1].contains("not JSON"), "{failures:?}");
    assert!(failures[2].contains("429"), "{failures:?}");
    assert_eq!(origin.count("GET", "/api/v1/forever"), 1, "no endless wait");
}

#[test]
fn qseow_calls_share_the_transport_waits_and_hide_the_xrfkey() {
    let site = Fake::start(|seen, i| match (seen.path(), i) {
        ("/qrs/about", 0) => Answer::status(429).with("retry-after", "0"),
        ("/qrs/about", 1) => Answer::status(502),
        ("/qrs/about", _) => Answer::json(200, json!({"buildVersion": "14.0"})),
        _ => Answer::status(404),
    });
    let run = script(
        r#"let site = qseow(args.site, #{header: "hdr-usr", user_id: "admin"});
           print(`version: ${site.about().buildVersion}`);"#,
        &[("site", site.url())],
    );
    run.ok();
    assert_eq!(run.line("version:"), "14.0");
    let seen = site.seen();
    assert_eq!(seen.len(), 3);
    for s in &seen {
        let key = s.header("x-qlik-xrfkey").expect("xrfkey header");
        assert!(s.target.contains(&format!("xrfkey={key}")), "{}", s.target);
        assert_eq!(s.header("hdr-usr"), Some("admin"));
    }
    assert!(
        run.stderr.contains("429 rate limited; waiting"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("xrfkey"), "{}", run.stderr);
}
