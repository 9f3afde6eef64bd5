//! The onboarding script: one run configures everything, the second changes nothing.

use crate::util::*;

#[test]
fn onboarding_twice_changes_nothing_the_second_time() {
    let sim = Sim::start(&[]);
    let (work, args) = onboarding_args("globex", "alice@acme.example");
    let work = work.as_path();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let onboard = || sim.run_repo_script(work, "scripts/onboard_customer.rhai", &args);

    let first = onboard();
    first.ok();
    let last = first.stdout.lines().last().unwrap();
    assert!(
        last.starts_with("created ") && !last.starts_with("created 0,"),
        "{}",
        first.stdout
    );
    assert!(
        first
            .stdout
            .contains("/secrets/globex-oauth-client.json (owner-only)"),
        "{}",
        first.stdout
    );
    // State and secrets in the simulator's own directory, none in the working directory.
    let state_dir = sim.state_dir();
    assert_eq!(
        std::fs::read_dir(work).unwrap().count(),
        1,
        "only the marker file"
    );
    let saved =
        std::fs::read_to_string(state_dir.join("secrets/globex-oauth-client.json")).unwrap();
    let saved: serde_json::Value = serde_json::from_str(&saved).unwrap();
    assert!(!first
        .stdout
        .contains(saved["clientSecret"].as_str().unwrap()));

    let second = onboard();
    assert_unchanged(&second);
    let last = second.stdout.lines().last().unwrap();
    let unchanged: usize = last.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(unchanged >= 12, "{last}");

    // Exactly one of everything in the simulator.
    let inventory: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(state_dir.join("qops-inventory.json")).unwrap(),
    )
    .unwrap();
    let host = inventory["customers"]["globex"]["hostname"]
        .as_str()
        .unwrap()
        .to_string();
    let state = sim.admin("state");
    let tenants: Vec<_> = state["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["name"] == "globex")
        .collect();
    assert_eq!(tenants.len(), 1, "{state}");
    assert_eq!(tenants[0]["hostnames"][0], host.as_str());
    let run = sim.script(
        &format!(
            r#"let t = region("us").tenant("{host}");
               print(`admins ${{t.users(`email eq "alice@acme.example"`).len()}} ${{t.find_user(#{{email: "alice@acme.example"}}).assignedRoles.map(|r| r.name).contains("TenantAdmin")}}`);
               print(`groups ${{t.groups().len()}}`);
               print(`spaces ${{t.spaces().len()}}`);
               let members = 0; for s in t.spaces() {{ members += t.space_assignments(s.id).len(); }}
               print(`members ${{members}}`);
               print(`idps ${{t.idps().filter(|i| i.protocol == "jwtAuth").len()}}`);
               print(`clients ${{t.oauth_clients().len()}}`);
               print(`auto ${{t.license_settings().autoAssignProfessional}}`);"#
        ),
        &[],
    );
    run.ok();
    assert_eq!(run.line("admins"), "1 true");
    assert_eq!(run.line("groups"), "1");
    assert_eq!(run.line("spaces"), "2");
    assert_eq!(run.line("members"), "2");
    assert_eq!(run.line("idps"), "1");
    assert_eq!(run.line("clients"), "1");
    assert_eq!(run.line("auto"), "true");
}
