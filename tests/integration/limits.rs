//! Rate limits: the simulator answers 429 with Retry-After; the client waits it out.

use crate::util::*;

/// Sends writes until the simulator says 429; returns that reply.
fn burst_until_limited(sim: &Sim, host: &str, auth: &str) -> (usize, Reply) {
    for sent in 1..=600 {
        let reply = sim.http(
            "POST",
            host,
            "/api/v1/users",
            &[
                ("authorization", auth),
                ("content-type", "application/json"),
            ],
            Some("{}"),
        );
        if reply.status == 429 {
            return (sent, reply);
        }
        assert_eq!(reply.status, 400, "{}", reply.body);
    }
    panic!("no 429 after 600 writes");
}

#[test]
fn a_burst_of_writes_gets_429_with_retry_after() {
    let sim = Sim::start(&[]);
    let host = sim.tenant_host().to_string();
    let auth = format!("Bearer {}", sim.token(&host));
    let (sent, reply) = burst_until_limited(&sim, &host, &auth);
    // Tier 2: 100 per minute, over a five-minute window.
    assert_eq!(sent, 501);
    let wait: u64 = reply
        .header("retry-after")
        .expect("Retry-After header")
        .parse()
        .unwrap();
    assert!((1..=300).contains(&wait), "{wait}");
    let body = reply.json();
    assert_eq!(body["errors"][0]["code"], "HTTP-429");
    assert_eq!(body["errors"][0]["title"], "API rate limit reached.");
    // Reads are another tier: still served.
    let read = sim.http(
        "GET",
        &host,
        "/api/v1/users/actions/count",
        &[("authorization", &auth)],
        None,
    );
    assert_eq!(read.status, 200);
}

#[test]
fn the_client_waits_out_retry_after_and_succeeds() {
    // At 100x, the five-minute window passes in about three seconds.
    let sim = Sim::start(&["--time-scale", "100"]);
    let host = sim.tenant_host().to_string();
    // The script's bot is the user whose budget the burst spends: take its token the same way.
    let auth = format!("Bearer {}", sim.token(&host));
    burst_until_limited(&sim, &host, &auth);
    let run = sim.script(
        r#"let t = tenant(env("QLIK_TENANT"));
           let u = t.create_user(#{subject: "auth0|after-burst", name: "After Burst", status: "active"});
           print(`created ${u.subject}`);"#,
        &["-v"],
    );
    run.ok();
    assert_eq!(run.line("created"), "auth0|after-burst");
    assert!(
        run.stderr.contains("429 rate limited; waiting"),
        "{}",
        run.stderr
    );
}
